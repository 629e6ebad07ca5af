// Unit tests of TableModel and TableSchema: no network, a fake WriteTransport;
// snapshots and events are applied as Client does (TableModelPrivate).
#include "eventdecoder.h"
#include "modelkeys.h"
#include "reply.h"
#include "reply_p.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "tableschema.h"
#include "writetransport.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

using namespace Aiodata;
using namespace Qt::StringLiterals;

namespace {

const char petsSchema[] = R"({
  "name": "pets", "comment": "Our pets, by type, breed and name.",
  "primaryKey": ["type", "breed", "name"],
  "privileges": {"select": true, "insert": true, "update": true, "delete": false},
  "columns": [
    {"name": "type", "type": "text", "primaryKey": 1, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
    {"name": "breed", "type": "text", "primaryKey": 2, "dims": 0, "nullable": false, "hasDefault": false, "comment": "Kind of the type", "references": null},
    {"name": "name", "type": "text", "primaryKey": 3, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
    {"name": "color", "type": "integer", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": false, "comment": null, "references": {"table": "colors", "column": "id"}},
    {"name": "groomed", "type": "boolean", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": true, "comment": null, "references": null}
  ]})";

QJsonObject parseObject(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

TableSchema pets(bool canUpdate = true)
{
    TableSchema schema = TableSchema::fromJson(parseObject(petsSchema));
    schema.canUpdate = canUpdate;
    return schema;
}

// An integer key, to check that keys compare by value, not as text.
TableSchema numbers()
{
    return TableSchema::fromJson(parseObject(R"({
      "name": "numbers", "comment": null, "primaryKey": ["id"],
      "privileges": {"select": true, "insert": true, "update": true, "delete": true},
      "columns": [
        {"name": "id", "type": "integer", "primaryKey": 1, "dims": 0, "nullable": false, "hasDefault": true, "comment": null, "references": null},
        {"name": "label", "type": "text", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": false, "comment": null, "references": null}
      ]})"));
}

TableSchema unkeyed()
{
    return TableSchema::fromJson(parseObject(R"({
      "name": "log", "comment": null, "primaryKey": [],
      "privileges": {"select": true, "insert": true, "update": true, "delete": true},
      "columns": [
        {"name": "at", "type": "integer", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": false, "comment": null, "references": null},
        {"name": "text", "type": "text", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": false, "comment": null, "references": null}
      ]})"));
}

QJsonObject pet(const QString &type, const QString &breed, const QString &name,
                const QJsonValue &color = QJsonValue::Null, bool groomed = false)
{
    return QJsonObject{{u"type"_s, type}, {u"breed"_s, breed}, {u"name"_s, name},
                       {u"color"_s, color}, {u"groomed"_s, groomed}};
}

// The standard content, in key order (row numbers are used by the tests).
QJsonArray standardPets()
{
    return QJsonArray{
        pet(u"Cat"_s, u"Siamese"_s, u"Tom"_s, 1),        // 0
        pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 2),         // 1
        pet(u"Dog"_s, u"Poodle"_s, u"Fifi"_s),           // 2
        pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 3),          // 3
        pet(u"Fish"_s, u"Koi"_s, u"Bubbles"_s, 4, true), // 4
        pet(u"Fish"_s, u"Tetra"_s, u"Neon"_s, 5),        // 5
    };
}

QJsonArray reversed(const QJsonArray &rows)
{
    QJsonArray result;
    for (qsizetype i = rows.size() - 1; i >= 0; --i)
        result.append(rows.at(i));
    return result;
}

QStringList keys(const QJsonArray &rows)
{
    QStringList result;
    for (const QJsonValue &row : rows) {
        const QJsonObject o = row.toObject();
        result.append(o[u"type"_s].toString() + u'/' + o[u"breed"_s].toString() + u'/' + o[u"name"_s].toString());
    }
    return result;
}

// A model with its tester attached before any row arrives; the tester goes first on destruction.
struct Fixture
{
    explicit Fixture(const TableSchema &schema)
        : model(schema)
        , tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
    }
    TableModel model;
    QAbstractItemModelTester tester;
};

// Records the structural signals; ranges print as "first-last" in emission order.
struct Signals
{
    explicit Signals(TableModel *model)
        : aboutToInsert(model, &QAbstractItemModel::rowsAboutToBeInserted)
        , inserted(model, &QAbstractItemModel::rowsInserted)
        , aboutToRemove(model, &QAbstractItemModel::rowsAboutToBeRemoved)
        , removed(model, &QAbstractItemModel::rowsRemoved)
        , changed(model, &QAbstractItemModel::dataChanged)
        , reset(model, &QAbstractItemModel::modelReset)
        , layout(model, &QAbstractItemModel::layoutChanged)
        , moved(model, &QAbstractItemModel::rowsMoved)
        , count(model, &TableModel::countChanged)
    {
    }

    static QString ranges(const QSignalSpy &spy)
    {
        QStringList result;
        for (const QList<QVariant> &args : spy)
            result.append(u"%1-%2"_s.arg(args.at(1).toInt()).arg(args.at(2).toInt()));
        return result.join(u' ');
    }
    QString inserts() const { return ranges(aboutToInsert); }
    QString removes() const { return ranges(aboutToRemove); }
    // "row:column-row:column" of each dataChanged.
    QString changes() const
    {
        QStringList result;
        for (const QList<QVariant> &args : changed) {
            const auto topLeft = args.at(0).value<QModelIndex>();
            const auto bottomRight = args.at(1).value<QModelIndex>();
            result.append(u"%1:%2-%3:%4"_s.arg(topLeft.row()).arg(topLeft.column())
                              .arg(bottomRight.row()).arg(bottomRight.column()));
        }
        return result.join(u' ');
    }
    // The begin and end signals come in pairs, and nothing coarse is ever emitted.
    bool consistent() const
    {
        return inserts() == ranges(inserted) && removes() == ranges(removed)
            && reset.isEmpty() && layout.isEmpty() && moved.isEmpty();
    }

    QSignalSpy aboutToInsert, inserted, aboutToRemove, removed, changed, reset, layout, moved, count;
};

// Records writes; replies stay pending until the test finishes them.
class FakeTransport : public WriteTransport
{
public:
    struct Call
    {
        QByteArray method;
        QString table;
        QVariantList keyPrefix;
        QByteArray body;
        QPointer<Reply> reply;
    };

    Reply *sendWrite(const QByteArray &method, const QString &table, const QVariantList &keyPrefix,
                     const QByteArray &body) override
    {
        auto *reply = new Reply(&owner);
        calls.append({method, table, keyPrefix, body, reply});
        return reply;
    }

    QObject owner;
    QList<Call> calls;
};

QJsonValue json(const QByteArray &body)
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (doc.isArray())
        return doc.array();
    if (doc.isObject())
        return doc.object();
    return QJsonValue(QJsonValue::Undefined);
}

// A snapshot as Client applies it: the body of GET /query/<table> read by
// replaceRowsFromJson() (fromJson), or parsed into a QJsonArray first.
void fill(TableModel &model, const QJsonArray &rows, bool fromJson)
{
    if (fromJson)
        QVERIFY(TableModelPrivate::get(&model)->replaceRowsFromJson(QJsonDocument(rows).toJson(QJsonDocument::Compact)));
    else
        TableModelPrivate::get(&model)->replaceRows(rows);
}

// A table with an integer key and one cell of any JSON type.
TableSchema cells()
{
    return TableSchema::fromJson(parseObject(R"({
      "name": "cells", "comment": null, "primaryKey": ["id"],
      "privileges": {"select": true, "insert": true, "update": true, "delete": true},
      "columns": [
        {"name": "id", "type": "jsonb", "primaryKey": 1, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
        {"name": "v", "type": "jsonb", "primaryKey": null, "dims": 0, "nullable": true, "hasDefault": false, "comment": null, "references": null}
      ]})"));
}

// Every row's cells, as the model shows them.
QList<QVariantList> contents(const TableModel &model)
{
    QList<QVariantList> result;
    for (int row = 0; row < model.rowCount(); ++row) {
        QVariantList values;
        for (int column = 0; column < model.columnCount(); ++column)
            values.append(model.data(model.index(row, column)));
        result.append(values);
    }
    return result;
}

// Tells whether replaceRowsFromJson() read a body with QJsonDocument instead
// of its own reader, from its debug message, while it lives.
class FallbackWatch
{
public:
    FallbackWatch()
    {
        fellBack() = false;
        QLoggingCategory::setFilterRules(u"aiodata.client.model.debug=true"_s);
        m_previous = qInstallMessageHandler(&FallbackWatch::handler);
    }
    ~FallbackWatch()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QString());
    }
    static bool &fellBack()
    {
        static bool value = false;
        return value;
    }

private:
    static void handler(QtMsgType, const QMessageLogContext &, const QString &message)
    {
        if (message.contains("read with QJsonDocument"_L1))
            fellBack() = true;
    }
    QtMessageHandler m_previous;
};

} // namespace

class TestTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void schemaParsing();
    void schemaKeyFromColumns();

