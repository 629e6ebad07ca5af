// Schema cache reloads, PostgREST's way: DDL while the server runs takes
// effect after NOTIFY pgrst, 'reload schema' (or an empty payload), for
// requests, GET /, and which events each subscriber gets; a burst of
// notifications is one reload; the listener reconnects after its
// connection is killed. Real PostgreSQL, the real server, real sockets.

#include "faultyproxy.h"
#include "testclient.h"
#include "testdatabase.h"
#include "statesubscriber.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QSignalSpy>
#include <QWebSocket>
#include <QtTest>

#include <csignal>

#include <sys/types.h>

namespace {

// Status and body of one GET, waited for.
struct Answer
{
    int status = 0;
    QByteArray body;
};

int nextId()
{
    static int id = 100;
    return ++id;
}

} // namespace

class tst_SchemaReload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void newTableAnswersAfterNotify_data();
    void newTableAnswersAfterNotify();
    void droppedTableGoes();
    void addedColumnAfterReload();
    void reloadForgetsInsertStatements();
    void revokeStopsEventsGrantStartsThem();
    void burstIsOneReload();
    void listenerReconnects();
    void channelSettings_data();
    void channelSettings();
    void reloadConfigLeavesTheSchema();
    void sigusr1ReloadsTheSchema();
    void clientFollowsTables();
    void clientFollowsPrivileges();
    void clientResumesOverAChangedTable();
    void resumedReplayWaitsForTheSnapshot();
    void clientFollowsQuickChanges();

private:
    Answer get(const QUrl &server, const QString &path, const QString &token = QString());
    Answer post(const QString &path, const QByteArray &body, const QString &token);
    bool describes(const QUrl &server, const QString &table, const QString &column = QString());
    int reloadLines() { return int(m_server.output().count("schema cache reloaded")); }

    TestDatabase m_db{QStringLiteral("tst_schemareload")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
};

void tst_SchemaReload::initTestCase()
{
    qRegisterMetaType<Aiodata::TableModel *>(); // for QSignalSpy
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // items: a table every role reads, for markers between steps.
    QVERIFY2(m_db.exec(QStringLiteral("CREATE TABLE api.items (id int PRIMARY KEY, v text);"
                                      "GRANT SELECT ON api.items TO anon; GRANT ALL ON api.items TO auth;"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    // LISTEN is in place before the server serves: no notification falls
    // between reading the schema and listening.
    QVERIFY(m_server.output().contains("listening for schema reloads on channel pgrst"));
}

Answer tst_SchemaReload::get(const QUrl &server, const QString &path, const QString &token)
{
    QUrl url = server;
    url.setPath(path.section(QLatin1Char('?'), 0, 0));
    url.setQuery(path.section(QLatin1Char('?'), 1));
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    QNetworkReply *reply = m_nam.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    reply->deleteLater();
    return a;
}

Answer tst_SchemaReload::post(const QString &path, const QByteArray &body, const QString &token)
{
    QUrl url = m_server.url();
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    QNetworkReply *reply = m_nam.post(request, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    reply->deleteLater();
    return a;
}

// Whether GET / (as auth) lists table, and column in it when given.
bool tst_SchemaReload::describes(const QUrl &server, const QString &table, const QString &column)
{
    const Answer a = get(server, QStringLiteral("/"), TestServer::token(QStringLiteral("auth")));
    for (const QJsonValue &t : QJsonDocument::fromJson(a.body).object().value(QLatin1String("tables")).toArray()) {
        if (t[QLatin1String("name")].toString() != table)
            continue;
        if (column.isEmpty())
            return true;
        for (const QJsonValue &c : t[QLatin1String("columns")].toArray()) {
            if (c[QLatin1String("name")].toString() == column)
                return true;
        }
    }
    return false;
}

void tst_SchemaReload::newTableAnswersAfterNotify_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("notify");
    QTest::newRow("reload schema") << QStringLiteral("fresh_a") << QStringLiteral("NOTIFY pgrst, 'reload schema'");
    QTest::newRow("empty payload") << QStringLiteral("fresh_b") << QStringLiteral("NOTIFY pgrst");
    QTest::newRow("pg_notify") << QStringLiteral("fresh_c") << QStringLiteral("SELECT pg_notify('pgrst', 'reload schema')");
}

void tst_SchemaReload::newTableAnswersAfterNotify()
{
    QFETCH(QString, table);
    QFETCH(QString, notify);
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.%1 (id int PRIMARY KEY, v text);"
                                     "INSERT INTO api.%1 VALUES (1, 'one');"
                                     "GRANT SELECT ON api.%1 TO anon; GRANT ALL ON api.%1 TO auth;")
                          .arg(table)));
    // Not in the cache yet: unknown to requests and to GET /.
    QCOMPARE(get(m_server.url(), QStringLiteral("/query/") + table).status, 404);
    QVERIFY(!describes(m_server.url(), table));

    QVERIFY(m_db.exec(notify));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/") + table).status, 200, 10000);
    const Answer a = get(m_server.url(), QStringLiteral("/query/") + table);
    QCOMPARE(QJsonDocument::fromJson(a.body).array(), QJsonDocument::fromJson(R"([{"id":1,"v":"one"}])").array());
    QVERIFY(describes(m_server.url(), table));
}

