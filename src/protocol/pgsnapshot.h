#pragma once

// Shared by server and client (header-only, not installed): which
// transactions a PostgreSQL snapshot already holds. The text is
// pg_current_snapshot()'s "xmin:xmax:xip,..." (64-bit ids); events carry
// the low 32 bits of a transaction id, compared modulo 2^32 as PostgreSQL does.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <optional>

namespace Aiodata::Protocol {

struct PgSnapshot
{
    quint32 xmin = 0;
    quint32 xmax = 0;
    QList<quint32> inProgress;

    static std::optional<PgSnapshot> parse(QByteArrayView text)
    {
        const QList<QByteArray> parts = QByteArray(text.data(), text.size()).split(':');
        if (parts.size() != 3)
            return std::nullopt;
        PgSnapshot s;
        s.xmin = quint32(parts.at(0).toULongLong());
        s.xmax = quint32(parts.at(1).toULongLong());
        for (const QByteArray &id : parts.at(2).split(',')) {
            if (!id.isEmpty())
                s.inProgress.append(quint32(id.toULongLong()));
        }
        return s;
    }

    // The text parse() reads (ids as the low 32 bits they are kept in).
    QByteArray toText() const
    {
        QByteArray text = QByteArray::number(xmin) + ':' + QByteArray::number(xmax) + ':';
        for (qsizetype i = 0; i < inProgress.size(); ++i)
            text += (i ? "," : "") + QByteArray::number(inProgress.at(i));
        return text;
    }

    // Whether the transaction had committed when the snapshot was taken.
    bool sees(quint32 xid) const
    {
        auto precedes = [](quint32 a, quint32 b) { return qint32(a - b) < 0; };
        if (precedes(xid, xmin))
            return true;
        if (!precedes(xid, xmax))
            return false;
        return !inProgress.contains(xid);
    }
};

} // namespace Aiodata::Protocol