    void firstFill_data();
    void firstFill();
    void replaceRows_data();
    void replaceRows();
    void cellValues_data();
    void cellValues();
    void keyOrderMixedTypes();
    void keyOrderAcrossJsonKinds();
    void malformedSnapshot_data();
    void malformedSnapshot();

    void applyCreated_data();
    void applyCreated();
    void createdPayload();
    void applyUpdated_data();
    void applyUpdated();
    void updatedPayload();
    void applyDeleted_data();
    void applyDeleted();
    void applyTruncated();

    void get_data();
    void get();
    void indexOfKey_data();
    void indexOfKey();
    void integerKeys();

    void dataAndRoles();
    void headers();
    void flags_data();
    void flags();

    void setDataSendsPatch();
    void setDataFailure();
    void setDataWithoutTransport();
    void makeRow();
    void writes_data();
    void writes();
    void noTransport();

    void unkeyedTable();
};

void TestTableModel::schemaParsing()
{
    // Key order differs from the column order: the table-level list decides.
    const TableSchema schema = TableSchema::fromJson(parseObject(R"({
      "name": "visits", "comment": null, "primaryKey": ["pet", "day"],
      "privileges": {"select": true, "insert": false, "update": true, "delete": false},
      "columns": [
        {"name": "day", "type": "date", "primaryKey": 2, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": null},
        {"name": "note", "type": "text[]", "primaryKey": null, "dims": 1, "nullable": true, "hasDefault": true, "comment": "Free text", "references": null},
        {"name": "pet", "type": "integer", "primaryKey": 1, "dims": 0, "nullable": false, "hasDefault": false, "comment": null, "references": {"table": "pets", "column": "id"}}
      ]})"));

    QCOMPARE(schema.name, u"visits"_s);
    QVERIFY(schema.comment.isEmpty());
    QCOMPARE(schema.primaryKey, QStringList({u"pet"_s, u"day"_s}));
    QCOMPARE(schema.primaryKeyColumns(), QList<int>({2, 0}));
    QVERIFY(schema.hasPrimaryKey());
    QVERIFY(schema.canSelect);
    QVERIFY(!schema.canInsert);
    QVERIFY(schema.canUpdate);
    QVERIFY(!schema.canDelete);

    QCOMPARE(schema.columns.size(), 3);
    QCOMPARE(schema.columnIndex(u"note"_s), 1);
    QCOMPARE(schema.columnIndex(u"missing"_s), -1);

    const ColumnSchema &day = schema.columns.at(0);
    QCOMPARE(day.type, u"date"_s);
    QCOMPARE(day.primaryKeyIndex, 1);
    QVERIFY(day.isPrimaryKey());
    QVERIFY(!day.nullable);
    QVERIFY(day.referencedTable.isEmpty());

    const ColumnSchema &note = schema.columns.at(1);
    QCOMPARE(note.primaryKeyIndex, -1);
    QVERIFY(!note.isPrimaryKey());
    QCOMPARE(note.arrayDimensions, 1);
    QVERIFY(note.nullable);
    QVERIFY(note.hasDefault);
    QCOMPARE(note.comment, u"Free text"_s);

    const ColumnSchema &petColumn = schema.columns.at(2);
    QCOMPARE(petColumn.primaryKeyIndex, 0);
    QCOMPARE(petColumn.referencedTable, u"pets"_s);
    QCOMPARE(petColumn.referencedColumn, u"id"_s);

    const TableSchema petsSchema = pets();
    QCOMPARE(petsSchema.comment, u"Our pets, by type, breed and name."_s);
    QCOMPARE(petsSchema.primaryKeyColumns(), QList<int>({0, 1, 2}));
    QCOMPARE(petsSchema.columns.at(3).referencedTable, u"colors"_s);
}

void TestTableModel::schemaKeyFromColumns()
{
    // Without a table-level list the columns' 1-based positions give the order.
    const TableSchema schema = TableSchema::fromJson(parseObject(R"({
      "name": "t", "privileges": {"select": true},
      "columns": [
        {"name": "a", "type": "text", "primaryKey": 2},
        {"name": "b", "type": "text", "primaryKey": null},
        {"name": "c", "type": "text", "primaryKey": 1}
      ]})"));
    QCOMPARE(schema.primaryKey, QStringList({u"c"_s, u"a"_s}));
    QCOMPARE(schema.primaryKeyColumns(), QList<int>({2, 0}));
    QVERIFY(!schema.canUpdate);

    const TableSchema none = unkeyed();
    QVERIFY(!none.hasPrimaryKey());
    QVERIFY(none.primaryKeyColumns().isEmpty());
}

void TestTableModel::firstFill_data()
{
    QTest::addColumn<QJsonArray>("rows");
    QTest::addColumn<bool>("fromJson");
    const QJsonArray sorted = standardPets();
    for (const bool fromJson : {false, true}) {
        const char *path = fromJson ? "fromJson" : "QJsonArray";
        QTest::addRow("sorted, %s", path) << sorted << fromJson;
        QTest::addRow("reversed, %s", path) << reversed(sorted) << fromJson;
        QTest::addRow("shuffled, %s", path) << QJsonArray{sorted[3], sorted[0], sorted[5], sorted[1], sorted[4], sorted[2]} << fromJson;
    }
}

void TestTableModel::firstFill()
{
    QFETCH(QJsonArray, rows);
    QFETCH(bool, fromJson);
    Fixture f(pets());
    Signals s(&f.model);

    fill(f.model, rows, fromJson);

    QCOMPARE(s.inserts(), u"0-5"_s);
    QVERIFY(s.consistent());
    QCOMPARE(s.removes(), QString());
    QCOMPARE(s.changed.size(), 0);
    QCOMPARE(s.count.size(), 1);
    QCOMPARE(f.model.count(), 6);
    QCOMPARE(keys(f.model), keys(standardPets()));
}

void TestTableModel::replaceRows_data()
{
    QTest::addColumn<QJsonArray>("snapshot");
    QTest::addColumn<QString>("inserts");
    QTest::addColumn<QString>("removes");
    QTest::addColumn<QString>("changes");
    QTest::addColumn<bool>("fromJson");
    // Each case through both snapshot paths.
    const auto add = [](const char *name, const QJsonArray &snapshot, const QString &inserts, const QString &removes,
                        const QString &changes) {
        QTest::addRow("%s, QJsonArray", name) << snapshot << inserts << removes << changes << false;
        QTest::addRow("%s, fromJson", name) << snapshot << inserts << removes << changes << true;
    };

    const QJsonArray std = standardPets();
    const QJsonObject bird = pet(u"Bird"_s, u"Parrot"_s, u"Polly"_s);
    const QJsonObject zebra = pet(u"Fish"_s, u"Zebra"_s, u"Zed"_s);

    add("identical", reversed(std), QString(), QString(), QString());

    QJsonArray oneChanged = std;
    oneChanged[3] = pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 9);
    add("one cell", oneChanged, QString(), QString(), u"3:3-3:3"_s);

    QJsonArray twoColumns = std;
    twoColumns[3] = pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 9, true);
    add("two columns", twoColumns, QString(), QString(), u"3:3-3:4"_s);

    QJsonArray nulled = std;
    nulled[0] = pet(u"Cat"_s, u"Siamese"_s, u"Tom"_s);
    add("value to null", nulled, QString(), QString(), u"0:3-0:3"_s);

    QJsonArray contiguous = std;
    contiguous[3] = pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 8);
    contiguous[4] = pet(u"Fish"_s, u"Koi"_s, u"Bubbles"_s, 9, true);
    add("contiguous rows", contiguous, QString(), QString(), u"3:3-4:3"_s);

    QJsonArray apart = std;
    apart[1] = pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 8);
    apart[4] = pet(u"Fish"_s, u"Koi"_s, u"Bubbles"_s, 9, true);
    add("rows apart", apart, QString(), QString(), u"1:3-1:3 4:3-4:3"_s);

    // Bird sorts first, Zebra last; Rex and Bubbles go.
    const QJsonArray mixed{zebra, std[0], std[2], bird, std[3], std[5]};
    add("removed and added", mixed, u"0-0 5-5"_s, u"2-2 4-4"_s, QString());

    add("removed run", QJsonArray{std[0], std[3], std[4], std[5]}, QString(), u"1-2"_s, QString());

    QJsonArray huskies = std;
    huskies.append(pet(u"Dog"_s, u"Husky"_s, u"Zed"_s));
    huskies.append(pet(u"Dog"_s, u"Husky"_s, u"Max"_s));
    add("inserted run", huskies, u"2-3"_s, QString(), QString());

    add("emptied", QJsonArray(), QString(), u"0-5"_s, QString());
    add("all new", QJsonArray{bird, zebra}, u"0-0 1-1"_s, u"1-6"_s, QString());
}