void tst_SchemaReload::droppedTableGoes()
{
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.doomed (id int PRIMARY KEY); GRANT SELECT ON api.doomed TO anon;"
                                     "NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/doomed")).status, 200, 10000);
    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE api.doomed; NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/doomed")).status, 404, 10000);
    QVERIFY(!describes(m_server.url(), QStringLiteral("doomed")));
}

void tst_SchemaReload::addedColumnAfterReload()
{
    QVERIFY(m_db.exec(QStringLiteral("ALTER TABLE api.items ADD COLUMN extra int")));
    // The cache does not know the column yet: PostgREST's unknown column.
    QCOMPARE(get(m_server.url(), QStringLiteral("/query/items?select=id,extra")).status, 400);
    QVERIFY(m_db.exec(QStringLiteral("NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/items?select=id,extra")).status, 200, 10000);
    QVERIFY(describes(m_server.url(), QStringLiteral("items"), QStringLiteral("extra")));
}

// SqlBuilder keeps an INSERT per request shape; a reload forgets them, so
// after a column is dropped the same shape is refused by name (PGRST204)
// instead of replaying SQL that names the column (PostgreSQL's 42703).
void tst_SchemaReload::reloadForgetsInsertStatements()
{
    const QString token = TestServer::token(QStringLiteral("auth"));
    int reloads = reloadLines();
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.shaped (id int PRIMARY KEY, note text);"
                                     "GRANT ALL ON api.shaped TO auth; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(reloadLines() > reloads, 10000);
    QCOMPARE(post(QStringLiteral("/query/shaped"), R"({"id":1,"note":"a"})", token).status, 201);
    QCOMPARE(post(QStringLiteral("/query/shaped"), R"({"id":2,"note":"b"})", token).status, 201); // replayed

    reloads = reloadLines();
    QVERIFY(m_db.exec(QStringLiteral("ALTER TABLE api.shaped DROP COLUMN note; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(reloadLines() > reloads, 10000);
    const Answer a = post(QStringLiteral("/query/shaped"), R"({"id":3,"note":"c"})", token);
    QCOMPARE(a.status, 400);
    QCOMPARE(QJsonDocument::fromJson(a.body).object().value(QLatin1String("code")).toString(), QStringLiteral("PGRST204"));
    QCOMPARE(post(QStringLiteral("/query/shaped"), R"({"id":3})", token).status, 201);
}

void tst_SchemaReload::revokeStopsEventsGrantStartsThem()
{
    // A subscriber of role anon, which may read api.watched; items is the marker table.
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.watched (id int PRIMARY KEY); GRANT SELECT ON api.watched TO anon;"
                                     "NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/watched")).status, 200, 10000);
    StateSubscriber anon;
    anon.open(m_server.url(), QString());
    QTRY_VERIFY(anon.hasHello());

    const int seen = nextId();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.watched VALUES (%1)").arg(seen)));
    QTRY_VERIFY_WITH_TIMEOUT(anon.indexOfRow(QStringLiteral("watched"), seen) >= 0, 10000);

    // REVOKE, then reload: the subscriber hears of the schema change, and from
    // then on no event of the table, not even one committed at the same time.
    const int schemaMessages = anon.count(QStringLiteral("schema"));
    QVERIFY(m_db.exec(QStringLiteral("REVOKE SELECT ON api.watched FROM anon; NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(anon.count(QStringLiteral("schema")), schemaMessages + 1, 10000);
    const int hidden = nextId();
    const int marker = nextId();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.watched VALUES (%1)").arg(hidden)));
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (%1)").arg(marker)));
    QTRY_VERIFY_WITH_TIMEOUT(anon.indexOfRow(QStringLiteral("items"), marker) >= 0, 10000);
    QCOMPARE(anon.indexOfRow(QStringLiteral("watched"), hidden), -1);

    // GRANT again: events start without reconnecting.
    QVERIFY(m_db.exec(QStringLiteral("GRANT SELECT ON api.watched TO anon; NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(anon.count(QStringLiteral("schema")), schemaMessages + 2, 10000);
    const int shown = nextId();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.watched VALUES (%1)").arg(shown)));
    QTRY_VERIFY_WITH_TIMEOUT(anon.indexOfRow(QStringLiteral("watched"), shown) >= 0, 10000);
    QCOMPARE(anon.indexOfRow(QStringLiteral("watched"), hidden), -1);
}

void tst_SchemaReload::burstIsOneReload()
{
    const int before = reloadLines();
    // 20 transactions (20 notifications) in one round trip: one connection
    // per NOTIFY took longer than the quiet interval on a loaded machine
    // (ASan with two other suites), which made it 20 reloads.
    QString burst;
    for (int i = 0; i < 20; ++i)
        burst += QStringLiteral("BEGIN; NOTIFY pgrst, 'reload schema'; COMMIT; ");
    QVERIFY(m_db.exec(burst));
    QTRY_COMPARE_WITH_TIMEOUT(reloadLines(), before + 1, 10000);
    QVERIFY2(m_server.output().contains(QByteArray("reload " + QByteArray::number(before + 1) + ", 20 request(s)")),
             m_server.output().right(2000).constData());
    // Nothing more of the burst follows: the next reload is the next notification's.
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.after_burst (id int PRIMARY KEY); GRANT SELECT ON api.after_burst TO anon;"
                                     "NOTIFY pgrst")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/after_burst")).status, 200, 10000);
    QCOMPARE(reloadLines(), before + 2);
}

void tst_SchemaReload::listenerReconnects()
{
    const QString listeners = QStringLiteral("SELECT pid FROM pg_stat_activity WHERE application_name = 'aiodata listener' "
                                             "AND datname = current_database()");
    const QJsonArray first = m_db.rows(listeners);
    QCOMPARE(first.size(), 1);
    QVERIFY(m_db.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM (%1) AS l").arg(listeners)));
    // A new connection, and a reload in case a notification was missed meanwhile.
    QTRY_VERIFY_WITH_TIMEOUT(m_db.rows(listeners).size() == 1 && m_db.rows(listeners) != first, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_server.output().contains("schema reload listener connected again"), 10000);
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.after_kill (id int PRIMARY KEY); GRANT SELECT ON api.after_kill TO anon;"
                                     "NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/after_kill")).status, 200, 10000);
}

void tst_SchemaReload::channelSettings_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<QString>("notify");
    QTest::addColumn<bool>("reloads");
    QTest::newRow("own channel, quoted in LISTEN")
        << QStringLiteral("db-channel = \"Schema \\\"Events\\\"\"") << QStringLiteral("NOTIFY \"Schema \"\"Events\"\"\", 'reload schema'")
        << true;
    QTest::newRow("own channel: pgrst is not it") << QStringLiteral("db-channel = other") << QStringLiteral("NOTIFY pgrst") << false;
    QTest::newRow("disabled") << QStringLiteral("db-channel-enabled = false") << QStringLiteral("NOTIFY pgrst") << false;
}

void tst_SchemaReload::channelSettings()
{
    QFETCH(QString, config);
    QFETCH(QString, notify);
    QFETCH(bool, reloads);
    static int n = 0;
    const QString table = QStringLiteral("channel_%1").arg(++n);
    TestServer other;
    QString error;
    QVERIFY2(other.start(m_db.authenticatorUri(), config, &error), qPrintable(error));
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.%1 (id int PRIMARY KEY); GRANT SELECT ON api.%1 TO anon").arg(table)));
    QVERIFY(m_db.exec(notify));
    if (reloads) {
        QTRY_COMPARE_WITH_TIMEOUT(get(other.url(), QStringLiteral("/query/") + table).status, 200, 10000);
        return;
    }
    // The main server listens on pgrst: once it has reloaded, so would the
    // other have, had it listened (same notification, same delay).
    QVERIFY(m_db.exec(QStringLiteral("NOTIFY pgrst")));
    QTRY_COMPARE_WITH_TIMEOUT(get(m_server.url(), QStringLiteral("/query/") + table).status, 200, 10000);
    QCOMPARE(get(other.url(), QStringLiteral("/query/") + table).status, 404);
    QVERIFY(!other.output().contains("schema cache reloaded"));
}

void tst_SchemaReload::reloadConfigLeavesTheSchema()
{
    // 'reload config' re-reads the config file (JWT keys, tst_jwtkeys), not the catalog.
    const int before = reloadLines();
    const int configReloads = int(m_server.output().count("config reloaded"));
    QVERIFY(m_db.exec(QStringLiteral("NOTIFY pgrst, 'reload config'")));
    QTRY_COMPARE_WITH_TIMEOUT(int(m_server.output().count("config reloaded")), configReloads + 1, 10000);
    QCOMPARE(reloadLines(), before);
}

void tst_SchemaReload::sigusr1ReloadsTheSchema()
{
    // PostgREST's other way to ask: SIGUSR1, for databases where NOTIFY cannot be sent.
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.signalled (id int PRIMARY KEY); GRANT SELECT ON api.signalled TO anon, auth")));
    QCOMPARE(get(m_server.url(), QStringLiteral("/query/signalled")).status, 404);
    const int before = reloadLines();
    QCOMPARE(::kill(pid_t(m_server.pid()), SIGUSR1), 0);
    QTRY_COMPARE_WITH_TIMEOUT(reloadLines(), before + 1, 10000);
    QCOMPARE(get(m_server.url(), QStringLiteral("/query/signalled")).status, 200);
}

void tst_SchemaReload::clientFollowsTables()
{
    Aiodata::Client client;
    QSignalSpy added(&client, &Aiodata::Client::tableAdded);
    QSignalSpy removed(&client, &Aiodata::Client::tableRemoved);
    QSignalSpy tablesChanged(&client, &Aiodata::Client::tablesChanged);
    QVERIFY(startTestClient(client, m_server.url(), TestServer::token(QStringLiteral("auth"))));
    QVERIFY(!client.table(QStringLiteral("live")));
    QPointer<Aiodata::TableModel> items = client.table(QStringLiteral("items"));
    QVERIFY(items);
    const int changesBefore = int(tablesChanged.count());

    // A new table: a model with its rows, then its events.
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.live (id int PRIMARY KEY, v text);"
                                     "INSERT INTO api.live VALUES (1, 'a'), (2, 'b');"
                                     "GRANT ALL ON api.live TO auth; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(client.table(QStringLiteral("live")), 10000);
    QPointer<Aiodata::TableModel> live = client.table(QStringLiteral("live"));
    QVERIFY(client.tableNames().contains(QStringLiteral("live")));
    QCOMPARE(tablesChanged.count(), changesBefore + 1);
    QTRY_COMPARE_WITH_TIMEOUT(live->rowCount(), 2, 10000);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.live VALUES (3, 'c')")));
    QTRY_COMPARE_WITH_TIMEOUT(live->rowCount(), 3, 10000);
    QCOMPARE(live->row(live->indexOfKey({3})).value(QStringLiteral("v")).toString(), QStringLiteral("c"));

    // A new column: that table's model is made again (with the column), the others stay.
    QVERIFY(m_db.exec(QStringLiteral("ALTER TABLE api.live ADD COLUMN w int DEFAULT 7; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(client.table(QStringLiteral("live")) && client.table(QStringLiteral("live")) != live, 10000);
    QTRY_VERIFY(!live); // the old one is deleted
    Aiodata::TableModel *relive = client.table(QStringLiteral("live"));
    QVERIFY(relive->schema().columnIndex(QStringLiteral("w")) >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(relive->rowCount(), 3, 10000);
    QCOMPARE(relive->row(0).value(QStringLiteral("w")).toInt(), 7);
    QCOMPARE(client.table(QStringLiteral("items")), items.data());

    // A dropped table: its model goes.
    const int removedBefore = int(removed.count());
    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE api.live; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(!client.table(QStringLiteral("live")), 10000);
    QCOMPARE(removed.count(), removedBefore + 1);
    QVERIFY(!client.tableNames().contains(QStringLiteral("live")));
    QCOMPARE(client.table(QStringLiteral("items")), items.data());
    QCOMPARE(client.status(), Aiodata::Client::Ready);

    // Still live: events of the remaining tables arrive.
    const int id = nextId();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items (id) VALUES (%1)").arg(id)));
    QTRY_VERIFY_WITH_TIMEOUT(items->indexOfKey({id}) >= 0, 10000);
}

// Away while a table changed shape: the client resumes its event stream
// (no full reload), and the model made again for the new shape is filled
// with every row, not just the ones written while it was away.
void tst_SchemaReload::clientResumesOverAChangedTable()
{
    Aiodata::Client client;
    QVERIFY(startTestClient(client, m_server.url(), TestServer::token(QStringLiteral("auth"))));
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.away (id int PRIMARY KEY, v text);"
                                     "INSERT INTO api.away VALUES (1, 'a'), (2, 'b');"
                                     "GRANT ALL ON api.away TO auth; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(client.table(QStringLiteral("away")) && client.table(QStringLiteral("away"))->rowCount() == 2, 10000);

    client.stop();
    QVERIFY(m_db.exec(QStringLiteral("ALTER TABLE api.away ADD COLUMN w int DEFAULT 7; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(describes(m_server.url(), QStringLiteral("away"), QStringLiteral("w")), 10000);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.away VALUES (3, 'c', 8)")));
    QSignalSpy statuses(&client, &Aiodata::Client::statusChanged);
    QSignalSpy ready(&client, &Aiodata::Client::ready);
    client.start();
    QVERIFY(ready.wait(10000));
    QVERIFY(!statuses.contains(QVariantList{QVariant::fromValue(Aiodata::Client::Loading)})); // resumed

    Aiodata::TableModel *away = client.table(QStringLiteral("away"));
    QVERIFY(away);
    QVERIFY(away->schema().columnIndex(QStringLiteral("w")) >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(away->rowCount(), 3, 10000);
    QCOMPARE(away->row(away->indexOfKey({1})).value(QStringLiteral("w")).toInt(), 7);
    QCOMPARE(away->row(away->indexOfKey({3})).value(QStringLiteral("w")).toInt(), 8);
    // And it follows: an event after the fill.
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.away SET v = 'z' WHERE id = 2")));
    QTRY_COMPARE_WITH_TIMEOUT(away->row(away->indexOfKey({2})).value(QStringLiteral("v")).toString(), QStringLiteral("z"), 10000);
    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE api.away; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(!client.table(QStringLiteral("away")), 10000);
}

// The same, made deterministic with a proxy: hello waits for a held GET /,
// so the replay (with a row of the table's old shape) is buffered before
// the client knows the table changed; then the new model's snapshot is held.
// Until it arrives the model shows no rows, rather than rows of the old
// shape, and after it every row has the new column.
void tst_SchemaReload::resumedReplayWaitsForTheSnapshot()
{
    FaultyProxy proxy(m_server.port());
    QVERIFY(proxy.listen());
    QUrl url = m_server.url();
    url.setPort(proxy.port());
    Aiodata::Client client;
    QVERIFY(startTestClient(client, url, TestServer::token(QStringLiteral("auth"))));
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.later (id int PRIMARY KEY, v text);"
                                     "INSERT INTO api.later VALUES (1, 'a');"
                                     "GRANT ALL ON api.later TO auth; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(client.table(QStringLiteral("later")) && client.table(QStringLiteral("later"))->rowCount() == 1, 10000);
    QTest::qWait(300); // the insert's event too, so that the replay starts after it

    client.stop();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.later VALUES (2, 'b')"))); // replayed in the old shape
    QVERIFY(m_db.exec(QStringLiteral("ALTER TABLE api.later ADD COLUMN w int DEFAULT 7; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(describes(m_server.url(), QStringLiteral("later"), QStringLiteral("w")), 10000);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.later VALUES (3, 'c', 8)")));

    proxy.holdRequests("GET / ");
    QSignalSpy ready(&client, &Aiodata::Client::ready);
    client.start();
    QTRY_COMPARE_WITH_TIMEOUT(proxy.heldRequests(), 1, 5000);
    QTest::qWait(300); // hello and the replay arrive meanwhile
    proxy.releaseHeld();
    proxy.holdRequests("GET /query/later");
    QVERIFY(ready.wait(10000));
    QTRY_COMPARE_WITH_TIMEOUT(proxy.heldRequests(), 1, 5000);
    Aiodata::TableModel *later = client.table(QStringLiteral("later"));
    QVERIFY(later);
    QVERIFY(later->schema().columnIndex(QStringLiteral("w")) >= 0);
    QTest::qWait(100);
    QCOMPARE(later->rowCount(), 0);

    proxy.releaseHeld();
    QTRY_COMPARE_WITH_TIMEOUT(later->rowCount(), 3, 10000);
    QCOMPARE(later->row(later->indexOfKey({1})).value(QStringLiteral("w")).toInt(), 7);
    QCOMPARE(later->row(later->indexOfKey({2})).value(QStringLiteral("w")).toInt(), 7);
    QCOMPARE(later->row(later->indexOfKey({3})).value(QStringLiteral("w")).toInt(), 8);
    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE api.later; NOTIFY pgrst, 'reload schema'")));
    QTRY_VERIFY_WITH_TIMEOUT(!client.table(QStringLiteral("later")), 10000);
}

// A GRANT or REVOKE alone: the model stays, with its rows, and says what
// the role may do now.
void tst_SchemaReload::clientFollowsPrivileges()
{
    QVERIFY(m_db.exec(QStringLiteral("GRANT ALL ON api.items TO auth; NOTIFY pgrst, 'reload schema'")));
    Aiodata::Client client;
    QSignalSpy removed(&client, &Aiodata::Client::tableRemoved);
    QVERIFY(startTestClient(client, m_server.url(), TestServer::token(QStringLiteral("auth"))));
    QPointer<Aiodata::TableModel> items = client.table(QStringLiteral("items"));
    QVERIFY(items);
    QVERIFY(items->canInsert() && items->canDelete() && items->isEditable());
    QSignalSpy privileges(items.data(), &Aiodata::TableModel::privilegesChanged);
    const int rows = items->rowCount();

    QVERIFY(m_db.exec(QStringLiteral("REVOKE INSERT, DELETE ON api.items FROM auth; NOTIFY pgrst, 'reload schema'")));
    QVERIFY(privileges.wait(10000));
    QVERIFY(!items->canInsert());
    QVERIFY(!items->canDelete());
    QVERIFY(items->isEditable());
    QCOMPARE(client.table(QStringLiteral("items")), items.data());
    QCOMPARE(items->rowCount(), rows);
    QCOMPARE(removed.count(), 0);

    QVERIFY(m_db.exec(QStringLiteral("GRANT ALL ON api.items TO auth; NOTIFY pgrst, 'reload schema'")));
    QVERIFY(privileges.wait(10000));
    QVERIFY(items->canInsert() && items->canDelete());
    QCOMPARE(privileges.count(), 2);
}

// Schema messages in quick succession (a table created, then dropped right
// after the first reload): the client ends with the latest description,
// never with an older answer that arrived late.
void tst_SchemaReload::clientFollowsQuickChanges()
{
    Aiodata::Client client;
    QVERIFY(startTestClient(client, m_server.url(), TestServer::token(QStringLiteral("auth"))));
    QPointer<Aiodata::TableModel> items = client.table(QStringLiteral("items"));
    QVERIFY(items);
    for (int round = 0; round < 5; ++round) {
        const int reloads = reloadLines();
        QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.flicker (id int PRIMARY KEY);"
                                         "GRANT ALL ON api.flicker TO auth; NOTIFY pgrst, 'reload schema'")));
        QTRY_VERIFY_WITH_TIMEOUT(reloadLines() > reloads, 10000);
        QVERIFY(m_db.exec(QStringLiteral("DROP TABLE api.flicker; NOTIFY pgrst, 'reload schema'")));
        QTRY_VERIFY_WITH_TIMEOUT(reloadLines() > reloads + 1, 10000);
        // Settled: a marker event of items arrives after both schema messages.
        const int id = nextId();
        QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items (id) VALUES (%1)").arg(id)));
        QTRY_VERIFY_WITH_TIMEOUT(items->indexOfKey({id}) >= 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!client.table(QStringLiteral("flicker")), 10000);
        QTest::qWait(200); // a late answer would bring it back now
        QVERIFY2(!client.table(QStringLiteral("flicker")), qPrintable(QStringLiteral("round %1").arg(round)));
    }
    QCOMPARE(client.status(), Aiodata::Client::Ready);
}

QTEST_MAIN(tst_SchemaReload)
#include "tst_schemareload.moc"
