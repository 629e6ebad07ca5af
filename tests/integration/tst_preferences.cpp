// Prefer: handling=strict|lenient and max-affected=, as PostgREST 12
// answers them. The expected answers are quoted from its
// test/spec/Feature/Query/PreferencesSpec.hs (its items table: ids 1 to
// 15; its tiobe_pls table made here as a small "langs" one). Whether a
// refused write changed anything is read back with SELECT. Real
// PostgreSQL, the real server.

#include "testdatabase.h"
#include "restcall.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QtTest>

using RestCall::Answer;
using RestCall::Headers;
using RestCall::sameJson;

class tst_Preferences : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void answers_data();
    void answers();
    void strictRefusesBeforeWriting();
    void maxAffectedExceededChangesNothing();
    void txOverride_data();
    void txOverride();

private:
    Answer request(const QByteArray &method, const QString &path, const QByteArray &body = {},
                   const Headers &headers = {});
    qint64 count(const QString &table) const;

    TestDatabase m_db{QStringLiteral("tst_preferences")};
    TestServer m_server;   // db-tx-end as by default: commit
    TestServer m_txServer; // db-tx-end = commit-allow-override
    QNetworkAccessManager m_nam;
};

void tst_Preferences::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral(R"SQL(
CREATE TABLE api.items (id int PRIMARY KEY);
CREATE TABLE api.langs (name text PRIMARY KEY, rank int);
GRANT ALL ON api.items, api.langs TO anon;
CREATE FUNCTION api.one() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
)SQL"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    QVERIFY2(m_txServer.start(m_db.authenticatorUri(), QStringLiteral("db-tx-end = \"commit-allow-override\"\n"), &error),
             qPrintable(error));
}

void tst_Preferences::init()
{
    // Every test starts from the fixture's rows.
    QString error;
    QVERIFY2(m_db.exec(QStringLiteral(R"SQL(
TRUNCATE api.items, api.langs;
INSERT INTO api.items SELECT generate_series(1, 15);
INSERT INTO api.langs VALUES ('Java', 1), ('C', 2), ('Python', 3);
)SQL"),
                       &error),
             qPrintable(error));
}

Answer tst_Preferences::request(const QByteArray &method, const QString &path, const QByteArray &body,
                                const Headers &headers)
{
    return RestCall::send(m_nam, m_server.url(), method, path, body, headers);
}

qint64 tst_Preferences::count(const QString &table) const
{
    const QJsonArray rows = m_db.rows(QStringLiteral("SELECT count(*) AS n FROM api.%1").arg(table));
    return rows.isEmpty() ? -1 : rows.first().toObject().value(QLatin1String("n")).toInteger(-1);
}