void TestTableModel::replaceRows()
{
    QFETCH(QJsonArray, snapshot);
    QFETCH(QString, inserts);
    QFETCH(QString, removes);
    QFETCH(QString, changes);
    QFETCH(bool, fromJson);

    Fixture f(pets());
    fill(f.model, standardPets(), fromJson);
    QSignalSpy created(&f.model, &TableModel::created);
    QSignalSpy deleted(&f.model, &TableModel::deleted);
    Signals s(&f.model);

    fill(f.model, snapshot, fromJson);

    QCOMPARE(s.inserts(), inserts);
    QCOMPARE(s.removes(), removes);
    QCOMPARE(s.changes(), changes);
    QVERIFY(s.consistent());
    QCOMPARE(s.count.size(), snapshot.size() == 6 ? 0 : 1);
    QCOMPARE(created.size(), 0);
    QCOMPARE(deleted.size(), 0);

    // The result is the snapshot in key order, values included.
    QStringList expected = keys(snapshot);
    expected.sort();
    QCOMPARE(keys(f.model), expected);
    for (const QJsonValue &value : snapshot) {
        const QJsonObject o = value.toObject();
        const int row = f.model.indexOfKey({o[u"type"_s].toVariant(), o[u"breed"_s].toVariant(), o[u"name"_s].toVariant()});
        QVERIFY(row >= 0);
        QCOMPARE(f.model.row(row), o.toVariantMap());
    }
}

void TestTableModel::cellValues_data()
{
    QTest::addColumn<QByteArray>("cell"); // JSON text of the value
    QTest::addColumn<int>("type");        // the QVariant type data() gives

    const int longLong = QMetaType::LongLong;
    const int dbl = QMetaType::Double;
    const int string = QMetaType::QString;
    QTest::newRow("zero") << QByteArray("0") << longLong;
    QTest::newRow("negative") << QByteArray("-42") << longLong;
    QTest::newRow("int32 max") << QByteArray("2147483647") << longLong;
    QTest::newRow("above int32") << QByteArray("2147483648") << longLong;
    QTest::newRow("int64 max") << QByteArray("9223372036854775807") << longLong;
    QTest::newRow("int64 min") << QByteArray("-9223372036854775808") << longLong;
    QTest::newRow("above int64") << QByteArray("9223372036854775808") << dbl;
    QTest::newRow("huge integer") << QByteArray("123456789012345678901234567890") << dbl;
    QTest::newRow("double") << QByteArray("1.5") << dbl;
    QTest::newRow("integral double") << QByteArray("2.0") << longLong; // QJsonDocument stores it as an integer
    QTest::newRow("exponent") << QByteArray("-1.25e-7") << dbl;
    QTest::newRow("exponent integral") << QByteArray("1E3") << longLong;
    QTest::newRow("integral double above int64") << QByteArray("1e19") << dbl;
    QTest::newRow("int64 min as double") << QByteArray("-9223372036854775809") << longLong; // rounds to -2^63
    QTest::newRow("negative zero double") << QByteArray("-0.0") << longLong;
    QTest::newRow("large double") << QByteArray("1.7976931348623157e308") << dbl;
    QTest::newRow("shortest round trip") << QByteArray("0.1") << dbl;
    QTest::newRow("true") << QByteArray("true") << int(QMetaType::Bool);
    QTest::newRow("false") << QByteArray("false") << int(QMetaType::Bool);
    QTest::newRow("null") << QByteArray("null") << int(QMetaType::Nullptr);
    QTest::newRow("empty string") << QByteArray(R"("")") << string;
    QTest::newRow("ascii") << QByteArray(R"("Bubbles")") << string;
    QTest::newRow("utf-8") << QByteArray("\"gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93 \xf0\x9f\x98\x80\"") << string;
    QTest::newRow("escapes") << QByteArray(R"("a\"b\\c\/d\be\ff\ng\rh\ti")") << string;
    QTest::newRow("unicode escapes") << QByteArray(R"("\u00e9\u4e2d\uD83D\uDE00\u0041")") << string;
    QTest::newRow("escaped nul") << QByteArray(R"("a\u0000b")") << string;
    QTest::newRow("lone high surrogate") << QByteArray(R"("a\ud800b")") << string;
    QTest::newRow("lone low surrogate") << QByteArray(R"("\udc00")") << string;
    QTest::newRow("object") << QByteArray(R"({"a": 1, "b": [true, null, "x\u00e9"], "c": {"d": 2.5}})") << int(QMetaType::QVariantMap);
    QTest::newRow("empty object") << QByteArray("{}") << int(QMetaType::QVariantMap);
    QTest::newRow("array") << QByteArray(R"([1, "two", [3], {"four": 4}])") << int(QMetaType::QVariantList);
    QTest::newRow("empty array") << QByteArray("[ ]") << int(QMetaType::QVariantList);
    QTest::newRow("strings with brackets") << QByteArray(R"(["]", "}", "\"]"])") << int(QMetaType::QVariantList);
}

// Every JSON value type round trips through the packed rows to what
// QJsonValue::toVariant() gives, by every way in: snapshot body, snapshot
// array, create event; and out: data(), a column role, row(), get().
void TestTableModel::cellValues()
{
    QFETCH(QByteArray, cell);
    QFETCH(int, type);
    const QByteArray body = "[{\"id\": 1, \"v\": " + cell + "}]";
    QJsonParseError error;
    const QJsonArray rows = QJsonDocument::fromJson(body, &error).array();
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QVariant expected = rows.at(0).toObject().value(u"v"_s).toVariant();
    QCOMPARE(expected.typeId(), type);

    for (int way = 0; way < 3; ++way) {
        Fixture f(cells());
        if (way == 0) {
            // The reader leaves only lone surrogates to QJsonDocument (UTF-8 cannot hold them).
            FallbackWatch watch;
            QVERIFY(TableModelPrivate::get(&f.model)->replaceRowsFromJson(body));
            QCOMPARE(FallbackWatch::fellBack(), cell.contains("\\ud800") || cell.contains("\\udc00"));
        } else if (way == 1)
            TableModelPrivate::get(&f.model)->replaceRows(rows);
        else
            TableModelPrivate::get(&f.model)->applyCreated(rows);
        QCOMPARE(f.model.count(), 1);
        const QVariant value = f.model.data(f.model.index(0, 1), Qt::EditRole);
        QCOMPARE(value.typeId(), type);
        // Views get JSON text for objects and arrays, the value itself otherwise.
        const QVariant display = f.model.data(f.model.index(0, 1));
        if (type == QMetaType::QVariantMap || type == QMetaType::QVariantList)
            QCOMPARE(display, QVariant(QString::fromUtf8(QJsonDocument::fromVariant(expected).toJson(QJsonDocument::Compact))));
        else
            QCOMPARE(display, expected);
        QCOMPARE(value, expected);
        if (type == QMetaType::Double) // bit for bit, not just ==
            QCOMPARE(QByteArray::number(value.toDouble(), 'g', 17), QByteArray::number(expected.toDouble(), 'g', 17));
        QCOMPARE(f.model.data(f.model.index(0, 0), Qt::UserRole + 2), expected);
        QCOMPARE(f.model.row(0).value(u"v"_s), expected);
        QCOMPARE(f.model.get({1}).value(0).toMap().value(u"v"_s), expected);
        QCOMPARE(f.model.data(f.model.index(0, 0)), QVariant(qlonglong(1)));

        // The same value again is no change; another one is.
        Signals s(&f.model);
        TableModelPrivate::get(&f.model)->replaceRows(rows);
        QCOMPARE(s.changes(), QString());
        QVERIFY(TableModelPrivate::get(&f.model)->replaceRowsFromJson(body));
        QCOMPARE(s.changes(), QString());
        QVERIFY(TableModelPrivate::get(&f.model)->replaceRowsFromJson(R"([{"id": 1, "v": "other"}])"));
        QCOMPARE(s.changes(), u"0:1-0:1"_s);
        QVERIFY(s.consistent());
    }
}

