// The client's snapshot reader (src/client/jsonrowreader.h, what Client uses
// for GET /query/<table>) against QJsonDocument, differentially: whatever the
// bytes, TableModel::replaceRowsFromJson() must leave a model exactly as
// replaceRows(QJsonDocument::fromJson(bytes).array()) does (and, for bytes
// that are no JSON array, exactly as it was), into an empty
// model (a first fill) and into a filled one (a re-snapshot), with
// QAbstractItemModelTester watching both.
//
// Input: the body, as is. Table: cells (key id, then t, n, b, j), so that
// every JSON type lands in a key and in a plain column.
//
// Also read in pieces, as Client reads a body while it arrives
// (SnapshotReader): the pieces' sizes come from the input's first byte, so
// that the corpus covers every cut, inside strings, numbers and escapes too.
//
// Invariants: the tester's; the same cells (type and value) by every way; the
// return value says whether QJsonDocument saw a JSON array.

#include "fuzzsupport.h"
#include "snapshotreader.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "tableschema.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>

using namespace Aiodata;

namespace {

const char CellsJson[] = R"({"name": "cells", "primaryKey": ["id"],
  "columns": [{"name": "id", "type": "jsonb", "primaryKey": 1},
              {"name": "t", "type": "text"}, {"name": "n", "type": "float8"},
              {"name": "b", "type": "boolean"}, {"name": "j", "type": "jsonb"}]})";

// What a re-snapshot merges into: one row of each kind.
const char Filled[] = R"([{"id": 1, "t": "one", "n": 1.5, "b": true, "j": {"a": [1]}},
  {"id": "x", "t": "\u00e9\ud83d\ude00", "n": null, "b": false, "j": [null]},
  {"id": null, "t": "", "n": -3, "b": null, "j": null}])";

void checkSame(const TableModel &a, const TableModel &b, const QByteArray &input)
{
    FUZZ_CHECK(a.rowCount() == b.rowCount(), "row counts differ\ninput: " + input);
    for (int row = 0; row < a.rowCount(); ++row) {
        for (int column = 0; column < a.columnCount(); ++column) {
            const QVariant x = a.data(a.index(row, column));
            const QVariant y = b.data(b.index(row, column));
            FUZZ_CHECK(x.typeId() == y.typeId() && x == y,
                       "cell " + QByteArray::number(row) + "," + QByteArray::number(column) + " differs: "
                           + QJsonDocument(QJsonArray{QJsonValue::fromVariant(x), QJsonValue::fromVariant(y)}).toJson(QJsonDocument::Compact)
                           + "\ninput: " + input);
        }
    }
}

// As in fuzz_event: the tester reports in Warning mode so that its one known
// complaint (a QVariantMap/QVariantList cell is not convertible to QString)
// can pass; every other failure aborts.
void testerMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const bool testerFailure = message.startsWith(QLatin1String("FAIL!"));
    if (type == QtFatalMsg || testerFailure) {
        if (testerFailure && message.contains(QLatin1String("variant.canConvert<QString>()")))
            return;
        AiodataFuzz::quietMessageHandler(QtFatalMsg, context, message);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    qInstallMessageHandler(testerMessageHandler);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    static const TableSchema cells = TableSchema::fromJson(QJsonDocument::fromJson(CellsJson).object());
    static const QJsonArray filled = QJsonDocument::fromJson(Filled).array();
    const QJsonDocument doc = QJsonDocument::fromJson(input);

    const qsizetype pieceSize = input.isEmpty() ? 1 : 1 + uchar(input.at(0)) % 64;
    for (const bool prefill : {false, true}) {
        TableModel fast(cells);
        TableModel pieces(cells);
        TableModel slow(cells);
        QAbstractItemModelTester fastTester(&fast, QAbstractItemModelTester::FailureReportingMode::Warning);
        QAbstractItemModelTester piecesTester(&pieces, QAbstractItemModelTester::FailureReportingMode::Warning);
        QAbstractItemModelTester slowTester(&slow, QAbstractItemModelTester::FailureReportingMode::Warning);
        if (prefill) {
            TableModelPrivate::get(&fast)->replaceRows(filled);
            TableModelPrivate::get(&pieces)->replaceRows(filled);
            TableModelPrivate::get(&slow)->replaceRows(filled);
        }
        const bool isArray = TableModelPrivate::get(&fast)->replaceRowsFromJson(input);
        Internal::SnapshotReader reader(&pieces);
        for (qsizetype at = 0; at < input.size(); at += pieceSize)
            reader.append(input.mid(at, pieceSize), at == 0 ? input.size() : -1);
        const bool piecesIsArray = reader.finish();
        if (doc.isArray()) // anything else must leave the model as it was
            TableModelPrivate::get(&slow)->replaceRows(doc.array());
        FUZZ_CHECK(isArray == doc.isArray(), "return value differs from QJsonDocument\ninput: " + input);
        FUZZ_CHECK(piecesIsArray == doc.isArray(), "return value in pieces differs from QJsonDocument\ninput: " + input);
        checkSame(fast, slow, input);
        checkSame(pieces, slow, input);
    }
    return 0;
}