void tst_Preferences::answers_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expected");       // body, as JSON; empty: none
    QTest::addColumn<QByteArray>("applied");        // Preference-Applied; empty: none
    QTest::addColumn<qint64>("items");              // rows of items afterwards

    const QByteArray strictError = R"J({"details":"Invalid preferences: %1","message":"Invalid preferences given with handling=strict","code":"PGRST122","hint":null})J";
    // "throws error when handling=strict and invalid prefs are given"
    QTest::newRow("strict GET, unknown") << QByteArray("GET") << QStringLiteral("/query/items?id=eq.1") << QByteArray()
                                         << Headers{{"Prefer", "handling=strict, anything"}} << 400
                                         << QByteArray(strictError).replace("%1", "anything") << QByteArray() << qint64(15);
    // Two unknowns, listed in order (two Prefer fields: tst_apirequest).
    QTest::newRow("strict GET, two unknowns") << QByteArray("GET") << QStringLiteral("/query/items?id=eq.1") << QByteArray()
                                              << Headers{{"Prefer", "handling=strict, something, else"}} << 400
                                              << QByteArray(strictError).replace("%1", "something, else") << QByteArray()
                                              << qint64(15);
    // "throws error with rpc"
    QTest::newRow("strict RPC, unknown") << QByteArray("POST") << QStringLiteral("/query/rpc/one") << QByteArray("{}")
                                         << Headers{{"Prefer", "handling=strict, anything"}} << 400
                                         << QByteArray(strictError).replace("%1", "anything") << QByteArray() << qint64(15);
    // "does not throw error when handling=lenient and invalid prefs"
    QTest::newRow("lenient GET, unknown") << QByteArray("GET") << QStringLiteral("/query/items?id=eq.1") << QByteArray()
                                          << Headers{{"Prefer", "handling=lenient, anything"}} << 200
                                          << QByteArray(R"J([{"id":1}])J") << QByteArray("handling=lenient") << qint64(15);
    QTest::newRow("lenient RPC, unknown") << QByteArray("POST") << QStringLiteral("/query/rpc/one") << QByteArray("{}")
                                          << Headers{{"Prefer", "handling=lenient, anything"}} << 200 << QByteArray("1")
                                          << QByteArray("handling=lenient") << qint64(15);
    QTest::newRow("no handling, unknown") << QByteArray("GET") << QStringLiteral("/query/items?id=eq.2") << QByteArray()
                                          << Headers{{"Prefer", "anything"}} << 200 << QByteArray(R"J([{"id":2}])J")
                                          << QByteArray() << qint64(15);
    QTest::newRow("strict GET, all known") << QByteArray("GET") << QStringLiteral("/query/items?id=eq.3") << QByteArray()
                                           << Headers{{"Prefer", "handling=strict, count=exact"}} << 200
                                           << QByteArray(R"J([{"id":3}])J") << QByteArray("handling=strict") << qint64(15);
    // "does not throw error with post request" (lenient); a write names its return= as before.
    QTest::newRow("lenient POST, unknown") << QByteArray("POST") << QStringLiteral("/query/items") << QByteArray(R"J({"id":16})J")
                                           << Headers{{"Prefer", "return=representation, handling=lenient, anything"}} << 201
                                           << QByteArray(R"J([{"id":16}])J")
                                           << QByteArray("return=representation, handling=lenient") << qint64(16);

    const QByteArray tooMany = R"J({"code":"PGRST124","details":"The query affects %1 rows","hint":null,"message":"Query result exceeds max-affected preference constraint"})J";
    // "should fail if items deleted more than 10"
    QTest::newRow("strict DELETE over max-affected")
        << QByteArray("DELETE") << QStringLiteral("/query/items?id=lt.15") << QByteArray()
        << Headers{{"Prefer", "handling=strict, max-affected=10"}} << 400 << QByteArray(tooMany).replace("%1", "14")
        << QByteArray() << qint64(15);
    // "should succeed if items deleted less than 10"; PostgREST's answer
    // has no return=minimal as it was not asked for; ours always names it.
    QTest::newRow("strict DELETE under max-affected")
        << QByteArray("DELETE") << QStringLiteral("/query/items?id=lt.10") << QByteArray()
        << Headers{{"Prefer", "handling=strict, max-affected=10, return=minimal"}} << 204 << QByteArray()
        << QByteArray("return=minimal, handling=strict, max-affected=10") << qint64(6);
    QTest::newRow("strict DELETE at max-affected, with rows")
        << QByteArray("DELETE") << QStringLiteral("/query/items?id=lt.4") << QByteArray()
        << Headers{{"Prefer", "handling=strict, max-affected=3"}} << 200 << QByteArray(R"J([{"id":1},{"id":2},{"id":3}])J")
        << QByteArray("return=representation, handling=strict, max-affected=3") << qint64(12);
    // "should not fail" (lenient): max-affected is not applied, nor named.
    QTest::newRow("lenient DELETE over max-affected")
        << QByteArray("DELETE") << QStringLiteral("/query/items?id=lt.15") << QByteArray()
        << Headers{{"Prefer", "handling=lenient, max-affected=10, return=minimal"}} << 204 << QByteArray()
        << QByteArray("return=minimal, handling=lenient") << qint64(1);
    QTest::newRow("DELETE over max-affected, no handling")
        << QByteArray("DELETE") << QStringLiteral("/query/items?id=lt.3") << QByteArray()
        << Headers{{"Prefer", "max-affected=1, return=minimal"}} << 204 << QByteArray() << QByteArray("return=minimal")
        << qint64(13);
}

void tst_Preferences::answers()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(Headers, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, applied);
    QFETCH(qint64, items);

    const Answer a = request(method, path, body, headers);
    QCOMPARE(a.status, status);
    QVERIFY2(sameJson(a.body, expected), a.body.constData());
    QCOMPARE(a.header("Preference-Applied"), applied);
    QCOMPARE(count(QStringLiteral("items")), items);
}

// A refused preference refuses the whole request: the POST writes nothing.
void tst_Preferences::strictRefusesBeforeWriting()
{
    const Answer a = request("POST", QStringLiteral("/query/items?select=*"), R"J({"id":20})J",
                             {{"Prefer", "return=representation, handling=strict, anything"}});
    QCOMPARE(a.status, 400);
    QVERIFY2(a.body.contains("PGRST122"), a.body.constData());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT id FROM api.items WHERE id = 20")).size(), 0);
}