// Keys of mixed types (a jsonb key) sort the same by both snapshot paths and
// by events, in QVariant's order; strings in QString's (UTF-16) order, which
// differs from UTF-8 byte order above U+FFFF.
// One key column holding every JSON kind (a jsonb key, or a misbehaving
// server): a total order, the same whichever way the rows arrive.
void TestTableModel::keyOrderAcrossJsonKinds()
{
    const QList<QByteArray> sorted = {"null", "false", "true", "-7", "2.5", "10", R"("")", R"("a")", "[]", "[1]",
                                      "[1,2]", R"([1,"x"])", "[2]", "{}", R"({"a":1})", R"({"a":2})", R"({"a":2,"b":0})",
                                      R"({"b":0})"};
    QJsonArray rows;
    for (const QByteArray &key : sorted)
        rows.append(QJsonDocument::fromJson("[{\"id\": " + key + ", \"v\": " + key + "}]").array().at(0));
    QCOMPARE(rows.size(), sorted.size());
    QJsonArray shuffled; // every third row first, then the others backwards
    for (qsizetype i = 0; i < rows.size(); i += 3)
        shuffled.append(rows.at(i));
    for (qsizetype i = rows.size() - 1; i >= 0; --i) {
        if (i % 3)
            shuffled.append(rows.at(i));
    }
    QCOMPARE(shuffled.size(), rows.size());
    for (const QJsonArray &input : {rows, shuffled, QJsonArray()}) {
        Fixture f(cells());
        if (input.isEmpty()) { // one event each, last first
            for (qsizetype i = rows.size() - 1; i >= 0; --i)
                TableModelPrivate::get(&f.model)->applyCreated(QJsonArray{rows.at(i)});
        } else {
            TableModelPrivate::get(&f.model)->replaceRows(input);
        }
        QCOMPARE(f.model.count(), int(sorted.size()));
        for (int row = 0; row < f.model.count(); ++row) {
            QCOMPARE(QJsonDocument::fromVariant(QVariantList{f.model.keyOf(row).value(0)}).toJson(QJsonDocument::Compact),
                     "[" + sorted.at(row) + "]");
            QCOMPARE(f.model.indexOfKey(f.model.keyOf(row)), row);
        }
    }
}

void TestTableModel::keyOrderMixedTypes()
{
    const QByteArray body = "[" R"({"id": "b"}, {"id": 3}, {"id": null}, {"id": 2.5}, {"id": "a"}, {"id": 10},)"
                            R"({"id": "\uff21"}, {"id": "\ud83d\ude00"}, {"id": "\u00e9"}, {"id": ""}, {"id": "Z"},)"
                            R"({"id": -7}, {"id": 9223372036854775807}, {"id": 1e300}, {"id": "aa"}, {"id": "a\u0000"}])";
    const QJsonArray rows = QJsonDocument::fromJson(body).array();
    QCOMPARE(rows.size(), 16);

    Fixture fromJson(cells());
    {
        FallbackWatch watch;
        QVERIFY(TableModelPrivate::get(&fromJson.model)->replaceRowsFromJson(body));
        QVERIFY(!FallbackWatch::fellBack());
    }
    Fixture fromArray(cells());
    TableModelPrivate::get(&fromArray.model)->replaceRows(rows);
    Fixture fromEvents(cells());
    for (const QJsonValue &row : rows)
        TableModelPrivate::get(&fromEvents.model)->applyCreated(QJsonArray{row});

    QCOMPARE(fromJson.model.count(), 16);
    QCOMPARE(contents(fromJson.model), contents(fromArray.model));
    QCOMPARE(contents(fromJson.model), contents(fromEvents.model));
    for (int row = 0; row < fromJson.model.count(); ++row)
        QCOMPARE(fromJson.model.indexOfKey(fromJson.model.keyOf(row)), row);

    // Null first, numbers by value; strings among themselves as QString orders them.
    QCOMPARE(fromJson.model.keyOf(0).at(0).typeId(), int(QMetaType::Nullptr));
    QStringList strings;
    QList<double> numbers;
    for (int row = 0; row < fromJson.model.count(); ++row) {
        const QVariant key = fromJson.model.keyOf(row).at(0);
        if (key.typeId() == QMetaType::QString)
            strings.append(key.toString());
        else if (key.typeId() == QMetaType::LongLong || key.typeId() == QMetaType::Double)
            numbers.append(key.toDouble());
    }
    QStringList sortedStrings = strings;
    sortedStrings.sort();
    QCOMPARE(strings, sortedStrings);
    QVERIFY(strings.indexOf(u"\U0001F600"_s) < strings.indexOf(u"\uff21"_s)); // surrogates sort below U+FF21
    QVERIFY(std::is_sorted(numbers.cbegin(), numbers.cend()));
    QCOMPARE(numbers.size(), 6);

    // Look-ups by key of any numeric type and by string.
    QVERIFY(fromJson.model.indexOfKey({2.5}) >= 0);
    QVERIFY(fromJson.model.indexOfKey({10}) >= 0);
    QVERIFY(fromJson.model.indexOfKey({10.0}) >= 0);
    QVERIFY(fromJson.model.indexOfKey({u"\U0001F600"_s}) >= 0);
    QVERIFY(fromJson.model.indexOfKey({QString(u"a"_s + QChar(0))}) >= 0);
    QCOMPARE(fromJson.model.indexOfKey({u"c"_s}), -1);
}

void TestTableModel::malformedSnapshot_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("isArray"); // else a warning, and the model empties as it always did

    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("not json") << QByteArray("<html>oops</html>") << false;
    QTest::newRow("object") << QByteArray(R"({"message": "no"})") << false;
    QTest::newRow("truncated") << QByteArray(R"([{"id": 1, "v": "abc)") << false;
    QTest::newRow("truncated after row") << QByteArray(R"([{"id": 1},)") << false;
    QTest::newRow("garbage after") << QByteArray(R"([{"id": 1}] x)") << false;
    QTest::newRow("bad literal") << QByteArray(R"([{"id": 1, "v": tru}])") << false;
    QTest::newRow("bad number") << QByteArray(R"([{"id": 01}])") << false;
    QTest::newRow("unknown escape") << QByteArray(R"([{"id": 1, "v": "\x"}])") << true; // QJsonDocument lets it pass
    QTest::newRow("bad nested") << QByteArray(R"([{"id": 1, "v": {"a": }}])") << false;
    QTest::newRow("unbalanced nested") << QByteArray(R"([{"id": 1, "v": [1}]}])") << false;
    QTest::newRow("control character") << QByteArray("[{\"id\": 1, \"v\": \"a\tb\"}]") << true; // likewise
    QTest::newRow("number out of range") << QByteArray(R"([{"id": 1, "v": 1e999}])") << false;
    // Valid JSON in another shape: QJsonDocument's reading, unchanged.
    QTest::newRow("empty array") << QByteArray(" [ ] ") << true;
    QTest::newRow("scalars") << QByteArray("[1, \"x\", null]") << true;
    QTest::newRow("duplicate key") << QByteArray(R"([{"id": 1, "v": 1, "v": 2}])") << true;
    QTest::newRow("keys out of order") << QByteArray(R"([{"v": "x", "id": 2}, {"id": 1}])") << true;
    QTest::newRow("unknown keys") << QByteArray(R"([{"id": 1, "w": {"deep": [1]}, "v": 3}])") << true;
    // A key with escapes and then a value with escapes share the reader's scratch buffer.
    QTest::newRow("escaped keys") << QByteArray(R"([{"i\u0064": 1, "\u0076": "a\"b"}, {"id": 2, "v\u0021": "c\\d", "v": "e\u00e9"}])") << true;
    QTest::newRow("missing key column") << QByteArray(R"([{"v": 3}])") << true;
    QTest::newRow("lone surrogate") << QByteArray(R"([{"id": 1, "v": "\ud800"}])") << true;
    QTest::newRow("tiny double") << QByteArray(R"([{"id": 1, "v": 1e-400}])") << false;
    QTest::newRow("whitespace") << QByteArray("\r\n[\t{ \"id\" : 1 , \"v\" : [ 1 , 2 ] } ]\n") << true;
    QTest::newRow("negative zero") << QByteArray(R"([{"id": -0, "v": -0.0}])") << true;
    QTest::newRow("deep nesting") << QByteArray("[{\"id\": 1, \"v\": " + QByteArray(300, '[') + QByteArray(300, ']') + "}]") << true;
    QTest::newRow("invalid utf-8") << QByteArray("[{\"id\": 1, \"v\": \"\xff\xfe\"}]") << QJsonDocument::fromJson("[\"\xff\xfe\"]").isArray();
    QTest::newRow("surrogate in utf-8") << QByteArray("[{\"id\": 1, \"v\": \"\xed\xa0\x80\"}]") << QJsonDocument::fromJson("[\"\xed\xa0\x80\"]").isArray();
}

