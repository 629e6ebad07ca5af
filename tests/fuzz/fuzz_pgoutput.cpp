// PgOutputDecoder::decode on a stream of arbitrary pgoutput messages.
//
// Input: messages one after the other, each a 2-byte big-endian length and
// that many bytes (the last one takes whatever is left). One decoder sees
// them all in order, as WalSource's does.
//
// Invariants:
//   - Error always comes with an errorString;
//   - Committed hands out a transaction whose changes are what WalSource
//     can convert without reading out of bounds: every insert, update and
//     delete is of a described relation, and each non-empty tuple has exactly one
//     value per column of that relation as relation() now describes it
//     (WalSource indexes relation.columns by tuple position at commit,
//     walsource.cpp conversion()), even when DDL inside the transaction
//     made PostgreSQL describe the relation again.

#include "fuzzsupport.h"
#include "capture/pgoutputdecoder.h"

#include <QtEndian>

#include <cstddef>
#include <cstdint>

using namespace Aiodata::Server;

namespace {

QByteArray describe(const QList<QByteArray> &messages)
{
    QByteArray out;
    for (const QByteArray &m : messages)
        out += m.left(48).toHex(' ') + (m.size() > 48 ? " ..." : "") + '\n';
    return out;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    QList<QByteArray> messages;
    for (qsizetype pos = 0; pos < input.size();) {
        qsizetype length = input.size() - pos;
        if (length >= 2) {
            length = qMin<qsizetype>(qFromBigEndian<quint16>(input.constData() + pos), length - 2);
            pos += 2;
        }
        messages.append(input.mid(pos, length));
        pos += length;
    }

    PgOutputDecoder decoder;
    for (const QByteArray &message : std::as_const(messages)) {
        const PgOutputDecoder::Result result = decoder.decode(message);
        if (result == PgOutputDecoder::Result::Error) {
            FUZZ_CHECK(!decoder.errorString().isEmpty(), describe(messages));
            continue;
        }
        if (result != PgOutputDecoder::Result::Committed)
            continue;
        const WalTransaction &t = decoder.transaction();
        for (const WalChange &c : t.changes) {
            const WalRelation *relation = decoder.relation(c.relation);
            if (c.action == WalChange::Action::Truncate && !relation)
                continue; // WalSource skips those
            FUZZ_CHECK(relation, "change of relation " + QByteArray::number(c.relation)
                                     + " that was never described\n" + describe(messages));
            const qsizetype columns = relation->columns.size();
            FUZZ_CHECK(c.newTuple.isEmpty() || c.newTuple.size() == columns,
                       "new tuple with " + QByteArray::number(c.newTuple.size()) + " values for a relation of "
                           + QByteArray::number(columns) + " columns\n" + describe(messages));
            FUZZ_CHECK(c.oldTuple.isEmpty() || c.oldTuple.size() == columns,
                       "old tuple with " + QByteArray::number(c.oldTuple.size()) + " values for a relation of "
                           + QByteArray::number(columns) + " columns\n" + describe(messages));
        }
    }
    return 0;
}
