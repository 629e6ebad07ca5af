#include "capture/pgoutputdecoder.h"

#include <QtEndian>

namespace Aiodata::Server {

namespace {

// Reads big-endian fields from a message; any overrun marks it bad.
class Reader
{
public:
    explicit Reader(const QByteArray &data) : m_data(data) {}

    bool ok() const { return m_ok; }
    bool atEnd() const { return m_pos >= m_data.size(); }

    quint8 byte()
    {
        if (!need(1))
            return 0;
        return quint8(m_data.at(m_pos++));
    }
    quint16 u16() { return read<quint16>(); }
    quint32 u32() { return read<quint32>(); }
    quint64 u64() { return read<quint64>(); }
    QByteArray bytes(qsizetype n)
    {
        if (n < 0 || !need(n))
            return QByteArray();
        const QByteArray out = m_data.mid(m_pos, n);
        m_pos += n;
        return out;
    }
    QString string()
    {
        const qsizetype end = m_data.indexOf('\0', m_pos);
        if (end < 0) {
            m_ok = false;
            return QString();
        }
        const QString out = QString::fromUtf8(m_data.constData() + m_pos, end - m_pos);
        m_pos = end + 1;
        return out;
    }
    WalTuple tuple()
    {
        WalTuple t;
        const quint16 n = u16();
        t.reserve(n);
        for (quint16 i = 0; i < n && m_ok; ++i) {
            WalValue v;
            const char kind = char(byte());
            if (kind == 't') {
                v.kind = WalValue::Text;
                v.text = bytes(qint32(u32()));
                if (v.text.isNull())
                    v.text = QByteArray("");
            } else if (kind == 'u') {
                v.kind = WalValue::UnchangedToast;
            } else if (kind == 'n') {
                v.kind = WalValue::Null;
            } else {
                m_ok = false; // 'b' (binary) is never requested
            }
            t.append(v);
        }
        return t;
    }

private:
    bool need(qsizetype n)
    {
        if (!m_ok || m_pos + n > m_data.size()) {
            m_ok = false;
            return false;
        }
        return true;
    }
    template<typename T> T read()
    {
        if (!need(sizeof(T)))
            return 0;
        const T v = qFromBigEndian<T>(m_data.constData() + m_pos);
        m_pos += sizeof(T);
        return v;
    }

    const QByteArray &m_data;
    qsizetype m_pos = 0;
    bool m_ok = true;
};

bool sameColumnNames(const QList<WalColumn> &a, const QList<WalColumn> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a.at(i).name != b.at(i).name)
            return false;
    }
    return true;
}

// A tuple decoded against the columns `from`, re-expressed for the columns
// `to` by name; a column `from` lacked is absent (as an unchanged TOAST value).
WalTuple remapTuple(const WalTuple &tuple, const QList<WalColumn> &from, const QList<WalColumn> &to)
{
    if (tuple.isEmpty())
        return tuple;
    WalTuple out(to.size(), WalValue{WalValue::UnchangedToast, {}});
    for (qsizetype j = 0; j < to.size(); ++j) {
        for (qsizetype i = 0; i < from.size() && i < tuple.size(); ++i) {
            if (from.at(i).name == to.at(j).name) {
                out[j] = tuple.at(i);
                break;
            }
        }
    }
    return out;
}

} // namespace

const WalRelation *PgOutputDecoder::relation(quint32 oid) const
{
    const auto it = m_relations.constFind(oid);
    return it == m_relations.constEnd() ? nullptr : &*it;
}