// Whatever the body, replaceRowsFromJson() leaves the model as
// replaceRows(QJsonDocument::fromJson(body).array()) does, with consistent
// signals; a body that is no JSON array changes nothing and returns false.
void TestTableModel::malformedSnapshot()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, isArray);
    const QByteArray start = R"([{"id": 1, "v": "one"}, {"id": 5, "v": "five"}])";

    Fixture expected(cells());
    QVERIFY(TableModelPrivate::get(&expected.model)->replaceRowsFromJson(start));
    if (isArray) // anything else leaves the rows as they were
        TableModelPrivate::get(&expected.model)->replaceRows(QJsonDocument::fromJson(body).array());

    Fixture f(cells());
    QVERIFY(TableModelPrivate::get(&f.model)->replaceRowsFromJson(start));
    Signals s(&f.model);
    if (!isArray)
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"cells snapshot is not (valid JSON|a JSON array)"_s));
    QCOMPARE(TableModelPrivate::get(&f.model)->replaceRowsFromJson(body), isArray);
    QVERIFY(s.consistent());
    QCOMPARE(contents(f.model), contents(expected.model));
    for (int row = 0; row < f.model.count(); ++row)
        QCOMPARE(f.model.indexOfKey(f.model.keyOf(row)), row);
}

void TestTableModel::applyCreated_data()
{
    QTest::addColumn<QJsonArray>("rows");
    QTest::addColumn<QString>("inserts");
    QTest::addColumn<QString>("changes");
    QTest::addColumn<QStringList>("result");

    const QStringList std = keys(standardPets());
    QStringList result;

    result = std;
    result.insert(2, u"Dog/Husky/Max"_s);
    QTest::newRow("middle") << QJsonArray{pet(u"Dog"_s, u"Husky"_s, u"Max"_s)} << u"2-2"_s << QString() << result;

    result = std;
    result.insert(2, u"Dog/Husky/Max"_s);
    result.insert(3, u"Dog/Husky/Zed"_s);
    QTest::newRow("one run") << QJsonArray{pet(u"Dog"_s, u"Husky"_s, u"Zed"_s), pet(u"Dog"_s, u"Husky"_s, u"Max"_s)}
                             << u"2-3"_s << QString() << result;

    result = std;
    result.insert(0, u"Bird/Parrot/Polly"_s);
    result.insert(6, u"Fish/Koi/Carp"_s);
    QTest::newRow("two runs") << QJsonArray{pet(u"Fish"_s, u"Koi"_s, u"Carp"_s), pet(u"Bird"_s, u"Parrot"_s, u"Polly"_s)}
                              << u"0-0 6-6"_s << QString() << result;

    result = std;
    result.append(u"Fish/Zebra/Zed"_s);
    QTest::newRow("end") << QJsonArray{pet(u"Fish"_s, u"Zebra"_s, u"Zed"_s)} << u"6-6"_s << QString() << result;

    QTest::newRow("present key") << QJsonArray{pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 7)} << QString() << u"3:3-3:3"_s << std;
    QTest::newRow("present, identical") << QJsonArray{standardPets()[3]} << QString() << QString() << std;

    result = std;
    result.insert(4, u"Fish/Koi/Axel"_s);
    QTest::newRow("present and new") << QJsonArray{pet(u"Fish"_s, u"Koi"_s, u"Axel"_s), pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 7)}
                                     << u"4-4"_s << u"3:3-3:3"_s << result;
}

void TestTableModel::applyCreated()
{
    QFETCH(QJsonArray, rows);
    QFETCH(QString, inserts);
    QFETCH(QString, changes);
    QFETCH(QStringList, result);

    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);

    TableModelPrivate::get(&f.model)->applyCreated(rows);

    QCOMPARE(s.inserts(), inserts);
    QCOMPARE(s.removes(), QString());
    QCOMPARE(s.changes(), changes);
    QVERIFY(s.consistent());
    QCOMPARE(s.count.size(), result.size() == 6 ? 0 : 1);
    QCOMPARE(keys(f.model), result);
    for (const QJsonValue &value : rows) {
        const int row = f.model.indexOfKey({value[u"type"_s].toVariant(), value[u"breed"_s].toVariant(), value[u"name"_s].toVariant()});
        QCOMPARE(f.model.row(row), value.toObject().toVariantMap());
    }
}

void TestTableModel::createdPayload()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    QSignalSpy created(&f.model, &TableModel::created);

    const QJsonArray rows{pet(u"Dog"_s, u"Husky"_s, u"Max"_s, 3), pet(u"Bird"_s, u"Parrot"_s, u"Polly"_s)};
    TableModelPrivate::get(&f.model)->applyCreated(rows);

    QCOMPARE(created.size(), 1);
    const QVariantList payload = created.at(0).at(0).toList();
    QCOMPARE(payload.size(), 2);
    QCOMPARE(payload.at(0).toMap(), rows[0].toObject().toVariantMap());
    QCOMPARE(payload.at(1).toMap().value(u"name"_s).toString(), u"Polly"_s);
}

void TestTableModel::applyUpdated_data()
{
    QTest::addColumn<QJsonArray>("oldRows");
    QTest::addColumn<QJsonArray>("newRows");
    QTest::addColumn<QString>("inserts");
    QTest::addColumn<QString>("removes");
    QTest::addColumn<QString>("changes");
    QTest::addColumn<QStringList>("result");

    const QJsonArray std = standardPets();
    const QStringList stdKeys = keys(std);
    QStringList result;

    QTest::newRow("same key") << QJsonArray{std[3]} << QJsonArray{pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 3, true)}
                              << QString() << QString() << u"3:4-3:4"_s << stdKeys;
    QTest::newRow("same values") << QJsonArray{std[3]} << QJsonArray{std[3]}
                                 << QString() << QString() << QString() << stdKeys;

    // Tom moves to the end: out at 0, in after Neon.
    result = stdKeys.mid(1);
    result.append(u"Fish/Tetra/Tom"_s);
    QTest::newRow("key change") << QJsonArray{std[0]} << QJsonArray{pet(u"Fish"_s, u"Tetra"_s, u"Tom"_s, 1)}
                                << u"5-5"_s << u"0-0"_s << QString() << result;

    result = stdKeys;
    result.insert(2, u"Dog/Husky/Max"_s);
    QTest::newRow("absent key") << QJsonArray{pet(u"Dog"_s, u"Husky"_s, u"Max"_s)} << QJsonArray{pet(u"Dog"_s, u"Husky"_s, u"Max"_s, 1)}
                                << u"2-2"_s << QString() << QString() << result;

    // The new key already exists: the old row goes, the other one changes.
    result = stdKeys;
    result.removeAt(3);
    QTest::newRow("key change onto present") << QJsonArray{std[3]} << QJsonArray{pet(u"Fish"_s, u"Koi"_s, u"Bubbles"_s, 3, true)}
                                             << QString() << u"3-3"_s << u"3:3-3:3"_s << result;

    // The old image may hold only the key (replica identity default).
    QJsonObject keyOnly = std[1].toObject();
    keyOnly.remove(u"color"_s);
    keyOnly.remove(u"groomed"_s);
    QTest::newRow("key-only old image") << QJsonArray{keyOnly} << QJsonArray{pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 7)}
                                        << QString() << QString() << u"1:3-1:3"_s << stdKeys;

    QTest::newRow("two pairs") << QJsonArray{std[1], std[5]}
                               << QJsonArray{pet(u"Dog"_s, u"Beagle"_s, u"Rex"_s, 7), pet(u"Fish"_s, u"Tetra"_s, u"Neon"_s, 5, true)}
                               << QString() << QString() << u"1:3-1:3 5:4-5:4"_s << stdKeys;
}

