// Functions (RPC) under /query/rpc/<function>, as PostgREST 12 answers
// them: arguments from a JSON body, the query string or a form body,
// overloads, defaults, VARIADIC, a single json parameter, results of every
// shape, filters/select/order/limit on sets, GET in a read-only
// transaction, EXECUTE privileges, the functions in GET /, schema reload.
// The expected answers are PostgREST's, quoted from its
// test/spec/Feature/Query/RpcSpec.hs (function names changed to ours where
// the fixture differs). Real PostgreSQL, the real server.

#include "testdatabase.h"
#include "restcall.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QtTest>

using RestCall::Answer;
using RestCall::Headers;
using RestCall::sameJson;

class tst_Rpc : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void call_data();
    void call();
    void contentRangeOfASet();
    void getRunsReadOnly();
    void describeListsExecutableFunctions();
    void reloadPicksUpNewFunctions();

private:
    Answer request(const QByteArray &method, const QString &path, const QByteArray &body = {},
                   const Headers &headers = {}, const QString &role = {});

    TestDatabase m_db{QStringLiteral("tst_rpc")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
};

void tst_Rpc::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // Most after RpcSpec.hs's fixture (test/spec/fixtures/schema.sql).
    QVERIFY2(m_db.exec(QStringLiteral(R"SQL(
CREATE FUNCTION api.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION api.overloaded(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION api.overloaded(a int, b int, c int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b + c';
CREATE FUNCTION api.overloaded_same_args(arg int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT arg';
CREATE FUNCTION api.overloaded_same_args(arg text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT arg';
CREATE FUNCTION api.sayhello(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'Hello, ' || name$$;
CREATE FUNCTION api.greet(name text DEFAULT 'you', punct text DEFAULT '!') RETURNS text LANGUAGE sql IMMUTABLE
  AS $$SELECT 'Hi, ' || name || punct$$;
CREATE FUNCTION api.ints(n int DEFAULT 3) RETURNS SETOF int LANGUAGE sql STABLE AS 'SELECT generate_series(1, n)';
CREATE FUNCTION api.pairs() RETURNS TABLE(x int, y text) LANGUAGE sql STABLE AS $$VALUES (1, 'a'), (2, 'b'), (3, 'c')$$;
CREATE TYPE api.point_2d AS (x int, y int);
CREATE FUNCTION api.ret_point_2d() RETURNS api.point_2d LANGUAGE sql IMMUTABLE AS 'SELECT ROW(10, 5)::api.point_2d';
CREATE FUNCTION api.ret_void() RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION api.ret_null() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT NULL::int';
CREATE FUNCTION api.variadic_param(VARIADIC v text[] DEFAULT '{}') RETURNS text[] LANGUAGE sql IMMUTABLE AS 'SELECT v';
CREATE FUNCTION api.echo_json(json) RETURNS json LANGUAGE sql IMMUTABLE AS 'SELECT $1';
CREATE FUNCTION api.single_object(payload jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS 'SELECT payload';
INSERT INTO api.pets (type, breed, name, color) VALUES ('Dog', 'Lab', 'Rex', 1), ('Dog', 'Pug', 'Bella', 2), ('Cat', 'Tabby', 'Tom', 3);
CREATE FUNCTION api.pets_of_type(t text) RETURNS SETOF api.pets LANGUAGE sql STABLE
  AS 'SELECT * FROM api.pets WHERE type = t';
CREATE SEQUENCE api.counter;
GRANT USAGE ON SEQUENCE api.counter TO anon, auth;
CREATE FUNCTION api.callcounter() RETURNS bigint LANGUAGE sql VOLATILE AS $$SELECT nextval('api.counter')$$;
CREATE FUNCTION api.secret() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 42';
REVOKE EXECUTE ON FUNCTION api.secret() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.secret() TO auth;
)SQL"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

Answer tst_Rpc::request(const QByteArray &method, const QString &path, const QByteArray &body, const Headers &headers,
                        const QString &role)
{
    return RestCall::send(m_nam, m_server.url(), method, path, body, headers, role);
}

void tst_Rpc::call_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QString>("role");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expected");

    const Headers none;
    const QString anon;
    const QString auth = QStringLiteral("auth");

    // Scalars. RpcSpec: get "/rpc/sayhello?name=world" -> "Hello, world"
    QTest::newRow("GET scalar") << QByteArray("GET") << QStringLiteral("/query/rpc/add?a=1&b=2") << QByteArray() << none
                                << anon << 200 << QByteArray("3");
    QTest::newRow("POST scalar") << QByteArray("POST") << QStringLiteral("/query/rpc/add") << QByteArray(R"J({"a": 1, "b": 2})J")
                                 << none << anon << 200 << QByteArray("3");
    QTest::newRow("POST text scalar") << QByteArray("POST") << QStringLiteral("/query/rpc/sayhello")
                                      << QByteArray(R"J({"name": "world"})J") << none << anon << 200
                                      << QByteArray(R"J("Hello, world")J");
    // RpcSpec: "returns last value for repeated params without VARIADIC":
    // get "/rpc/sayhello?name=ignored&name=world" -> "Hello, world"
    QTest::newRow("repeated param: last wins")
        << QByteArray("GET") << QStringLiteral("/query/rpc/sayhello?name=ignored&name=world") << QByteArray() << none
        << anon << 200 << QByteArray(R"J("Hello, world")J");
    // RpcSpec: "returns null for an integer with null value" -> null
    QTest::newRow("scalar null") << QByteArray("POST") << QStringLiteral("/query/rpc/ret_null") << QByteArray("{}") << none
                                 << anon << 200 << QByteArray("null");

    // Defaults may be left out.
    QTest::newRow("all defaults") << QByteArray("GET") << QStringLiteral("/query/rpc/greet") << QByteArray() << none
                                  << anon << 200 << QByteArray(R"J("Hi, you!")J");
    QTest::newRow("some defaults") << QByteArray("POST") << QStringLiteral("/query/rpc/greet")
                                   << QByteArray(R"J({"name": "Ann"})J") << none << anon << 200 << QByteArray(R"J("Hi, Ann!")J");

    // Overloads, chosen by the argument names.
    QTest::newRow("overload 2") << QByteArray("GET") << QStringLiteral("/query/rpc/overloaded?a=1&b=2") << QByteArray()
                                << none << anon << 200 << QByteArray("3");
    QTest::newRow("overload 3") << QByteArray("POST") << QStringLiteral("/query/rpc/overloaded")
                                << QByteArray(R"J({"a": 1, "b": 2, "c": 3})J") << none << anon << 200 << QByteArray("6");
    // RpcSpec: get "/rpc/overloaded?a=1&b=2&wrong_arg=value" -> 404
    //   {"hint":"Perhaps you meant to call the function test.overloaded(a, b, c)",
    //    "message":"Could not find the function test.overloaded(a, b, wrong_arg) in the schema cache",
    //    "code":"PGRST202",
    //    "details":"Searched for the function test.overloaded with parameters a, b, wrong_arg, but no matches were found in the schema cache."}
    QTest::newRow("PGRST202 wrong argument")
        << QByteArray("GET") << QStringLiteral("/query/rpc/overloaded?a=1&b=2&wrong_arg=value") << QByteArray() << none
        << anon << 404
        << QByteArray(R"J({"hint":"Perhaps you meant to call the function api.overloaded(a, b, c)",)J"
                      R"J("message":"Could not find the function api.overloaded(a, b, wrong_arg) in the schema cache",)J"
                      R"J("code":"PGRST202",)J"
                      R"J("details":"Searched for the function api.overloaded with parameters a, b, wrong_arg, but no matches were found in the schema cache."})J");
    // Error.hs (NoRpc): no arguments -> " without parameters"; a JSON POST
    // -> " or with a single unnamed json/jsonb parameter". (PostgREST's
    // hint would fuzzy-match other function names; ours is null.)
    QTest::newRow("PGRST202 unknown function")
        << QByteArray("POST") << QStringLiteral("/query/rpc/nope") << QByteArray("{}") << none << anon << 404
        << QByteArray(R"J({"hint":null,"message":"Could not find the function api.nope without parameters in the schema cache",)J"
                      R"J("code":"PGRST202","details":"Searched for the function api.nope without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache."})J");
    // RpcSpec: get "/rpc/overloaded_same_args?arg=value" -> 300
    //   {"hint":"Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    //    "message":"Could not choose the best candidate function between: test.overloaded_same_args(arg => integer), ...",
    //    "code":"PGRST203","details":null}
    QTest::newRow("PGRST203 ambiguous")
        << QByteArray("GET") << QStringLiteral("/query/rpc/overloaded_same_args?arg=value") << QByteArray() << none << anon
        << 300
        << QByteArray(R"J({"hint":"Try renaming the parameters or the function itself in the database so function overloading can be resolved",)J"
                      R"J("message":"Could not choose the best candidate function between: api.overloaded_same_args(arg => integer), api.overloaded_same_args(arg => text)",)J"
                      R"J("code":"PGRST203","details":null})J");
    // RpcSpec: request methodDelete "/rpc/sayhello" ->
    //   405 {"message":"Cannot use the DELETE method on RPC","code":"PGRST101","details":null,"hint":null}
    QTest::newRow("DELETE refused") << QByteArray("DELETE") << QStringLiteral("/query/rpc/sayhello") << QByteArray() << none
                                    << anon << 405
                                    << QByteArray(R"J({"message":"Cannot use the DELETE method on RPC","code":"PGRST101","details":null,"hint":null})J");

    // Sets: arrays, with select, filters, order, limit and offset.
    QTest::newRow("SETOF scalar") << QByteArray("GET") << QStringLiteral("/query/rpc/ints") << QByteArray() << none << anon
                                  << 200 << QByteArray("[1,2,3]");
    QTest::newRow("SETOF scalar filtered") << QByteArray("GET")
                                           << QStringLiteral("/query/rpc/ints?n=6&ints=gt.2&order=ints.desc&limit=2&offset=1")
                                           << QByteArray() << none << anon << 200 << QByteArray("[5,4]");
    // RpcSpec: "returns an object result when there is a multi-column TABLE return type"
    //   get "/rpc/multi_column_table_return" -> [{"a": "A", "b": "B"}]
    QTest::newRow("TABLE") << QByteArray("POST") << QStringLiteral("/query/rpc/pairs") << QByteArray("{}") << none << anon
                           << 200 << QByteArray(R"J([{"x":1,"y":"a"},{"x":2,"y":"b"},{"x":3,"y":"c"}])J");
    QTest::newRow("TABLE select filter order")
        << QByteArray("GET") << QStringLiteral("/query/rpc/pairs?select=y&x=gte.2&order=x.desc") << QByteArray() << none
        << anon << 200 << QByteArray(R"J([{"y":"c"},{"y":"b"}])J");
    QTest::newRow("TABLE or=") << QByteArray("GET") << QStringLiteral("/query/rpc/pairs?or=(x.eq.1,y.eq.c)&select=x")
                               << QByteArray() << none << anon << 200 << QByteArray(R"J([{"x":1},{"x":3}])J");
    QTest::newRow("TABLE unknown column") << QByteArray("GET") << QStringLiteral("/query/rpc/pairs?z=eq.1") << QByteArray()
                                          << none << anon << 400 << QByteArray();
    QTest::newRow("SETOF table rows") << QByteArray("GET")
                                      << QStringLiteral("/query/rpc/pets_of_type?t=Dog&select=name&order=name&limit=1")
                                      << QByteArray() << none << anon << 200 << QByteArray(R"J([{"name":"Bella"}])J");
    QTest::newRow("SETOF object requested")
        << QByteArray("GET") << QStringLiteral("/query/rpc/pairs?x=eq.2")
        << QByteArray() << Headers{{"Accept", "application/vnd.pgrst.object+json"}} << anon << 200
        << QByteArray(R"J({"x":2,"y":"b"})J");

    // RpcSpec: post "/rpc/ret_point_2d" {} -> {"x": 10, "y": 5}
    QTest::newRow("composite") << QByteArray("POST") << QStringLiteral("/query/rpc/ret_point_2d") << QByteArray("{}") << none
                               << anon << 200 << QByteArray(R"J({"x":10,"y":5})J");
    // RpcSpec: "returns 204, no Content-Type header and no content for void"
    QTest::newRow("void") << QByteArray("POST") << QStringLiteral("/query/rpc/ret_void") << QByteArray("{}") << none << anon
                          << 204 << QByteArray();

    // RpcSpec, "procs with VARIADIC params".
    QTest::newRow("variadic POST") << QByteArray("POST") << QStringLiteral("/query/rpc/variadic_param")
                                   << QByteArray(R"J({"v": ["hi", "hello", "there"]})J") << none << anon << 200
                                   << QByteArray(R"J(["hi", "hello", "there"])J");
    QTest::newRow("variadic GET n=0") << QByteArray("GET") << QStringLiteral("/query/rpc/variadic_param") << QByteArray()
                                      << none << anon << 200 << QByteArray("[]");
    QTest::newRow("variadic GET n=1") << QByteArray("GET") << QStringLiteral("/query/rpc/variadic_param?v=hi")
                                      << QByteArray() << none << anon << 200 << QByteArray(R"J(["hi"])J");
    QTest::newRow("variadic GET n>1") << QByteArray("GET") << QStringLiteral("/query/rpc/variadic_param?v=hi&v=there")
                                      << QByteArray() << none << anon << 200 << QByteArray(R"J(["hi", "there"])J");
    QTest::newRow("variadic form n>1") << QByteArray("POST") << QStringLiteral("/query/rpc/variadic_param")
                                       << QByteArray("v=hi&v=there")
                                       << Headers{{"Content-Type", "application/x-www-form-urlencoded"}} << anon << 200
                                       << QByteArray(R"J(["hi", "there"])J");
    QTest::newRow("variadic form n=0") << QByteArray("POST") << QStringLiteral("/query/rpc/variadic_param") << QByteArray()
                                       << Headers{{"Content-Type", "application/x-www-form-urlencoded"}} << anon << 200
                                       << QByteArray("[]");

    // A single unnamed json parameter takes the whole body (RpcSpec:
    // "should work with a single unnamed json parameter").
    QTest::newRow("single unnamed json") << QByteArray("POST") << QStringLiteral("/query/rpc/echo_json")
                                         << QByteArray(R"J([1, {"a": 2}])J") << none << anon << 200
                                         << QByteArray(R"J([1, {"a": 2}])J");
    QTest::newRow("params=single-object") << QByteArray("POST") << QStringLiteral("/query/rpc/single_object")
                                          << QByteArray(R"J({"x": 1, "y": [2]})J")
                                          << Headers{{"Prefer", "params=single-object"}} << anon << 200
                                          << QByteArray(R"J({"x": 1, "y": [2]})J");

    // EXECUTE: 42501 is 401 without a token, and runs with one that has it.
    QTest::newRow("no EXECUTE, anonymous") << QByteArray("GET") << QStringLiteral("/query/rpc/secret") << QByteArray()
                                           << none << anon << 401 << QByteArray();
    QTest::newRow("EXECUTE") << QByteArray("GET") << QStringLiteral("/query/rpc/secret") << QByteArray() << none << auth
                             << 200 << QByteArray("42");

    // RpcSpec "only for GET rpc": get "/rpc/callcounter" -> 405 (GET runs read-only)
    QTest::newRow("volatile GET") << QByteArray("GET") << QStringLiteral("/query/rpc/callcounter") << QByteArray() << none
                                  << anon << 405 << QByteArray();
    QTest::newRow("bad JSON body") << QByteArray("POST") << QStringLiteral("/query/rpc/add") << QByteArray("{\"a\":")
                                   << none << anon << 400 << QByteArray();
}

void tst_Rpc::call()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(Headers, headers);
    QFETCH(QString, role);
    QFETCH(int, status);
    QFETCH(QByteArray, expected);

    const Answer a = request(method, path, body, headers, role);
    QVERIFY2(a.status == status, qPrintable(QStringLiteral("status %1, body %2").arg(a.status).arg(QString::fromUtf8(a.body))));
    if (status == 204) {
        QVERIFY(a.body.isEmpty());
        QVERIFY(a.contentType.isEmpty());
    } else if (!expected.isEmpty()) {
        QVERIFY2(sameJson(a.body, expected), a.body.constData());
    } else {
        QVERIFY(!a.body.isEmpty()); // an error object
        QVERIFY(QJsonDocument::fromJson(a.body).object().contains(QLatin1String("code")));
    }
}

void tst_Rpc::contentRangeOfASet()
{
    Answer a = request("GET", QStringLiteral("/query/rpc/ints?n=10&limit=3&offset=2"));
    QCOMPARE(a.status, 200);
    QVERIFY2(sameJson(a.body, "[3,4,5]"), a.body.constData());
    QCOMPARE(a.contentRange, QByteArray("2-4/*"));
    a = request("GET", QStringLiteral("/query/rpc/ints?n=10&limit=3"), {}, {{"Prefer", "count=exact"}});
    QCOMPARE(a.status, 206);
    QCOMPARE(a.contentRange, QByteArray("0-2/10"));
}

void tst_Rpc::getRunsReadOnly()
{
    // PostgREST runs GET in a read-only transaction: a volatile function
    // that writes fails there (25006 -> 405) and works with POST.
    const Answer get = request("GET", QStringLiteral("/query/rpc/callcounter"));
    QCOMPARE(get.status, 405);
    QCOMPARE(QJsonDocument::fromJson(get.body).object().value(QLatin1String("code")).toString(), QStringLiteral("25006"));
    const Answer post = request("POST", QStringLiteral("/query/rpc/callcounter"), "{}");
    QCOMPARE(post.status, 200);
    QVERIFY(post.body.toLongLong() >= 1);
}

void tst_Rpc::describeListsExecutableFunctions()
{
    auto functions = [this](const QString &role) {
        QHash<QString, QJsonObject> byName;
        const Answer a = request("GET", QStringLiteral("/"), {}, {}, role);
        for (const QJsonValue &v : QJsonDocument::fromJson(a.body).object().value(QLatin1String("functions")).toArray())
            byName.insert(v[QLatin1String("name")].toString(), v.toObject());
        return byName;
    };
    const auto anon = functions(QString());
    QVERIFY(anon.contains(QStringLiteral("add")));
    QVERIFY(!anon.contains(QStringLiteral("secret"))); // no EXECUTE for anon
    const QJsonObject greet = anon.value(QStringLiteral("greet"));
    QCOMPARE(greet.value(QLatin1String("resultType")).toString(), QStringLiteral("text"));
    QCOMPARE(greet.value(QLatin1String("returnsSet")).toBool(), false);
    QCOMPARE(greet.value(QLatin1String("volatility")).toString(), QStringLiteral("immutable"));
    const QJsonArray args = greet.value(QLatin1String("arguments")).toArray();
    QCOMPARE(args.size(), 2);
    QCOMPARE(args.at(0)[QLatin1String("name")].toString(), QStringLiteral("name"));
    QCOMPARE(args.at(0)[QLatin1String("type")].toString(), QStringLiteral("text"));
    QCOMPARE(args.at(0)[QLatin1String("hasDefault")].toBool(), true);
    QCOMPARE(anon.value(QStringLiteral("ints")).value(QLatin1String("returnsSet")).toBool(), true);
    QCOMPARE(anon.value(QStringLiteral("add")).value(QLatin1String("arguments")).toArray().at(0)[QLatin1String("hasDefault")].toBool(),
             false);
    QCOMPARE(anon.value(QStringLiteral("callcounter")).value(QLatin1String("volatility")).toString(), QStringLiteral("volatile"));
    QVERIFY(functions(QStringLiteral("auth")).contains(QStringLiteral("secret")));
}

void tst_Rpc::reloadPicksUpNewFunctions()
{
    QVERIFY(m_db.exec(QStringLiteral("CREATE FUNCTION api.fresh(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2'")));
    QCOMPARE(request("GET", QStringLiteral("/query/rpc/fresh?x=21")).status, 404); // not in the cache yet
    QVERIFY(m_db.exec(QStringLiteral("NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(request("GET", QStringLiteral("/query/rpc/fresh?x=21")).status, 200, 10000);
    QCOMPARE(request("GET", QStringLiteral("/query/rpc/fresh?x=21")).body, QByteArray("42"));
}

QTEST_GUILESS_MAIN(tst_Rpc)
#include "tst_rpc.moc"
