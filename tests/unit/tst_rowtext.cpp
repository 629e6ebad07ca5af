// RowText::project and PgSql::shiftParameters: the two text surgeries live
// subsets need, pure, data-driven.

#include "fanout/rowtext.h"
#include "pg/pgsql.h"

#include <QtTest>

using namespace Aiodata::Server;

class tst_RowText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void project_data();
    void project();
    void shiftParameters_data();
    void shiftParameters();
};

void tst_RowText::project_data()
{
    QTest::addColumn<QByteArray>("row");
    QTest::addColumn<QStringList>("columns");
    QTest::addColumn<QByteArray>("expected");
    const QStringList idName{QStringLiteral("id"), QStringLiteral("name")};
    QTest::newRow("plain") << QByteArray(R"({"id":1,"name":"a","x":2})") << idName << QByteArray(R"({"id":1,"name":"a"})");
    // Digits beyond a double's, kept as written.
    QTest::newRow("numeric kept") << QByteArray(R"({"id":12345678901234567890.000000001,"v":1})")
                                  << QStringList{QStringLiteral("id")}
                                  << QByteArray(R"({"id":12345678901234567890.000000001})");
    QTest::newRow("escapes and nesting")
        << QByteArray(R"({"x":{"a":[1,{"}":"]"}]},"name":"q\"uo\\te,}","id":[1,[2]]})") << idName
        << QByteArray(R"({"name":"q\"uo\\te,}","id":[1,[2]]})");
    QTest::newRow("spaces as PostgreSQL writes them") << QByteArray(R"({ "id" : 1 , "name" : null, "z" : true })")
                                                      << idName << QByteArray(R"({"id":1,"name":null})");
    QTest::newRow("none selected") << QByteArray(R"({"a":1})") << idName << QByteArray("{}");
    QTest::newRow("empty object") << QByteArray("{}") << idName << QByteArray("{}");
    QTest::newRow("not an object") << QByteArray("[1]") << idName << QByteArray();
    QTest::newRow("unterminated string") << QByteArray(R"({"id":"abc)") << idName << QByteArray();
    QTest::newRow("unterminated object") << QByteArray(R"({"id":{"a":1)") << idName << QByteArray();
    QTest::newRow("missing colon") << QByteArray(R"({"id" 1})") << idName << QByteArray();
    QTest::newRow("empty") << QByteArray() << idName << QByteArray();
}

void tst_RowText::project()
{
    QFETCH(QByteArray, row);
    QFETCH(QStringList, columns);
    QFETCH(QByteArray, expected);
    QCOMPARE(RowText::project(row, columns), expected);
}

void tst_RowText::shiftParameters_data()
{
    QTest::addColumn<QByteArray>("sql");
    QTest::addColumn<int>("by");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("each") << QByteArray(R"("a" = $2 AND "b" IN ($3, $4))") << 10
                          << QByteArray(R"("a" = $12 AND "b" IN ($13, $14))");
    QTest::newRow("multi-digit") << QByteArray("$10 + $9") << 1 << QByteArray("$11 + $10");
    QTest::newRow("identifier with $1 inside") << QByteArray(R"("co""l$1" = $2)") << 5 << QByteArray(R"("co""l$1" = $7)");
    QTest::newRow("literal with $1 inside") << QByteArray(R"(to_tsvector('it''s $1', $2))") << 3
                                            << QByteArray(R"(to_tsvector('it''s $1', $5))");
    QTest::newRow("a bare dollar") << QByteArray("$ + $a") << 2 << QByteArray("$ + $a");
    QTest::newRow("unterminated quote") << QByteArray(R"("a $1)") << 2 << QByteArray(R"("a $1)");
    QTest::newRow("by zero") << QByteArray("$2") << 0 << QByteArray("$2");
}

void tst_RowText::shiftParameters()
{
    QFETCH(QByteArray, sql);
    QFETCH(int, by);
    QFETCH(QByteArray, expected);
    QCOMPARE(PgSql::shiftParameters(sql, by), expected);
}

QTEST_GUILESS_MAIN(tst_RowText)
#include "tst_rowtext.moc"