void TestTableModel::applyUpdated()
{
    QFETCH(QJsonArray, oldRows);
    QFETCH(QJsonArray, newRows);
    QFETCH(QString, inserts);
    QFETCH(QString, removes);
    QFETCH(QString, changes);
    QFETCH(QStringList, result);

    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);

    TableModelPrivate::get(&f.model)->applyUpdated(oldRows, newRows);

    QCOMPARE(s.inserts(), inserts);
    QCOMPARE(s.removes(), removes);
    QCOMPARE(s.changes(), changes);
    QVERIFY(s.consistent());
    QCOMPARE(s.count.size(), result.size() == 6 ? 0 : 1);
    QCOMPARE(keys(f.model), result);
    for (const QJsonValue &value : newRows) {
        const int row = f.model.indexOfKey({value[u"type"_s].toVariant(), value[u"breed"_s].toVariant(), value[u"name"_s].toVariant()});
        QCOMPARE(f.model.row(row), value.toObject().toVariantMap());
    }
}

void TestTableModel::updatedPayload()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    QSignalSpy updated(&f.model, &TableModel::updated);

    // The new image lacks "groomed" (an unchanged TOAST value): the cached one stays.
    QJsonObject partial = pet(u"Fish"_s, u"Koi"_s, u"Bubbles"_s, 8);
    partial.remove(u"groomed"_s);
    const QJsonArray oldRows{standardPets()[4]};
    const QJsonArray newRows{partial};
    TableModelPrivate::get(&f.model)->applyUpdated(oldRows, newRows);

    // The signal carries whole rows: the cached old row, the merged new one.
    QJsonObject merged = partial;
    merged.insert(u"groomed"_s, standardPets()[4][u"groomed"_s]);
    QCOMPARE(updated.size(), 1);
    QCOMPARE(updated.at(0).at(0).toList(), oldRows.toVariantList());
    QCOMPARE(updated.at(0).at(1).toList(), QJsonArray{merged}.toVariantList());
    QCOMPARE(f.model.data(f.model.index(4, 3)).toInt(), 8);
    QCOMPARE(f.model.data(f.model.index(4, 4)), QVariant(true));
}

void TestTableModel::applyDeleted_data()
{
    QTest::addColumn<QJsonArray>("rows");
    QTest::addColumn<QString>("removes");
    QTest::addColumn<QStringList>("result");

    const QJsonArray std = standardPets();
    const QStringList stdKeys = keys(std);
    QStringList result;

    result = stdKeys;
    result.removeAt(2);
    QTest::newRow("present") << QJsonArray{std[2]} << u"2-2"_s << result;
    QTest::newRow("absent") << QJsonArray{pet(u"Horse"_s, u"Arab"_s, u"Ned"_s)} << QString() << stdKeys;

    result = stdKeys;
    result.remove(1, 2);
    QTest::newRow("one run") << QJsonArray{std[2], std[1]} << u"1-2"_s << result;

    // Two runs, the lower one first so the upper row numbers stay valid.
    result = QStringList{stdKeys[1], stdKeys[2], stdKeys[5]};
    QTest::newRow("two runs, bottom up") << QJsonArray{std[0], std[3], std[4]} << u"3-4 0-0"_s << result;

    result = stdKeys;
    result.removeAt(5);
    const QJsonObject keyOnly{{u"type"_s, u"Fish"_s}, {u"breed"_s, u"Tetra"_s}, {u"name"_s, u"Neon"_s}};
    QTest::newRow("key-only image, absent too") << QJsonArray{keyOnly, pet(u"Horse"_s, u"Arab"_s, u"Ned"_s)} << u"5-5"_s << result;
    QTest::newRow("all") << reversed(std) << u"0-5"_s << QStringList();
    QTest::newRow("twice the same") << QJsonArray{std[0], std[0]} << u"0-0"_s << stdKeys.mid(1);
}

void TestTableModel::applyDeleted()
{
    QFETCH(QJsonArray, rows);
    QFETCH(QString, removes);
    QFETCH(QStringList, result);

    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);
    QSignalSpy deleted(&f.model, &TableModel::deleted);

    // The signal reports the cached whole rows that were there, in event order.
    QVariantList expected;
    for (const QJsonValue &v : rows) {
        const QVariantList key{v[u"type"_s].toVariant(), v[u"breed"_s].toVariant(), v[u"name"_s].toVariant()};
        const int row = f.model.indexOfKey(key);
        if (row >= 0 && !expected.contains(QVariant(f.model.row(row))))
            expected.append(f.model.row(row));
    }

    TableModelPrivate::get(&f.model)->applyDeleted(rows);

    QCOMPARE(s.removes(), removes);
    QCOMPARE(s.inserts(), QString());
    QCOMPARE(s.changed.size(), 0);
    QVERIFY(s.consistent());
    QCOMPARE(s.count.size(), result.size() == 6 ? 0 : 1);
    QCOMPARE(keys(f.model), result);
    QCOMPARE(deleted.size(), expected.isEmpty() ? 0 : 1);
    if (!expected.isEmpty())
        QCOMPARE(deleted.at(0).at(0).toList(), expected);
}

void TestTableModel::applyTruncated()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);
    QSignalSpy deleted(&f.model, &TableModel::deleted);
    QSignalSpy truncated(&f.model, &TableModel::truncated);
    // The rows are gone by the time truncated() comes.
    connect(&f.model, &TableModel::truncated, this, [&f] { QCOMPARE(f.model.rowCount(), 0); });

    QVERIFY(Internal::applyServerChange(&f.model, Internal::decodeServerChange(QJsonObject{
        {u"action"_s, u"truncate"_s}, {u"table"_s, u"pets"_s}, {u"rows"_s, QJsonArray()}})));

    QCOMPARE(s.removes(), u"0-5"_s);
    QVERIFY(s.consistent());
    QCOMPARE(f.model.rowCount(), 0);
    QCOMPARE(truncated.size(), 1);
    QCOMPARE(deleted.size(), 0);
}

void TestTableModel::get_data()
{
    QTest::addColumn<QVariantList>("prefix");
    QTest::addColumn<QStringList>("names");

    QTest::newRow("empty prefix") << QVariantList()
                                  << QStringList{u"Tom"_s, u"Rex"_s, u"Fifi"_s, u"Aqui"_s, u"Bubbles"_s, u"Neon"_s};
    QTest::newRow("type") << QVariantList{u"Dog"_s} << QStringList{u"Rex"_s, u"Fifi"_s};
    QTest::newRow("first type") << QVariantList{u"Cat"_s} << QStringList{u"Tom"_s};
    QTest::newRow("last type") << QVariantList{u"Fish"_s} << QStringList{u"Aqui"_s, u"Bubbles"_s, u"Neon"_s};
    QTest::newRow("type and breed") << QVariantList{u"Fish"_s, u"Koi"_s} << QStringList{u"Aqui"_s, u"Bubbles"_s};
    QTest::newRow("full key") << QVariantList{u"Fish"_s, u"Koi"_s, u"Bubbles"_s} << QStringList{u"Bubbles"_s};
    QTest::newRow("no type") << QVariantList{u"Horse"_s} << QStringList();
    QTest::newRow("before all") << QVariantList{u"Ant"_s} << QStringList();
    QTest::newRow("no breed") << QVariantList{u"Dog"_s, u"Husky"_s} << QStringList();
    QTest::newRow("too long") << QVariantList{u"Fish"_s, u"Koi"_s, u"Aqui"_s, 3} << QStringList();
}

void TestTableModel::get()
{
    QFETCH(QVariantList, prefix);
    QFETCH(QStringList, names);

    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(reversed(standardPets()));

    const QVariantList rows = f.model.get(prefix);
    QStringList got;
    for (const QVariant &row : rows)
        got.append(row.toMap().value(u"name"_s).toString());
    QCOMPARE(got, names);
    if (!rows.isEmpty())
        QCOMPARE(rows.first().toMap().size(), 5);
}

void TestTableModel::indexOfKey_data()
{
    QTest::addColumn<QVariantList>("key");
    QTest::addColumn<int>("row");

    QTest::newRow("first") << QVariantList{u"Cat"_s, u"Siamese"_s, u"Tom"_s} << 0;
    QTest::newRow("middle") << QVariantList{u"Fish"_s, u"Koi"_s, u"Aqui"_s} << 3;
    QTest::newRow("last") << QVariantList{u"Fish"_s, u"Tetra"_s, u"Neon"_s} << 5;
    QTest::newRow("absent") << QVariantList{u"Fish"_s, u"Koi"_s, u"Carp"_s} << -1;
    QTest::newRow("prefix only") << QVariantList{u"Fish"_s, u"Koi"_s} << -1;
    QTest::newRow("empty") << QVariantList() << -1;
}

void TestTableModel::indexOfKey()
{
    QFETCH(QVariantList, key);
    QFETCH(int, row);

    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    QCOMPARE(f.model.indexOfKey(key), row);
    if (row >= 0)
        QCOMPARE(f.model.keyOf(row), key);
}

