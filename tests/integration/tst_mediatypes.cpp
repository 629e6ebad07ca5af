// Accept: text/csv and content negotiation, as PostgREST 12 answers them.
// The expected answers are PostgREST's: its test/spec/Feature/Query/
// QuerySpec.hs ("Accept headers") for the simple_pk table and PGRST107;
// the rest is what its CSV SQL (the first row's keys as the header, each
// row's record text without its parentheses) gives on PostgreSQL. Real
// PostgreSQL, the real server.

#include "testdatabase.h"
#include "restcall.h"
#include "testserver.h"

#include <QNetworkAccessManager>
#include <QtTest>

using RestCall::Answer;
using RestCall::Headers;
using RestCall::sameJson;

class tst_MediaTypes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void csv_data();
    void csv();
    void negotiation_data();
    void negotiation();

private:
    TestDatabase m_db{QStringLiteral("tst_mediatypes")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
};

void tst_MediaTypes::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral(R"SQL(
CREATE TABLE api.simple_pk (k text PRIMARY KEY, extra text);
INSERT INTO api.simple_pk VALUES ('xyyx', 'u'), ('xYYx', 'v');
CREATE TABLE api.odd (id int PRIMARY KEY, t text, n int, arr text[], j jsonb);
INSERT INTO api.odd VALUES
  (1, 'a,b', 1, '{x,"y z"}', '{"k": [1, 2]}'),
  (2, 'say "hi"', NULL, '{}', 'null'),
  (3, E'two\nlines', -3, NULL, NULL),
  (4, '', 0, '{NULL}', '"s"'),
  (5, E'back\\slash', 5, '{}', '{}');
CREATE FUNCTION api.pairs() RETURNS TABLE(x int, y text) LANGUAGE sql STABLE
  AS $$ VALUES (1, 'a b'), (2, NULL), (3, 'c') $$;
GRANT SELECT ON api.simple_pk, api.odd TO anon;
)SQL"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

void tst_MediaTypes::csv_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expected");     // the exact body
    QTest::addColumn<QByteArray>("contentRange"); // empty: not checked

    const Headers csv = {{"Accept", "text/csv"}};
    // QuerySpec: "should respond with CSV to 'text/csv' request":
    //   request methodGet "/simple_pk" (acceptHdrs "text/csv; version=1") ""
    //     `shouldRespondWith` "k,extra\nxyyx,u\nxYYx,v"
    QTest::newRow("simple_pk") << QByteArray("GET") << QStringLiteral("/query/simple_pk?order=extra")
                               << Headers{{"Accept", "text/csv; version=1"}} << 200
                               << QByteArray("k,extra\nxyyx,u\nxYYx,v") << QByteArray("0-1/*");
    // PostgreSQL's record output: a field with a comma, quote, backslash or
    // white space is quoted, its quotes and backslashes doubled (the
    // backslash is PostgREST's deviation from RFC 4180); "" is an empty
    // string, nothing is NULL; arrays and JSON as their text.
    QTest::newRow("quoting") << QByteArray("GET") << QStringLiteral("/query/odd?order=id") << csv << 200
                             << QByteArray("id,t,n,arr,j\n"
                                           "1,\"a,b\",1,\"{x,\"\"y z\"\"}\",\"{\"\"k\"\": [1, 2]}\"\n"
                                           "2,\"say \"\"hi\"\"\",,{},null\n"
                                           "3,\"two\nlines\",-3,,\n"
                                           "4,\"\",0,{NULL},\"\"\"s\"\"\"\n"
                                           "5,\"back\\\\slash\",5,{},{}")
                             << QByteArray("0-4/*");
    // select=, filters, order, limit/offset and count=exact as for JSON.
    QTest::newRow("select, filter, range") << QByteArray("GET")
                                           << QStringLiteral("/query/odd?select=n,id&id=gt.1&order=id.desc&limit=2&offset=1")
                                           << Headers{{"Accept", "text/csv"}, {"Prefer", "count=exact"}} << 206
                                           << QByteArray("n,id\n0,4\n-3,3") << QByteArray("1-2/4");
    QTest::newRow("Range header") << QByteArray("GET") << QStringLiteral("/query/odd?select=id&order=id")
                                  << Headers{{"Accept", "text/csv"}, {"Range", "3-"}} << 200 << QByteArray("id\n4\n5")
                                  << QByteArray("3-4/*");
    // No row: no keys for the header, as PostgREST's SQL has it.
    QTest::newRow("no rows") << QByteArray("GET") << QStringLiteral("/query/odd?id=eq.99") << csv << 200 << QByteArray("\n")
                             << QByteArray("*/*");
    // A set-returning function's rows, by GET and by POST.
    QTest::newRow("rpc GET") << QByteArray("GET") << QStringLiteral("/query/rpc/pairs?order=x") << csv << 200
                             << QByteArray("x,y\n1,\"a b\"\n2,\n3,c") << QByteArray("0-2/*");
    QTest::newRow("rpc POST, filtered") << QByteArray("POST") << QStringLiteral("/query/rpc/pairs?x=gte.2&select=y") << csv
                                        << 200 << QByteArray("y\n\nc") << QByteArray("0-1/*");
}

