// The client's side of the event stream: server messages (JSON) decoded by
// the client's own decoder (src/client/eventdecoder.h, what Client uses) and
// applied to live TableModels watched by QAbstractItemModelTester.
//
// Input: one message per line, applied in order to fresh models:
//   - an object: a /state message ({"type":"event"|"transaction",...},
//     docs/protocol.md); other types are ignored as the Client ignores them;
//   - an array: a snapshot of pets (GET /query/pets), merged by replaceRows.
// Tables: pets (key type, breed, name), items (key id), and loose, whose
// key names a column it does not have (the model then keeps arrival order).
//
// Invariants: the tester's (any inconsistent signal or index aborts), and
// after every message: each keyed model is sorted by key without duplicates
// (indexOfKey(keyOf(i)) == i) and no cell is left invalid.

#include "eventdecoder.h"
#include "fuzzsupport.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "tableschema.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace Aiodata;

namespace {

TableSchema schema(const char *json)
{
    return TableSchema::fromJson(QJsonDocument::fromJson(json).object());
}

const char PetsJson[] = R"({"name": "pets", "primaryKey": ["type", "breed", "name"],
  "privileges": {"select": true, "insert": true, "update": true, "delete": true},
  "columns": [{"name": "type", "type": "text", "primaryKey": 1},
              {"name": "breed", "type": "text", "primaryKey": 2},
              {"name": "name", "type": "text", "primaryKey": 3},
              {"name": "color", "type": "integer", "primaryKey": null},
              {"name": "groomed", "type": "boolean", "primaryKey": null}]})";
const char ItemsJson[] = R"({"name": "items", "primaryKey": ["id"],
  "columns": [{"name": "id", "type": "integer", "primaryKey": 1},
              {"name": "label", "type": "text", "primaryKey": null}]})";
const char LooseJson[] = R"({"name": "loose", "primaryKey": ["nope"],
  "columns": [{"name": "a", "type": "text"}, {"name": "b", "type": "jsonb"}]})";

// Keys of any JSON kinds, mixed in one column too, must be in order and
// found where they sort.
void checkModel(const TableModel &model, const QByteArray &input)
{
    const QByteArray where = "table " + model.name().toUtf8() + "\ninput: " + input;
    FUZZ_CHECK(model.rowCount() == model.count(), where);
    const bool keyed = !model.primaryKey().isEmpty() && model.schema().primaryKeyColumns().count(-1) == 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        for (int column = 0; column < model.columnCount(); ++column)
            FUZZ_CHECK(model.data(model.index(row, column)).isValid(),
                       "invalid cell " + QByteArray::number(row) + "," + QByteArray::number(column) + ' ' + where);
        if (keyed)
            FUZZ_CHECK(model.indexOfKey(model.keyOf(row)) == row,
                       "row " + QByteArray::number(row) + " is not where its key sorts (or its key is twice) " + where);
    }
}

// The tester reports in Warning mode; any failure it reports aborts (a
// crash for libFuzzer).
void testerMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtFatalMsg || message.startsWith(QLatin1String("FAIL!")))
        AiodataFuzz::quietMessageHandler(QtFatalMsg, context, message);
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

    static const TableSchema pets = schema(PetsJson);
    static const TableSchema items = schema(ItemsJson);
    static const TableSchema loose = schema(LooseJson);
    std::vector<std::unique_ptr<TableModel>> models;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
    QHash<QString, TableModel *> byName;
    for (const TableSchema *s : {&pets, &items, &loose}) {
        models.push_back(std::make_unique<TableModel>(*s));
        byName.insert(s->name, models.back().get());
        testers.push_back(std::make_unique<QAbstractItemModelTester>(
            models.back().get(), QAbstractItemModelTester::FailureReportingMode::Warning));
    }

    for (const QByteArray &line : input.split('\n')) {
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (doc.isArray()) {
            TableModelPrivate::get(byName.value(QStringLiteral("pets")))->replaceRows(doc.array());
        } else {
            // As Client::Private::onMessage and applyMessage do it.
            const QJsonObject object = doc.object();
            const QString type = object.value(QLatin1String("type")).toString();
            if (type != QLatin1String("event") && type != QLatin1String("transaction"))
                continue;
            const Internal::ServerMessage message = Internal::decodeServerMessage(object);
            for (const Internal::ServerChange &change : message.changes) {
                if (TableModel *model = byName.value(change.table))
                    Internal::applyServerChange(model, change);
            }
        }
        for (const auto &model : models)
            checkModel(*model, input);
    }
    return 0;
}