void TestTableModel::integerKeys()
{
    Fixture f(numbers());
    const auto number = [](int id) { return QJsonObject{{u"id"_s, id}, {u"label"_s, QString::number(id)}}; };
    TableModelPrivate::get(&f.model)->replaceRows(QJsonArray{number(10), number(2), number(33), number(1)});

    QList<int> ids;
    for (int row = 0; row < f.model.rowCount(); ++row)
        ids.append(f.model.keyOf(row).at(0).toInt());
    QCOMPARE(ids, QList<int>({1, 2, 10, 33})); // as text, "10" would sort before "2"

    // Keys from callers may be int, qlonglong or double: compared by value.
    QCOMPARE(f.model.indexOfKey({10}), 2);
    QCOMPARE(f.model.indexOfKey({qlonglong(33)}), 3);
    QCOMPARE(f.model.indexOfKey({2.0}), 1);
    QCOMPARE(f.model.indexOfKey({3}), -1);
    QCOMPARE(f.model.get({2}).size(), 1);

    Signals s(&f.model);
    TableModelPrivate::get(&f.model)->applyCreated(QJsonArray{number(9)});
    QCOMPARE(s.inserts(), u"2-2"_s);

    // Null sorts before every value (the order must be total for the binary search).
    TableModelPrivate::get(&f.model)->applyCreated(QJsonArray{QJsonObject{{u"id"_s, QJsonValue::Null}, {u"label"_s, u"none"_s}}});
    QCOMPARE(s.inserts(), u"2-2 0-0"_s);
    QCOMPARE(f.model.indexOfKey({QVariant::fromValue(nullptr)}), 0);
    QCOMPARE(f.model.indexOfKey({1}), 1);
    QVERIFY(s.consistent());
}

void TestTableModel::dataAndRoles()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());

    const QHash<int, QByteArray> roles = f.model.roleNames();
    QCOMPARE(roles.value(Qt::DisplayRole), QByteArray("display"));
    QCOMPARE(roles.value(Qt::UserRole + 1), QByteArray("type"));
    QCOMPARE(roles.value(Qt::UserRole + 4), QByteArray("color"));
    QCOMPARE(roles.value(Qt::UserRole + 5), QByteArray("groomed"));
    QVERIFY(!roles.contains(Qt::UserRole + 6));

    const QModelIndex bubbles = f.model.index(4, 0);
    QCOMPARE(f.model.data(bubbles).toString(), u"Fish"_s);
    QCOMPARE(f.model.data(bubbles, Qt::EditRole).toString(), u"Fish"_s);
    // A column role reads any column through any index of the row.
    QCOMPARE(f.model.data(bubbles, Qt::UserRole + 3).toString(), u"Bubbles"_s);
    QCOMPARE(f.model.data(bubbles, Qt::UserRole + 4).toInt(), 4);
    const QVariant groomed = f.model.data(f.model.index(4, 4));
    QCOMPARE(groomed.metaType(), QMetaType::fromType<bool>());
    QCOMPARE(groomed.toBool(), true);
    QVERIFY(f.model.data(f.model.index(2, 3)).isNull()); // Fifi has no color
    QVERIFY(!f.model.data(bubbles, Qt::UserRole + 6).isValid());
    QVERIFY(!f.model.data(bubbles, Qt::DecorationRole).isValid());
    QVERIFY(!f.model.data(QModelIndex()).isValid());

    QCOMPARE(f.model.rowCount(bubbles), 0);
    QCOMPARE(f.model.columnCount(bubbles), 0);
    QCOMPARE(f.model.columnCount(), 5);
    QCOMPARE(f.model.count(), 6);
    QCOMPARE(f.model.name(), u"pets"_s);
    QCOMPARE(f.model.columnNames(), QStringList({u"type"_s, u"breed"_s, u"name"_s, u"color"_s, u"groomed"_s}));
    QCOMPARE(f.model.primaryKey(), QStringList({u"type"_s, u"breed"_s, u"name"_s}));
    QCOMPARE(f.model.row(4), standardPets()[4].toObject().toVariantMap());
    QVERIFY(f.model.row(6).isEmpty());
    QVERIFY(f.model.row(-1).isEmpty());
}

void TestTableModel::headers()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());

    QCOMPARE(f.model.headerData(2, Qt::Horizontal).toString(), u"name"_s);
    QCOMPARE(f.model.headerData(3, Qt::Horizontal, Qt::ToolTipRole).toString(), u"integer"_s);
    const QString breedTip = f.model.headerData(1, Qt::Horizontal, Qt::ToolTipRole).toString();
    QVERIFY2(breedTip.contains(u"text"_s) && breedTip.contains(u"Kind of the type"_s), qPrintable(breedTip));
    QVERIFY(!f.model.headerData(5, Qt::Horizontal).isValid());
    QCOMPARE(f.model.headerData(0, Qt::Vertical).toInt(), 1);
    QCOMPARE(f.model.headerData(5, Qt::Vertical).toInt(), 6);
    QVERIFY(!f.model.headerData(6, Qt::Vertical).isValid());
}

void TestTableModel::flags_data()
{
    QTest::addColumn<bool>("canUpdate");
    QTest::addColumn<bool>("keyed");
    QTest::addColumn<bool>("editable");

    QTest::newRow("may update") << true << true << true;
    QTest::newRow("read-only") << false << true << false;
    QTest::newRow("no key") << true << false << false;
}

void TestTableModel::flags()
{
    QFETCH(bool, canUpdate);
    QFETCH(bool, keyed);
    QFETCH(bool, editable);

    TableSchema schema = keyed ? pets() : unkeyed();
    schema.canUpdate = canUpdate;
    Fixture f(schema);
    TableModelPrivate::get(&f.model)->replaceRows(keyed ? standardPets() : QJsonArray{QJsonObject{{u"at"_s, 1}, {u"text"_s, u"x"_s}}});

    const Qt::ItemFlags flags = f.model.flags(f.model.index(0, 1));
    QVERIFY(flags & Qt::ItemIsSelectable);
    QVERIFY(flags & Qt::ItemIsEnabled);
    QCOMPARE(bool(flags & Qt::ItemIsEditable), editable);
    QCOMPARE(f.model.isEditable(), canUpdate);
    QCOMPARE(f.model.flags(QModelIndex()), Qt::NoItemFlags);
}

void TestTableModel::setDataSendsPatch()
{
    Fixture f(pets());
    FakeTransport transport;
    TableModelPrivate::get(&f.model)->setWriteTransport(&transport);
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);

    const QModelIndex aquiColor = f.model.index(3, 3);
    QVERIFY(!f.model.setData(aquiColor, 3));                  // same value: nothing to send
    QVERIFY(!f.model.setData(aquiColor, 9, Qt::DisplayRole)); // only EditRole edits
    QCOMPARE(transport.calls.size(), 0);

    QVERIFY(f.model.setData(aquiColor, 9));
    QCOMPARE(transport.calls.size(), 1);
    const FakeTransport::Call &call = transport.calls.first();
    QCOMPARE(call.method, QByteArray("PATCH"));
    QCOMPARE(call.table, u"pets"_s);
    QCOMPARE(call.keyPrefix, QVariantList({u"Fish"_s, u"Koi"_s, u"Aqui"_s}));
    QCOMPARE(json(call.body), QJsonValue(QJsonObject{{u"color"_s, 9}}));

    // Unchanged until the server's event arrives.
    QCOMPARE(f.model.data(aquiColor).toInt(), 3);
    QCOMPARE(s.changed.size(), 0);
    ReplyPrivate::get(call.reply)->finish(Reply::NoError, QString(), 200, {});
    QCOMPARE(f.model.data(aquiColor).toInt(), 3);
    QCOMPARE(s.changed.size(), 0);

    TableModelPrivate::get(&f.model)->applyUpdated(QJsonArray{standardPets()[3]}, QJsonArray{pet(u"Fish"_s, u"Koi"_s, u"Aqui"_s, 9)});
    QCOMPARE(f.model.data(aquiColor).toInt(), 9);
    QCOMPARE(s.changes(), u"3:3-3:3"_s);

    // Null through setData: a JSON null in the body.
    QVERIFY(f.model.setData(f.model.index(0, 3), QVariant::fromValue(nullptr)));
    QCOMPARE(transport.calls.size(), 2);
    QCOMPARE(json(transport.calls.at(1).body), QJsonValue(QJsonObject{{u"color"_s, QJsonValue::Null}}));
    QCOMPARE(transport.calls.at(1).keyPrefix, QVariantList({u"Cat"_s, u"Siamese"_s, u"Tom"_s}));
}