void tst_MediaTypes::csv()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(Headers, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, contentRange);
    const Answer a = RestCall::send(m_nam, m_server.url(), method, path, method == "POST" ? QByteArray("{}") : QByteArray(),
                                    headers);
    QCOMPARE(a.status, status);
    QCOMPARE(a.contentType, QByteArray("text/csv; charset=utf-8"));
    QCOMPARE(a.body, expected);
    if (!contentRange.isEmpty())
        QCOMPARE(a.contentRange, contentRange);
}

void tst_MediaTypes::negotiation_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("accept"); // null: no Accept
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("expected"); // JSON

    const QByteArray json = "application/json; charset=utf-8";
    const QByteArray rows = R"J([{"k":"xyyx","extra":"u"},{"k":"xYYx","extra":"v"}])J";
    const QString table = QStringLiteral("/query/simple_pk?order=extra");
    QTest::newRow("no Accept") << QByteArray("GET") << table << QByteArray() << 200 << json << rows;
    // QuerySpec: "should respond correctly to */* in accept header".
    QTest::newRow("*/*") << QByteArray("GET") << table << QByteArray("*/*") << 200 << json << rows;
    QTest::newRow("application/json") << QByteArray("GET") << table << QByteArray("application/json") << 200 << json << rows;
    QTest::newRow("application/*") << QByteArray("GET") << table << QByteArray("application/*") << 200 << json << rows;
    QTest::newRow("csv;q=0.5, json") << QByteArray("GET") << table << QByteArray("text/csv;q=0.5, application/json") << 200
                                     << json << rows;
    QTest::newRow("object") << QByteArray("GET") << QStringLiteral("/query/simple_pk?k=eq.xyyx")
                            << QByteArray("application/vnd.pgrst.object+json") << 200 << json
                            << QByteArray(R"J({"k":"xyyx","extra":"u"})J");
    // nulls=stripped: objects without their null fields (PostgREST's
    // json_strip_nulls, so a jsonb null too); a null in an array stays.
    QTest::newRow("array, nulls=stripped")
        << QByteArray("GET") << QStringLiteral("/query/odd?select=id,n,arr,j&id=in.(2,3,4)&order=id")
        << QByteArray("application/vnd.pgrst.array+json;nulls=stripped") << 200 << json
        << QByteArray(R"J([{"id":2,"arr":[]},{"id":3,"n":-3},{"id":4,"n":0,"arr":[null],"j":"s"}])J");
    QTest::newRow("object, nulls=stripped") << QByteArray("GET") << QStringLiteral("/query/odd?select=id,n,j&id=eq.3")
                                            << QByteArray("application/vnd.pgrst.object+json;nulls=stripped") << 200
                                            << json << QByteArray(R"J({"id":3,"n":-3})J");
    QTest::newRow("rpc, nulls=stripped") << QByteArray("GET") << QStringLiteral("/query/rpc/pairs?order=x")
                                         << QByteArray("application/vnd.pgrst.array+json;nulls=stripped") << 200 << json
                                         << QByteArray(R"J([{"x":1,"y":"a b"},{"x":2},{"x":3,"y":"c"}])J");
    // QuerySpec: "should respond an unknown accept type with 415" (406
    // since PostgREST 11); the message as in its RpcSpec/CustomMediaSpec.
    const QByteArray unavailable = R"J({"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: %1"})J";
    QTest::newRow("unknown") << QByteArray("GET") << table << QByteArray("text/unknowntype") << 406 << json
                             << QByteArray(unavailable).replace("%1", "text/unknowntype");
    QTest::newRow("unknowns, by q") << QByteArray("GET") << table << QByteArray("text/plain;q=0.3, text/xml") << 406 << json
                                    << QByteArray(unavailable).replace("%1", "text/xml, text/plain");
    QTest::newRow("rpc, unknown") << QByteArray("GET") << QStringLiteral("/query/rpc/pairs") << QByteArray("text/plain") << 406
                                  << json << QByteArray(unavailable).replace("%1", "text/plain");
    // A table write answers JSON only (here).
    QTest::newRow("POST csv") << QByteArray("POST") << QStringLiteral("/query/simple_pk") << QByteArray("text/csv") << 406
                              << json << QByteArray(unavailable).replace("%1", "text/csv");
}

void tst_MediaTypes::negotiation()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, accept);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, expected);
    Headers headers;
    if (!accept.isNull())
        headers.append({"Accept", accept});
    const Answer a = RestCall::send(m_nam, m_server.url(), method, path,
                                    method == "POST" ? QByteArray(R"J({"k":"new"})J") : QByteArray(), headers);
    QCOMPARE(a.status, status);
    QCOMPARE(a.contentType, contentType);
    QVERIFY2(sameJson(a.body, expected), a.body.constData());
}

QTEST_MAIN(tst_MediaTypes)
#include "tst_mediatypes.moc"