// PATCH over the limit rolls back: "should fail if items updated more than
// 0" (tiobe_pls), and every row keeps its value.
void tst_Preferences::maxAffectedExceededChangesNothing()
{
    const Answer a = request("PATCH", QStringLiteral("/query/langs?rank=lte.2"), R"J({"rank":19})J",
                             {{"Prefer", "handling=strict, max-affected=1"}});
    QCOMPARE(a.status, 400);
    QVERIFY2(sameJson(a.body, R"J({"code":"PGRST124","details":"The query affects 2 rows","hint":null,"message":"Query result exceeds max-affected preference constraint"})J"),
             a.body.constData());
    const QJsonArray ranks = m_db.rows(QStringLiteral("SELECT name, rank FROM api.langs ORDER BY rank"));
    QCOMPARE(QJsonDocument(ranks).toJson(QJsonDocument::Compact),
             QByteArray(R"J([{"name":"Java","rank":1},{"name":"C","rank":2},{"name":"Python","rank":3}])J"));

    // max-affected=0 and return=minimal (a write otherwise built bare).
    const Answer none = request("PATCH", QStringLiteral("/query/langs?name=eq.Java"), R"J({"rank":19})J",
                                {{"Prefer", "handling=strict, max-affected=0, return=minimal"}});
    QCOMPARE(none.status, 400);
    QVERIFY2(none.body.contains("The query affects 1 rows"), none.body.constData());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT rank FROM api.langs WHERE name = 'Java'")).first().toObject().value(QLatin1String("rank")).toInt(), 1);

    // Within the limit the PATCH is written.
    const Answer one = request("PATCH", QStringLiteral("/query/langs?name=eq.Java"), R"J({"rank":19})J",
                               {{"Prefer", "handling=strict, max-affected=1, return=minimal"}});
    QCOMPARE(one.status, 204);
    QCOMPARE(one.header("Preference-Applied"), QByteArray("return=minimal, handling=strict, max-affected=1"));
    QCOMPARE(m_db.rows(QStringLiteral("SELECT rank FROM api.langs WHERE name = 'Java'")).first().toObject().value(QLatin1String("rank")).toInt(), 19);
}

// Prefer: tx=rollback where db-tx-end allows it: answered as a commit
// would be, but nothing stays written; elsewhere tx= is ignored.
void tst_Preferences::txOverride_data()
{
    QTest::addColumn<bool>("overridable");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("prefer");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("applied");
    QTest::addColumn<qint64>("items"); // rows of items afterwards

    QTest::newRow("POST, rollback") << true << QByteArray("POST") << QStringLiteral("/query/items") << QByteArray(R"J({"id":30})J")
                                    << QByteArray("tx=rollback, return=representation") << 201
                                    << QByteArray("return=representation, tx=rollback") << qint64(15);
    QTest::newRow("POST, commit") << true << QByteArray("POST") << QStringLiteral("/query/items") << QByteArray(R"J({"id":30})J")
                                  << QByteArray("tx=commit") << 201 << QByteArray("return=representation, tx=commit") << qint64(16);
    QTest::newRow("DELETE, rollback, minimal") << true << QByteArray("DELETE") << QStringLiteral("/query/items?id=gt.5") << QByteArray()
                                               << QByteArray("tx=rollback, return=minimal") << 204
                                               << QByteArray("return=minimal, tx=rollback") << qint64(15);
    QTest::newRow("RPC, rollback") << true << QByteArray("POST") << QStringLiteral("/query/rpc/one") << QByteArray("{}")
                                   << QByteArray("tx=rollback") << 200 << QByteArray("tx=rollback") << qint64(15);
    // db-tx-end = commit (the default): tx= is ignored, also under strict.
    QTest::newRow("not overridable") << false << QByteArray("POST") << QStringLiteral("/query/items") << QByteArray(R"J({"id":31})J")
                                     << QByteArray("handling=strict, tx=rollback") << 201
                                     << QByteArray("return=representation, handling=strict") << qint64(16);
}

void tst_Preferences::txOverride()
{
    QFETCH(bool, overridable);
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, prefer);
    QFETCH(int, status);
    QFETCH(QByteArray, applied);
    QFETCH(qint64, items);

    const TestServer &server = overridable ? m_txServer : m_server;
    const Answer a = RestCall::send(m_nam, server.url(), method, path, body, {{"Prefer", prefer}});
    QCOMPARE(a.status, status);
    QCOMPARE(a.header("Preference-Applied"), applied);
    if (method == "POST" && !path.contains(QLatin1String("rpc")))
        QVERIFY2(a.body.contains("\"id\":3"), a.body.constData()); // the row, as if committed
    QCOMPARE(count(QStringLiteral("items")), items);
}

QTEST_GUILESS_MAIN(tst_Preferences)
#include "tst_preferences.moc"
