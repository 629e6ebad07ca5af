// The client's snapshot readers, internal to the library: JsonRowReader fed
// a body piece by piece, and SnapshotReader, which Client uses to read a
// snapshot into its model while the body arrives. Whatever the cuts, the
// model ends as TableModel::replaceRowsFromJson() of the whole body leaves it.

#include "jsonrowreader.h"
#include "snapshotreader.h"
#include "tablemodel.h"
#include "tablemodel_p.h"
#include "tableschema.h"

#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace Aiodata;
using namespace Qt::StringLiterals;

namespace {

TableSchema cells()
{
    return TableSchema::fromJson(QJsonDocument::fromJson(R"({"name": "cells", "primaryKey": ["id"],
      "columns": [{"name": "id", "type": "bigint", "primaryKey": 1}, {"name": "v", "type": "jsonb"}]})")
                                     .object());
}

QList<QVariantList> contents(const TableModel &model)
{
    QList<QVariantList> rows;
    for (int row = 0; row < model.rowCount(); ++row) {
        QVariantList cells;
        for (int column = 0; column < model.columnCount(); ++column)
            cells.append(model.data(model.index(row, column), Qt::EditRole));
        rows.append(cells);
    }
    return rows;
}

} // namespace

class TestSnapshotReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void inPieces_data();
    void inPieces();
    void rowsAreReadAsTheyArrive();
    void elementCutShortIsReadOnceComplete();
};

void TestSnapshotReader::inPieces_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("pieceSize");

    const QList<std::pair<const char *, QByteArray>> bodies = {
        {"rows", R"([{"id": 1, "v": "one"}, {"id": 2, "v": 2.5}, {"id": 3, "v": null}, {"id": 4, "v": true}])"},
        {"escapes", R"([{"i\u0064": 1, "v": "a\"b\\c\u00e9\uD83D\uDE00"}, {"id": 2, "v": "\n\t"}])"},
        {"utf-8", "[{\"id\": 1, \"v\": \"gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x98\x80\"}]"},
        {"nested", R"([{"id": 1, "v": {"a": [1, "]}"], "b": {}}}, {"id": 2, "v": [[], {}]}])"},
        {"numbers", R"([{"id": -9223372036854775808, "v": 1.25e-7}, {"id": 12345678901, "v": -0.0}])"},
        {"whitespace", "\r\n [ \t{ \"id\" : 1 , \"v\" : 2 }\n,\n{\"id\":2,\"v\":3} ] \n"},
        {"empty array", "[]"},
        {"keys out of order", R"([{"v": "x", "id": 2}, {"id": 1}])"},
        {"unsorted", R"([{"id": 3}, {"id": 1}, {"id": 2}])"},
        // Other shapes: QJsonDocument reads them, or nobody does.
        {"scalars", R"([1, "x", null])"},
        {"lone surrogate", R"([{"id": 1, "v": "\ud800"}])"},
        {"truncated", R"([{"id": 1, "v": "abc)"},
        {"truncated after row", R"([{"id": 1},)"},
        {"garbage after", R"([{"id": 1}] x)"},
        {"not json", "<html>oops</html>"},
        {"empty", ""},
    };
    for (const auto &[name, body] : bodies) {
        for (int size : {1, 2, 3, 7, 16, 1000})
            QTest::addRow("%s, pieces of %d", name, size) << body << size;
    }
}

// Any cut, also inside a key, a string, an escape, a number or a literal,
// gives what reading the whole body gives: the same rows, the same return
// value, and for a body no model takes, the rows the model had.
void TestSnapshotReader::inPieces()
{
    QFETCH(QByteArray, body);
    QFETCH(int, pieceSize);
    const QByteArray before = R"([{"id": 1, "v": "old"}, {"id": 9, "v": "nine"}])";

    for (const bool filled : {false, true}) {
        TableModel whole(cells());
        TableModel pieces(cells());
        QAbstractItemModelTester tester(&pieces, QAbstractItemModelTester::FailureReportingMode::QtTest);
        if (filled) {
            QVERIFY(TableModelPrivate::get(&whole)->replaceRowsFromJson(before));
            QVERIFY(TableModelPrivate::get(&pieces)->replaceRowsFromJson(before));
        }
        if (!QJsonDocument::fromJson(body).isArray()) { // one warning each way
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"snapshot is not (valid JSON|a JSON array)"_s));
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"snapshot is not (valid JSON|a JSON array)"_s));
        }
        const bool expected = TableModelPrivate::get(&whole)->replaceRowsFromJson(body);

        Internal::SnapshotReader reader(&pieces);
        for (qsizetype at = 0; at < body.size(); at += pieceSize)
            reader.append(body.mid(at, pieceSize), at == 0 ? body.size() : -1);
        QCOMPARE(reader.finish(), expected);
        QCOMPARE(contents(pieces), contents(whole));
        for (int row = 0; row < pieces.rowCount(); ++row)
            QCOMPARE(pieces.indexOfKey(pieces.keyOf(row)), row);
    }
}

// The point of reading in pieces: each piece's complete rows are read when
// it comes, not when the body is complete.
void TestSnapshotReader::rowsAreReadAsTheyArrive()
{
    const QByteArray body = R"([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c"}])";
    const qsizetype cut = body.indexOf("\"b\"") + 1; // inside row 2's string
    Internal::JsonRowReader reader({u"id"_s, u"v"_s});
    reader.begin(body.size());
    QVERIFY(reader.feed(QByteArrayView(body).first(cut), false));
    QCOMPARE(reader.rowsRead(), 1);
    QVERIFY(reader.feed(QByteArrayView(body).first(body.size() - 1), false)); // all but the ]
    QCOMPARE(reader.rowsRead(), 3);
    QVERIFY(reader.feed(body, true));
    QCOMPARE(reader.takeRows().size(), 3);

    // Not the shape: known as soon as the bytes say so, and final.
    reader.begin();
    QVERIFY(!reader.feed("[1", false));
    QVERIFY(reader.errorString().contains(u"not an object"_s));
    QVERIFY(!reader.feed("[1, 2]", true));
}

// An element cut short is not an error until the body is complete; a body
// that ends inside one is. (It is read again only once what is unread has
// doubled, so a long one arriving byte by byte is not read for every byte.)
void TestSnapshotReader::elementCutShortIsReadOnceComplete()
{
    const QByteArray body = R"([{"id": 1, "v": ")" + QByteArray(10000, 'x') + R"("}, {"id": 2}])";
    Internal::JsonRowReader reader({u"id"_s, u"v"_s});
    reader.begin();
    for (qsizetype size = 1; size < body.size(); ++size)
        QVERIFY(reader.feed(QByteArrayView(body).first(size), false));
    QCOMPARE(reader.rowsRead(), 0); // the long element waits for twice its length, beyond the body
    QVERIFY(reader.feed(body, true));
    QCOMPARE(reader.rowsRead(), 2);
    QCOMPARE(reader.takeRows().size(), 2);

    reader.begin();
    QVERIFY(reader.feed(QByteArrayView(body).first(body.size() - 3), false));
    QVERIFY(!reader.feed(QByteArrayView(body).first(body.size() - 3), true));
    QVERIFY(!reader.errorString().isEmpty());
}

QTEST_GUILESS_MAIN(TestSnapshotReader)
#include "tst_snapshotreader.moc"