void TestTableModel::setDataFailure()
{
    Fixture f(pets());
    FakeTransport transport;
    TableModelPrivate::get(&f.model)->setWriteTransport(&transport);
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    QSignalSpy failed(&f.model, &TableModel::writeFailed);
    Signals s(&f.model);

    QVERIFY(f.model.setData(f.model.index(4, 4), false));
    QVERIFY(f.model.setData(f.model.index(1, 3), 5));
    QCOMPARE(transport.calls.size(), 2);

    // A row inserted above meanwhile: the refresh must follow the row's key.
    TableModelPrivate::get(&f.model)->applyCreated(QJsonArray{pet(u"Ant"_s, u"Black"_s, u"Al"_s)});
    s.changed.clear();

    ReplyPrivate::get(transport.calls.at(0).reply)->finish(Reply::Forbidden, u"permission denied"_s, 403, {});
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toString(), u"permission denied"_s);
    QCOMPARE(s.changes(), u"5:4-5:4"_s);

    ReplyPrivate::get(transport.calls.at(1).reply)->finish(Reply::NoError, QString(), 200, {});
    QCOMPARE(failed.size(), 1);
    QCOMPARE(s.changed.size(), 1);
    QVERIFY(s.consistent());
}

void TestTableModel::setDataWithoutTransport()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);
    QVERIFY(!f.model.setData(f.model.index(3, 3), 9));
    QCOMPARE(f.model.data(f.model.index(3, 3)).toInt(), 3);
    QCOMPARE(s.changed.size(), 0);
}

void TestTableModel::makeRow()
{
    Fixture f(pets());
    const QVariantMap row = f.model.makeRow({u"Fish"_s, u"Koi"_s, u"Aqui"_s}, {{u"color"_s, 3}});
    QCOMPARE(row, (QVariantMap{{u"type"_s, u"Fish"_s}, {u"breed"_s, u"Koi"_s}, {u"name"_s, u"Aqui"_s}, {u"color"_s, 3}}));

    // Fewer positional values fill the key's first columns; named values override.
    const QVariantMap partial = f.model.makeRow({u"Dog"_s}, {{u"type"_s, u"Cat"_s}, {u"groomed"_s, true}});
    QCOMPARE(partial, (QVariantMap{{u"type"_s, u"Cat"_s}, {u"groomed"_s, true}}));
    QVERIFY(f.model.makeRow({}).isEmpty());
}

void TestTableModel::writes_data()
{
    QTest::addColumn<QString>("operation");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QVariantList>("prefix");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("create one") << u"create"_s << QByteArray("POST") << QVariantList()
                                << QByteArray(R"({"type":"Dog","breed":"Husky","name":"Max","color":2})");
    QTest::newRow("create several") << u"createMany"_s << QByteArray("POST") << QVariantList()
                                    << QByteArray(R"([{"type":"Dog","breed":"Husky","name":"Max","color":2},{"type":"Dog","breed":"Husky","name":"Zed"}])");
    QTest::newRow("update") << u"update"_s << QByteArray("PATCH") << QVariantList{u"Fish"_s, u"Koi"_s}
                            << QByteArray(R"({"groomed":true})");
    QTest::newRow("remove") << u"remove"_s << QByteArray("DELETE") << QVariantList{u"Dog"_s} << QByteArray();
}

void TestTableModel::writes()
{
    QFETCH(QString, operation);
    QFETCH(QByteArray, method);
    QFETCH(QVariantList, prefix);
    QFETCH(QByteArray, body);

    Fixture f(pets());
    FakeTransport transport;
    TableModelPrivate::get(&f.model)->setWriteTransport(&transport);
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());
    Signals s(&f.model);

    const QVariantMap max = f.model.makeRow({u"Dog"_s, u"Husky"_s, u"Max"_s}, {{u"color"_s, 2}});
    Reply *reply = nullptr;
    if (operation == u"create")
        reply = f.model.create(max);
    else if (operation == u"createMany")
        reply = f.model.create(QList<QVariantMap>{max, f.model.makeRow({u"Dog"_s, u"Husky"_s, u"Zed"_s})});
    else if (operation == u"update")
        reply = f.model.update(prefix, {{u"groomed"_s, true}});
    else if (operation == u"remove")
        reply = f.model.remove(prefix);

    QCOMPARE(transport.calls.size(), 1);
    const FakeTransport::Call &call = transport.calls.first();
    QCOMPARE(reply, call.reply.data());
    QCOMPARE(call.method, method);
    QCOMPARE(call.table, u"pets"_s);
    QCOMPARE(call.keyPrefix, prefix);
    if (body.isEmpty())
        QCOMPARE(call.body, QByteArray());
    else
        QCOMPARE(json(call.body), json(body));

    // Writes never touch the rows themselves.
    QCOMPARE(f.model.count(), 6);
    QCOMPARE(s.inserts() + s.removes() + s.changes(), QString());
}

void TestTableModel::noTransport()
{
    Fixture f(pets());
    TableModelPrivate::get(&f.model)->replaceRows(standardPets());

    Reply *reply = f.model.update({u"Dog"_s}, {{u"color"_s, 1}});
    QVERIFY(reply);
    QCOMPARE(reply->parent(), &f.model);
    // Finished later, so a caller connecting after the call still hears it.
    QVERIFY(!reply->isFinished());
    QSignalSpy finished(reply, &Reply::finished);
    QVERIFY(finished.wait(1000));
    QCOMPARE(reply->error(), Reply::NetworkError);
    QVERIFY(!reply->errorString().isEmpty());

    Reply *created = f.model.create(QVariantMap{{u"type"_s, u"Dog"_s}});
    QSignalSpy createdFinished(created, &Reply::finished);
    QVERIFY(createdFinished.wait(1000));
    QCOMPARE(created->error(), Reply::NetworkError);
    QCOMPARE(f.model.count(), 6);
}

void TestTableModel::unkeyedTable()
{
    Fixture f(unkeyed());
    const auto entry = [](int at, const QString &text) { return QJsonObject{{u"at"_s, at}, {u"text"_s, text}}; };
    const auto texts = [&f] {
        QStringList result;
        for (int row = 0; row < f.model.rowCount(); ++row)
            result.append(f.model.data(f.model.index(row, 1)).toString());
        return result;
    };
    Signals s(&f.model);

    // Arrival order, not sorted.
    TableModelPrivate::get(&f.model)->replaceRows(QJsonArray{entry(3, u"c"_s), entry(1, u"a"_s), entry(2, u"b"_s)});
    QCOMPARE(texts(), QStringList({u"c"_s, u"a"_s, u"b"_s}));
    QCOMPARE(s.inserts(), u"0-2"_s);
    QCOMPARE(f.model.indexOfKey({3}), -1);
    QCOMPARE(f.model.get().size(), 3);
    QVERIFY(f.model.get({3}).isEmpty());

    TableModelPrivate::get(&f.model)->applyCreated(QJsonArray{entry(0, u"z"_s)});
    QCOMPARE(texts(), QStringList({u"c"_s, u"a"_s, u"b"_s, u"z"_s}));

    // Matched by the whole row: a row that differs in one value is another row.
    s.aboutToRemove.clear();
    TableModelPrivate::get(&f.model)->applyDeleted(QJsonArray{entry(1, u"x"_s), entry(1, u"a"_s)});
    QCOMPARE(s.removes(), u"1-1"_s);
    QCOMPARE(texts(), QStringList({u"c"_s, u"b"_s, u"z"_s}));

    s.changed.clear();
    TableModelPrivate::get(&f.model)->applyUpdated(QJsonArray{entry(2, u"b"_s)}, QJsonArray{entry(2, u"B"_s)});
    QCOMPARE(s.changes(), u"1:1-1:1"_s);
    QCOMPARE(texts(), QStringList({u"c"_s, u"B"_s, u"z"_s}));

    // A snapshot keeps the common head and tail and replaces the middle.
    s.aboutToInsert.clear();
    s.aboutToRemove.clear();
    TableModelPrivate::get(&f.model)->replaceRows(QJsonArray{entry(3, u"c"_s), entry(4, u"d"_s), entry(5, u"e"_s), entry(0, u"z"_s)});
    QCOMPARE(s.removes(), u"1-1"_s);
    QCOMPARE(s.inserts(), u"1-2"_s);
    QCOMPARE(texts(), QStringList({u"c"_s, u"d"_s, u"e"_s, u"z"_s}));
    QVERIFY(s.reset.isEmpty());
}

QTEST_GUILESS_MAIN(TestTableModel)
#include "tst_tablemodel.moc"