PgOutputDecoder::Result PgOutputDecoder::decode(const QByteArray &message)
{
    Reader in(message);
    const char type = char(in.byte());
    auto fail = [this](const QString &what) {
        m_error = what;
        return Result::Error;
    };
    // A change joins the transaction only when its message decoded
    // completely (an Error leaves the transaction as it was), its relation
    // was described (PostgreSQL sends a Relation message before a table's
    // first change on a stream) and each tuple has exactly one value per
    // column: consumers read values by column position (WalSource).
    auto rejected = [this, &in, type](const WalChange &c) {
        if (!in.ok()) {
            m_error = QStringLiteral("truncated pgoutput message '%1'").arg(QLatin1Char(type));
            return true;
        }
        const auto it = m_relations.constFind(c.relation);
        if (it == m_relations.constEnd()) {
            m_error = QStringLiteral("pgoutput '%1' message for relation %2, which was never described")
                          .arg(QLatin1Char(type))
                          .arg(c.relation);
            return true;
        }
        const qsizetype columns = it->columns.size();
        if ((c.newTuple.isEmpty() || c.newTuple.size() == columns)
            && (c.oldTuple.isEmpty() || c.oldTuple.size() == columns))
            return false;
        m_error = QStringLiteral("pgoutput '%1' message for relation %2 does not match its %3 columns")
                      .arg(QLatin1Char(type))
                      .arg(c.relation)
                      .arg(columns);
        return true;
    };
    switch (type) {
    case 'B': {
        WalTransaction begun;
        begun.commitLsn = in.u64();
        begun.commitTime = qint64(in.u64());
        begun.xid = in.u32();
        if (!in.ok())
            break; // truncated: fails below, the state stays as it was
        m_current = std::move(begun);
        m_inTransaction = true;
        break;
    }
    case 'C': {
        in.byte(); // flags, unused
        const quint64 commitLsn = in.u64();
        m_current.endLsn = in.u64();
        in.u64(); // commit time, already known from Begin
        if (!in.ok())
            return fail(QStringLiteral("truncated Commit message"));
        if (!m_inTransaction || commitLsn != m_current.commitLsn)
            return fail(QStringLiteral("Commit without a matching Begin"));
        m_inTransaction = false;
        m_committed = std::move(m_current);
        m_current = WalTransaction();
        return Result::Committed;
    }
    case 'R': {
        WalRelation r;
        r.oid = in.u32();
        r.schema = in.string();
        r.name = in.string();
        r.replicaIdentity = char(in.byte());
        const quint16 n = in.u16();
        for (quint16 i = 0; i < n && in.ok(); ++i) {
            WalColumn c;
            c.isKey = in.byte() & 1;
            c.name = in.string();
            c.typeOid = in.u32();
            c.typeModifier = qint32(in.u32());
            r.columns.append(c);
        }
        if (!in.ok())
            break;
        // DDL inside a transaction (ALTER TABLE ... between two inserts)
        // makes PostgreSQL describe the relation again before its next
        // change. Consumers read every change of the committed transaction
        // against relation(), the newest description: the changes decoded
        // so far are re-expressed for it, by column name.
        if (const auto old = m_relations.constFind(r.oid);
            m_inTransaction && old != m_relations.constEnd() && !sameColumnNames(old->columns, r.columns)) {
            for (WalChange &c : m_current.changes) {
                if (c.relation != r.oid)
                    continue;
                c.oldTuple = remapTuple(c.oldTuple, old->columns, r.columns);
                c.newTuple = remapTuple(c.newTuple, old->columns, r.columns);
            }
        }
        m_relations.insert(r.oid, r);
        break;
    }
    case 'I': {
        WalChange c;
        c.action = WalChange::Action::Create;
        c.relation = in.u32();
        if (char(in.byte()) != 'N')
            return fail(QStringLiteral("Insert without a new tuple"));
        c.newTuple = in.tuple();
        if (rejected(c))
            return Result::Error;
        m_current.changes.append(c);
        break;
    }
    case 'U': {
        WalChange c;
        c.action = WalChange::Action::Update;
        c.relation = in.u32();
        char marker = char(in.byte());
        if (marker == 'K' || marker == 'O') {
            c.oldIsFull = marker == 'O';
            c.oldTuple = in.tuple();
            marker = char(in.byte());
        }
        if (marker != 'N')
            return fail(QStringLiteral("Update without a new tuple"));
        c.newTuple = in.tuple();
        if (rejected(c))
            return Result::Error;
        m_current.changes.append(c);
        break;
    }
    case 'D': {
        WalChange c;
        c.action = WalChange::Action::Delete;
        c.relation = in.u32();
        const char marker = char(in.byte());
        if (marker != 'K' && marker != 'O')
            return fail(QStringLiteral("Delete without an old tuple"));
        c.oldIsFull = marker == 'O';
        c.oldTuple = in.tuple();
        if (rejected(c))
            return Result::Error;
        m_current.changes.append(c);
        break;
    }
    case 'T': {
        const quint32 n = in.u32();
        in.byte(); // options (CASCADE, RESTART IDENTITY)
        QList<WalChange> truncated;
        for (quint32 i = 0; i < n && in.ok(); ++i) {
            WalChange c;
            c.action = WalChange::Action::Truncate;
            c.relation = in.u32();
            truncated.append(c);
        }
        if (in.ok())
            m_current.changes.append(truncated);
        break;
    }
    case 'O': // origin
    case 'Y': // type
    case 'M': // logical message
        break;
    default:
        return fail(QStringLiteral("unknown pgoutput message '%1'").arg(QLatin1Char(type)));
    }
    if (!in.ok())
        return fail(QStringLiteral("truncated pgoutput message '%1'").arg(QLatin1Char(type)));
    return Result::Incomplete;
}

} // namespace Aiodata::Server
