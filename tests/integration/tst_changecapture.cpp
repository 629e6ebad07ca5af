// Change capture through logical replication: every writer, commit order,
// whole transactions, resume, several server instances, PostgreSQL restarts.

#include "testclient.h"
#include "testdatabase.h"
#include "statesubscriber.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QWebSocket>
#include <QtTest>

using namespace Aiodata;

class tst_ChangeCapture : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void serverUsesLogicalReplication();
    void psqlWritesReachClients();
    void transactionArrivesWhole();
    void largeTransactionInFull();
    void unchangedToastValueSurvives();
    void twoInstances();
    void resumeAfterDrop();
    void slotsDoNotLeak();
    void idleSlotAdvances();
    void laggingStreamShowsNothingTwice();
    void rowLevelSecurity();
    void rowCheckFailureIsolated();
    void replicaIdentityReported();
    void deletesReachThoseWhoSawTheRow_data();
    void deletesReachThoseWhoSawTheRow();
    void policyChangeAtRunTime();
    void postgresRestart();
    void ownWritesFallback();

private:
    void startClient(Client &client, TestServer &server, const QString &token = QString());
    bool tableEqualsModel(const QString &table, TableModel *model, const QStringList &key);
    QJsonArray rows(const QString &sql) { return m_db.rows(sql); }

    TestDatabase m_db{QStringLiteral("tst_changecapture")};
    TestServer m_server;
};

void tst_ChangeCapture::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral(
                 "CREATE TABLE api.items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);"
                 "CREATE TABLE api.docs (id int PRIMARY KEY, body text, n int NOT NULL DEFAULT 0);"
                 "GRANT SELECT ON api.items, api.docs TO anon; GRANT ALL ON api.items, api.docs TO auth;"
                 "CREATE TABLE public.elsewhere (id serial PRIMARY KEY, v text);"
                 // Row-level security: each token sees the notes whose owner is its "sub".
                 "CREATE TABLE api.notes (id int PRIMARY KEY, owner text NOT NULL, body text);"
                 "ALTER TABLE api.notes ENABLE ROW LEVEL SECURITY;"
                 "CREATE POLICY own_notes ON api.notes TO auth "
                 "  USING (owner = current_setting('request.jwt.claims', true)::json->>'sub');"
                 "GRANT SELECT ON api.notes TO anon, auth;"
                 // Two identities whose checks misbehave: one fails, one is slow.
                 "CREATE POLICY trap ON api.notes TO auth USING (CASE current_setting('request.jwt.claims', true)::json->>'sub' "
                 "  WHEN 'mallory' THEN 1 / (id - id) = 1 WHEN 'slowpoke' THEN pg_sleep(4) IS NULL ELSE false END);"
                 // Exact deletes under RLS: the same policies on a table whose WAL has
                 // whole old rows and on one with only keys. A table owner and a
                 // BYPASSRLS role see every row.
                 "DO $$ BEGIN CREATE ROLE cc_owner NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
                 "DO $$ BEGIN CREATE ROLE cc_bypass NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
                 "GRANT cc_owner, cc_bypass TO authenticator; GRANT USAGE ON SCHEMA api TO cc_owner, cc_bypass;"
                 "GRANT SELECT ON api.items TO cc_owner, cc_bypass;"
                 "CREATE TABLE api.owned (id int PRIMARY KEY, owner text NOT NULL,"
                 "  shared bool NOT NULL DEFAULT false, archived bool NOT NULL DEFAULT false);"
                 "ALTER TABLE api.owned REPLICA IDENTITY FULL;"
                 "CREATE TABLE api.owned_keys (LIKE api.owned INCLUDING ALL);"
                 "DO $$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY['owned', 'owned_keys'] LOOP"
                 "  EXECUTE format('ALTER TABLE api.%I ENABLE ROW LEVEL SECURITY', t);"
                 "  EXECUTE format('CREATE POLICY own ON api.%I TO auth"
                 "    USING (owner = current_setting(''request.jwt.claims'', true)::json->>''sub'')', t);"
                 "  EXECUTE format('CREATE POLICY shared ON api.%I FOR SELECT TO auth USING (shared)', t);"
                 "  EXECUTE format('CREATE POLICY live ON api.%I AS RESTRICTIVE TO auth USING (NOT archived)', t);"
                 "  EXECUTE format('GRANT SELECT ON api.%I TO auth, cc_bypass', t);"
                 "  EXECUTE format('ALTER TABLE api.%I OWNER TO cc_owner', t);"
                 "END LOOP; END $$;"),
                            &error),
             qPrintable(error));
    m_server.environment.insert(QStringLiteral("AIODATA_STATUS_INTERVAL_MS"), QStringLiteral("300"));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error, TestServer::freePort()), qPrintable(error));
}

void tst_ChangeCapture::init()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.pets, api.items, api.docs, api.notes, api.owned, api.owned_keys")));
    if (!m_server.isRunning()) {
        QString error;
        QVERIFY2(m_server.restart(&error), qPrintable(error));
    }
}

void tst_ChangeCapture::startClient(Client &client, TestServer &server, const QString &token)
{
    QVERIFY(startTestClient(client, server.url(), token));
}

bool tst_ChangeCapture::tableEqualsModel(const QString &table, TableModel *model, const QStringList &key)
{
    const QJsonArray expected = rows(QStringLiteral("SELECT * FROM api.%1").arg(table));
    if (model->rowCount() != expected.size()) {
        qWarning() << table << "model has" << model->rowCount() << "rows, table" << expected.size();
        return false;
    }
    for (const QJsonValue &v : expected) {
        QVariantList k;
        for (const QString &c : key)
            k.append(v.toObject().value(c).toVariant());
        const int row = model->indexOfKey(k);
        if (row < 0 || QJsonObject::fromVariantMap(model->row(row)) != v.toObject()) {
            qWarning() << table << "differs at" << k;
            return false;
        }
    }
    return true;
}

namespace {

// A raw /state subscriber under a token, recording every message, so tests
// can assert the exact events an identity got. A marker row in api.items
// (readable by every identity here) separates one step's events from the
// next: once the marker arrived, nothing before it is still on its way.
class Recorder
{
public:
    void open(const QUrl &server, const QString &token) { m_subscriber.open(server, token); }
    // Index of the message that carries marker row id in api.items, or -1.
    qsizetype markerAt(int id) const { return m_subscriber.indexOfRow(QStringLiteral("items"), id); }
    // The events of table between two markers, as "delete 1,3; update 2".
    QString between(int from, int to, const QString &table) const
    {
        QStringList out;
        for (qsizetype i = markerAt(from) + 1; i < markerAt(to); ++i) {
            for (const QJsonValue &e : StateSubscriber::eventsOf(m_subscriber.messages.at(i))) {
                if (e[QLatin1String("table")].toString() != table)
                    continue;
                QStringList ids;
                for (const QJsonValue &row : e[QLatin1String("rows")].toArray())
                    ids.append(QString::number(row[QLatin1String("id")].toInt()));
                out.append(e[QLatin1String("action")].toString() + QLatin1Char(' ') + ids.join(QLatin1Char(',')));
            }
        }
        return out.join(QLatin1String("; "));
    }
    // Every delete carries keys only: no row content beyond the key.
    bool deletesAreKeysOnly() const
    {
        for (const QJsonObject &m : m_subscriber.messages) {
            for (const QJsonValue &e : StateSubscriber::eventsOf(m)) {
                if (e[QLatin1String("action")].toString() != QLatin1String("delete"))
                    continue;
                for (const QJsonValue &row : e[QLatin1String("rows")].toArray()) {
                    if (row.toObject().keys() != QStringList{QStringLiteral("id")})
                        return false;
                }
            }
        }
        return true;
    }
    bool connected() const { return m_subscriber.hasHello(); }

private:
    StateSubscriber m_subscriber;
};

// The identities of the exact-delete tests: three tokens of role auth with
// their own rows (carol has none but the shared one), the table owner and
// a BYPASSRLS role.
struct Audience
{
    QStringList names{QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("carol"), QStringLiteral("owner"),
                      QStringLiteral("bypass")};
    Recorder recorders[5];

    void open(const QUrl &server)
    {
        for (int i = 0; i < 3; ++i)
            recorders[i].open(server, TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), names.at(i)}}));
        recorders[3].open(server, TestServer::token(QStringLiteral("cc_owner")));
        recorders[4].open(server, TestServer::token(QStringLiteral("cc_bypass")));
    }
    bool connected() const
    {
        for (const Recorder &r : recorders) {
            if (!r.connected())
                return false;
        }
        return true;
    }
    bool haveMarker(int id) const
    {
        for (const Recorder &r : recorders) {
            if (r.markerAt(id) < 0)
                return false;
        }
        return true;
    }
};

int nextMarker()
{
    static int marker = 1000;
    return ++marker;
}

// Rows of the exact-delete tables: alice sees 1, 2 and 5; bob 3, 4 and 5;
// carol only the shared 5; nobody of role auth sees the archived 6 (a
// restrictive policy); the owner and the BYPASSRLS role see all.
const char *const kOwnedRows = "(1, 'alice', false, false), (2, 'alice', false, false), (3, 'bob', false, false),"
                               " (4, 'bob', false, false), (5, 'bob', true, false), (6, 'alice', false, true)";

} // namespace

static const QStringList petKey = {QStringLiteral("type"), QStringLiteral("breed"), QStringLiteral("name")};
static const QStringList idKey = {QStringLiteral("id")};

void tst_ChangeCapture::serverUsesLogicalReplication()
{
    QVERIFY2(m_server.output().contains("events: logical replication"), m_server.output().constData());
}

void tst_ChangeCapture::psqlWritesReachClients()
{
    Client client;
    startClient(client, m_server);
    TableModel *pets = client.table(QStringLiteral("pets"));
    QSignalSpy created(&client, &Client::created);
    QSignalSpy updated(&client, &Client::updated);
    QSignalSpy deleted(&client, &Client::deleted);

    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Cat', 'Tabby', 'Tom', 1, false)")));
    QVERIFY(created.wait(5000));
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.pets SET groomed = true WHERE name = 'Tom'")));
    QVERIFY(updated.wait(5000));
    // Without REPLICA IDENTITY FULL the stream carries only the key of the
    // old row: the client reports its cached old row.
    QCOMPARE(updated.first().at(1).toList().first().toMap().value(QStringLiteral("groomed")).toBool(), false);
    QCOMPARE(updated.first().at(2).toList().first().toMap().value(QStringLiteral("groomed")).toBool(), true);
    QVERIFY(m_db.exec(QStringLiteral("DELETE FROM api.pets WHERE name = 'Tom'")));
    QVERIFY(deleted.wait(5000));
    QCOMPARE(deleted.first().at(1).toList().first().toMap().value(QStringLiteral("color")).toInt(), 1);
    QVERIFY(tableEqualsModel(QStringLiteral("pets"), pets, petKey));
    QCOMPARE(created.size(), 1);
    QCOMPARE(updated.size(), 1);
    QCOMPARE(deleted.size(), 1);
}

void tst_ChangeCapture::transactionArrivesWhole()
{
    QWebSocket socket;
    QSignalSpy messages(&socket, &QWebSocket::textMessageReceived);
    QUrl url = m_server.url();
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/state"));
    socket.open(url);
    QVERIFY(messages.wait(5000)); // hello
    QVERIFY(m_db.exec(QStringLiteral("BEGIN; INSERT INTO api.items VALUES (1, 1), (2, 2);"
                                     "INSERT INTO api.pets VALUES ('Dog', 'Pug', 'Bo', 1, false);"
                                     "UPDATE api.items SET v = 10 WHERE id = 1; DELETE FROM api.items WHERE id = 2; COMMIT")));
    // The stream may still bring init()'s cleanup (one TRUNCATE of every
    // table) after hello: ours is the message with the pets row.
    auto ours = [&messages] {
        for (const QList<QVariant> &arguments : std::as_const(messages)) {
            const QJsonObject o = QJsonDocument::fromJson(arguments.at(0).toString().toUtf8()).object();
            for (const QJsonValue &e : o.value(QLatin1String("events")).toArray()) {
                if (e[QLatin1String("table")].toString() == QLatin1String("pets") && e[QLatin1String("action")].toString() == QLatin1String("create"))
                    return o;
            }
        }
        return QJsonObject();
    };
    QTRY_VERIFY_WITH_TIMEOUT(!ours().isEmpty(), 5000);
    const QJsonObject m = ours();
    QCOMPARE(m.value(QLatin1String("type")).toString(), QStringLiteral("transaction"));
    const QJsonArray events = m.value(QLatin1String("events")).toArray();
    QCOMPARE(events.size(), 4);
    QCOMPARE(events.at(0)[QLatin1String("action")].toString(), QStringLiteral("create"));
    QCOMPARE(events.at(0)[QLatin1String("rows")].toArray().size(), 2);
    QCOMPARE(events.at(1)[QLatin1String("table")].toString(), QStringLiteral("pets"));
    QCOMPARE(events.at(2)[QLatin1String("action")].toString(), QStringLiteral("update"));
    QCOMPARE(events.at(3)[QLatin1String("action")].toString(), QStringLiteral("delete"));
    // The same JSON as the REST API gives for the row.
    QCOMPARE(events.at(1)[QLatin1String("rows")].toArray().first().toObject(),
             rows(QStringLiteral("SELECT * FROM api.pets WHERE name = 'Bo'")).first().toObject());
    QVERIFY(m.value(QLatin1String("seq")).toDouble() > 0);
}

void tst_ChangeCapture::largeTransactionInFull()
{
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items SELECT g, 0 FROM generate_series(1, 10000) g")));
    Client client;
    startClient(client, m_server);
    TableModel *items = client.table(QStringLiteral("items"));
    QCOMPARE(items->rowCount(), 10000);
    QSignalSpy updated(items, &TableModel::updated);
    QSignalSpy changed(items, &QAbstractItemModel::dataChanged);
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.items SET v = v + 1")));
    QVERIFY(updated.wait(20000));
    // One transaction, one batch: every row, no silent cap.
    QCOMPARE(updated.size(), 1);
    QCOMPARE(updated.first().at(1).toList().size(), 10000);
    QVERIFY(tableEqualsModel(QStringLiteral("items"), items, idKey));
}

void tst_ChangeCapture::unchangedToastValueSurvives()
{
    // ~100 kB that does not compress: stored out of line (TOAST).
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.docs SELECT 1, string_agg(md5(random()::text), '') FROM generate_series(1, 3000)")));
    Client client;
    startClient(client, m_server);
    TableModel *docs = client.table(QStringLiteral("docs"));
    QSignalSpy updated(docs, &TableModel::updated);
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.docs SET n = n + 1 WHERE id = 1")));
    QVERIFY(updated.wait(5000));
    QVERIFY(tableEqualsModel(QStringLiteral("docs"), docs, idKey));
    QCOMPARE(docs->row(0).value(QStringLiteral("body")).toString().size(), 96000);
    QCOMPARE(updated.first().at(1).toList().first().toMap().value(QStringLiteral("body")).toString().size(), 96000);
}

void tst_ChangeCapture::twoInstances()
{
    TestServer second;
    QString error;
    QVERIFY2(second.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    Client onSecond;
    startClient(onSecond, second);
    TableModel *pets = onSecond.table(QStringLiteral("pets"));
    QSignalSpy created(&onSecond, &Client::created);

    // A write through the first instance, and one by psql.
    Client writer;
    startClient(writer, m_server, TestServer::token(QStringLiteral("auth")));
    TableModel *writerPets = writer.table(QStringLiteral("pets"));
    writerPets->create(writerPets->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Aqui")}));
    QVERIFY(created.wait(5000));
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Bird', 'Owl', 'Hoot', 2, false)")));
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 2, 5000);
    QVERIFY(tableEqualsModel(QStringLiteral("pets"), pets, petKey));
}

void tst_ChangeCapture::resumeAfterDrop()
{
    Client client;
    startClient(client, m_server);
    TableModel *items = client.table(QStringLiteral("items"));
    QSignalSpy statuses(&client, &Client::statusChanged);
    QSignalSpy created(items, &TableModel::created);
    QSignalSpy ready(&client, &Client::ready);

    // Cut the client's event stream, write while it is away.
    QWebSocket *socket = client.findChild<QWebSocket *>();
    QVERIFY(socket);
    socket->abort();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (2, 2)")));

    QVERIFY(ready.wait(10000));
    QTRY_COMPARE_WITH_TIMEOUT(items->rowCount(), 2, 5000);
    QVERIFY(tableEqualsModel(QStringLiteral("items"), items, idKey));
    // Resumed: the missed transactions were replayed once each, no re-snapshot.
    QCOMPARE(created.size(), 2);
    QVERIFY(statuses.contains(QVariantList{QVariant::fromValue(Client::Reconnecting)}));
    QVERIFY(!statuses.contains(QVariantList{QVariant::fromValue(Client::Loading)}));
}

static int aiodataSlots(TestDatabase &db)
{
    return db.rows(QStringLiteral("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'aiodata%' AND database = current_database()")).size();
}

void tst_ChangeCapture::slotsDoNotLeak()
{
    const int before = aiodataSlots(m_db);
    QVERIFY(before >= 1);
    {
        TestServer other;
        QString error;
        QVERIFY2(other.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
        QCOMPARE(aiodataSlots(m_db), before + 1);
        other.kill(); // even kill -9: the slot is temporary
    }
    QTRY_COMPARE_WITH_TIMEOUT(aiodataSlots(m_db), before, 10000);
}

void tst_ChangeCapture::idleSlotAdvances()
{
    // Writes only to a table outside the publication: our slot must still
    // confirm them, or PostgreSQL keeps their WAL for us.
    for (int i = 0; i < 20; ++i)
        QVERIFY(m_db.exec(QStringLiteral("INSERT INTO public.elsewhere (v) SELECT repeat('x', 1000) FROM generate_series(1, 100)")));
    const QString target = rows(QStringLiteral("SELECT pg_current_wal_lsn()::text AS l")).first()[QLatin1String("l")].toString();
    QTRY_VERIFY_WITH_TIMEOUT(
        rows(QStringLiteral("SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE 'aiodata%' AND database = current_database() "
                            "AND confirmed_flush_lsn >= '%1'::pg_lsn").arg(target)).size() == aiodataSlots(m_db),
        10000);
}

void tst_ChangeCapture::laggingStreamShowsNothingTwice()
{
    // With synchronous_commit off the WAL reaches the stream up to ~200 ms
    // after the commit: the snapshot holds rows whose events come later,
    // even after the client is ready. They must not be shown again.
    Client client;
    QSignalSpy created(&client, &Client::created);
    QVERIFY(m_db.exec(QStringLiteral("SET synchronous_commit = off; INSERT INTO api.items SELECT g, g FROM generate_series(1, 50) g")));
    startClient(client, m_server);
    QTest::qWait(800);
    QCOMPARE(created.size(), 0);
    QVERIFY(tableEqualsModel(QStringLiteral("items"), client.table(QStringLiteral("items")), idKey));
    // And what commits after the snapshot still arrives, once.
    QVERIFY(m_db.exec(QStringLiteral("SET synchronous_commit = off; INSERT INTO api.items VALUES (51, 51)")));
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, 5000);
    QTest::qWait(300);
    QCOMPARE(created.size(), 1);
}

void tst_ChangeCapture::rowLevelSecurity()
{
    Client alice, bob, anon;
    startClient(alice, m_server, TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), QStringLiteral("alice")}}));
    startClient(bob, m_server, TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), QStringLiteral("bob")}}));
    startClient(anon, m_server);
    TableModel *aliceNotes = alice.table(QStringLiteral("notes"));
    TableModel *bobNotes = bob.table(QStringLiteral("notes"));
    TableModel *anonNotes = anon.table(QStringLiteral("notes"));
    QVERIFY(aliceNotes && bobNotes && anonNotes);
    QSignalSpy aliceEvents(&alice, &Client::event);
    QSignalSpy bobEvents(&bob, &Client::event);
    QSignalSpy anonEvents(&anon, &Client::event);
    auto sees = [this](TableModel *model, const QString &owner) {
        const QJsonArray expected = rows(QStringLiteral("SELECT * FROM api.notes WHERE owner = '%1' ORDER BY id").arg(owner));
        if (model->rowCount() != expected.size())
            return false;
        for (int r = 0; r < expected.size(); ++r) {
            if (QJsonObject::fromVariantMap(model->row(r)) != expected.at(r).toObject())
                return false;
        }
        return true;
    };

    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.notes VALUES (1, 'alice', 'a secret'), (2, 'bob', 'b secret')")));
    QTRY_VERIFY2_WITH_TIMEOUT(sees(aliceNotes, QStringLiteral("alice")) && aliceNotes->rowCount() == 1,
                              m_server.output().right(4000).constData(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(sees(bobNotes, QStringLiteral("bob")) && bobNotes->rowCount() == 1, 5000);

    // Alice's note moves to Bob: it leaves Alice's model and appears in Bob's.
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.notes SET owner = 'bob' WHERE id = 1")));
    QTRY_VERIFY_WITH_TIMEOUT(sees(bobNotes, QStringLiteral("bob")) && bobNotes->rowCount() == 2, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(aliceNotes->rowCount(), 0, 5000);
    QVERIFY(m_db.exec(QStringLiteral("DELETE FROM api.notes WHERE id = 2")));
    QTRY_VERIFY_WITH_TIMEOUT(sees(bobNotes, QStringLiteral("bob")) && bobNotes->rowCount() == 1, 5000);

    // A marker on a table everyone reads: once it arrived, nothing else is on its way.
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (99, 0)")));
    QTRY_VERIFY_WITH_TIMEOUT(anon.table(QStringLiteral("items"))->rowCount() == 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(alice.table(QStringLiteral("items"))->rowCount() == 1, 5000);
    // Anonymous may SELECT the table but no policy shows it a row: no note event at all.
    QCOMPARE(anonNotes->rowCount(), 0);
    for (const QList<QVariant> &e : std::as_const(anonEvents))
        QVERIFY(e.at(1).toString() != QLatin1String("notes"));
    // No row content of Bob's ever reached Alice: at most the key of the note she lost.
    for (const QList<QVariant> &e : std::as_const(aliceEvents)) {
        const QByteArray json = QJsonDocument::fromVariant(e.at(2)).toJson();
        QVERIFY2(!json.contains("b secret"), json.constData());
    }
}

void tst_ChangeCapture::rowCheckFailureIsolated()
{
    // Raw subscribers for the misbehaving identities (their snapshots would fail too).
    auto open = [this](QWebSocket &socket, const QString &sub) {
        QUrl url = m_server.url();
        url.setScheme(QStringLiteral("ws"));
        url.setPath(QStringLiteral("/state"));
        QNetworkRequest request(url);
        request.setRawHeader("Authorization",
                             "Bearer " + TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), sub}}).toUtf8());
        socket.open(request);
    };
    QWebSocket mallory, slowpoke;
    QSignalSpy malloryMessages(&mallory, &QWebSocket::textMessageReceived);
    QSignalSpy slowpokeMessages(&slowpoke, &QWebSocket::textMessageReceived);
    open(mallory, QStringLiteral("mallory"));
    open(slowpoke, QStringLiteral("slowpoke"));
    // hello (late events of earlier tests may follow it)
    QTRY_VERIFY_WITH_TIMEOUT(malloryMessages.size() >= 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(slowpokeMessages.size() >= 1, 5000);
    Client alice;
    startClient(alice, m_server, TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), QStringLiteral("alice")}}));
    TableModel *notes = alice.table(QStringLiteral("notes"));

    QElapsedTimer timer;
    timer.start();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.notes VALUES (10, 'alice', 'for alice only')")));
    // Alice is not held up by slowpoke's 4 s check, nor by mallory's failing one.
    QTRY_VERIFY2_WITH_TIMEOUT(notes->rowCount() == 1, m_server.output().right(3000).constData(), 10000);
    QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));

    // A later change on a table without RLS still reaches both, in order,
    // after their note verdicts: nothing of the note, no disconnect.
    // A "position" message may follow the event, and a late TRUNCATE of init()
    // may precede it: look for this row among the messages that came after.
    const qsizetype malloryBefore = malloryMessages.size(), slowpokeBefore = slowpokeMessages.size();
    const auto heardItems = [&](const QSignalSpy &spy) {
        const qsizetype from = &spy == &malloryMessages ? malloryBefore : slowpokeBefore;
        return std::any_of(spy.cbegin() + from, spy.cend(), [](const QList<QVariant> &m) {
            const QString text = m.at(0).toString();
            return text.contains(QLatin1String("\"table\":\"items\"")) && text.contains(QLatin1String("\"id\":42"));
        });
    };
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (42, 1)")));
    QTRY_VERIFY_WITH_TIMEOUT(heardItems(malloryMessages), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(heardItems(slowpokeMessages), 20000);
    for (QSignalSpy *spy : {&malloryMessages, &slowpokeMessages}) {
        for (const QList<QVariant> &m : std::as_const(*spy))
            QVERIFY(!m.at(0).toString().contains(QLatin1String("for alice only")));
    }
    QCOMPARE(mallory.state(), QAbstractSocket::ConnectedState);
}

void tst_ChangeCapture::replicaIdentityReported()
{
    // Said once per table with RLS whose deletes cannot be judged, with the fix.
    const QByteArray output = m_server.output();
    QCOMPARE(output.count("table \"api\".\"owned_keys\" has row-level security but not REPLICA IDENTITY FULL"), 1);
    QVERIFY(output.contains("ALTER TABLE \"api\".\"owned_keys\" REPLICA IDENTITY FULL"));
    QCOMPARE(output.count("table \"api\".\"notes\" has row-level security"), 1);
    QCOMPARE(output.count("table \"api\".\"owned\" has"), 0); // FULL: exact
    QCOMPARE(output.count("table \"api\".\"items\" has"), 0); // no RLS
}

void tst_ChangeCapture::deletesReachThoseWhoSawTheRow_data()
{
    // What each identity hears of one transaction: "action ids; ...".
    // "staff" is both the table owner and the BYPASSRLS role.
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("alice");
    QTest::addColumn<QString>("bob");
    QTest::addColumn<QString>("carol");
    QTest::addColumn<QString>("staff");

    const QString full = QStringLiteral("owned");
    const QString keys = QStringLiteral("owned_keys");
    QTest::newRow("one of alice's, one of bob's")
        << full << QStringLiteral("BEGIN; DELETE FROM api.%1 WHERE id = 1; DELETE FROM api.%1 WHERE id = 3; COMMIT")
        << QStringLiteral("delete 1") << QStringLiteral("delete 3") << QString() << QStringLiteral("delete 1,3");
    QTest::newRow("shared: any permissive policy shows it")
        << full << QStringLiteral("DELETE FROM api.%1 WHERE id = 5") << QStringLiteral("delete 5")
        << QStringLiteral("delete 5") << QStringLiteral("delete 5") << QStringLiteral("delete 5");
    QTest::newRow("archived: the restrictive policy hid it")
        << full << QStringLiteral("DELETE FROM api.%1 WHERE id = 6") << QString() << QString() << QString()
        << QStringLiteral("delete 6");
    // A row newly in sight arrives as an update (old key, new row); the
    // client applies an update of a key it lacks as an insert.
    QTest::newRow("update moves alice's row to bob")
        << full << QStringLiteral("UPDATE api.%1 SET owner = 'bob' WHERE id = 1") << QStringLiteral("delete 1")
        << QStringLiteral("update 1") << QString() << QStringLiteral("update 1");
    QTest::newRow("update archives alice's row")
        << full << QStringLiteral("UPDATE api.%1 SET archived = true WHERE id = 2") << QStringLiteral("delete 2")
        << QString() << QString() << QStringLiteral("update 2");
    QTest::newRow("update of a row nobody of auth saw")
        << full << QStringLiteral("UPDATE api.%1 SET owner = 'carol' WHERE id = 6") << QString() << QString()
        << QString() << QStringLiteral("update 6");
    // Only keys in the WAL: deletes reach every identity that may SELECT the table.
    QTest::newRow("keys only: one of alice's, one of bob's")
        << keys << QStringLiteral("BEGIN; DELETE FROM api.%1 WHERE id = 1; DELETE FROM api.%1 WHERE id = 3; COMMIT")
        << QStringLiteral("delete 1,3") << QStringLiteral("delete 1,3") << QStringLiteral("delete 1,3")
        << QStringLiteral("delete 1,3");
    QTest::newRow("keys only: update moves alice's row to bob")
        << keys << QStringLiteral("UPDATE api.%1 SET owner = 'bob' WHERE id = 1") << QStringLiteral("delete 1")
        << QStringLiteral("update 1") << QStringLiteral("delete 1") << QStringLiteral("update 1");
}

void tst_ChangeCapture::deletesReachThoseWhoSawTheRow()
{
    QFETCH(QString, table);
    QFETCH(QString, change);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.%1 VALUES %2").arg(table, QLatin1String(kOwnedRows))));
    Audience audience;
    audience.open(m_server.url());
    QTRY_VERIFY_WITH_TIMEOUT(audience.connected(), 5000);
    const int before = nextMarker();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (%1, 0)").arg(before)));
    QTRY_VERIFY_WITH_TIMEOUT(audience.haveMarker(before), 5000);

    QVERIFY(m_db.exec(change.arg(table)));
    const int after = nextMarker();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (%1, 0)").arg(after)));
    QTRY_VERIFY2_WITH_TIMEOUT(audience.haveMarker(after), m_server.output().right(3000).constData(), 5000);

    QFETCH(QString, alice);
    QFETCH(QString, bob);
    QFETCH(QString, carol);
    QFETCH(QString, staff);
    const QStringList expected{alice, bob, carol, staff, staff};
    for (int i = 0; i < 5; ++i) {
        // Named, so a failure says whose events differ.
        QCOMPARE(audience.names.at(i) + QLatin1String(": ") + audience.recorders[i].between(before, after, table),
                 audience.names.at(i) + QLatin1String(": ") + expected.at(i));
        QVERIFY(audience.recorders[i].deletesAreKeysOnly());
    }
}

void tst_ChangeCapture::policyChangeAtRunTime()
{
    // A policy altered while the server runs is used from the next check on.
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.owned VALUES %1").arg(QLatin1String(kOwnedRows))));
    Audience audience;
    audience.open(m_server.url());
    QTRY_VERIFY_WITH_TIMEOUT(audience.connected(), 5000);
    const int before = nextMarker();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (%1, 0)").arg(before)));
    QTRY_VERIFY_WITH_TIMEOUT(audience.haveMarker(before), 5000);

    // Bob no longer sees his own rows: his row's delete is not his to hear.
    const QString own = QStringLiteral("ALTER POLICY own ON api.owned TO auth USING "
                                       "(owner = current_setting('request.jwt.claims', true)::json->>'sub'%1)");
    QVERIFY(m_db.exec(own.arg(QLatin1String(" AND owner <> 'bob'"))));
    const auto restore = qScopeGuard([this, own] { m_db.exec(own.arg(QString())); });
    QVERIFY(m_db.exec(QStringLiteral("DELETE FROM api.owned WHERE id IN (1, 3)")));
    const int after = nextMarker();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (%1, 0)").arg(after)));
    QTRY_VERIFY_WITH_TIMEOUT(audience.haveMarker(after), 5000);

    const QStringList expected{QStringLiteral("delete 1"), QString(), QString(), QStringLiteral("delete 1,3"),
                               QStringLiteral("delete 1,3")};
    for (int i = 0; i < 5; ++i)
        QCOMPARE(audience.names.at(i) + QLatin1String(": ") + audience.recorders[i].between(before, after, QStringLiteral("owned")),
                 audience.names.at(i) + QLatin1String(": ") + expected.at(i));
}

void tst_ChangeCapture::postgresRestart()
{
    Client client;
    startClient(client, m_server);
    TableModel *items = client.table(QStringLiteral("items"));
    QSignalSpy ready(&client, &Client::ready);

    QProcess devdb;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QUrl admin(TestDatabase::adminUri());
    env.insert(QStringLiteral("AIODATA_DB_PORT"), QString::number(admin.port()));
    if (qEnvironmentVariableIsSet("AIODATA_TEST_DB_DIR"))
        env.insert(QStringLiteral("AIODATA_DB_DIR"), qEnvironmentVariable("AIODATA_TEST_DB_DIR"));
    else
        QSKIP("AIODATA_TEST_DB_DIR not set: run through ctest to restart the test cluster");
    devdb.setProcessEnvironment(env);
    devdb.start(QStringLiteral(AIODATA_SOURCE_DIR "/scripts/devdb"), {QStringLiteral("stop")});
    QVERIFY(devdb.waitForFinished(30000));
    QCOMPARE(devdb.exitCode(), 0);
    devdb.start(QStringLiteral(AIODATA_SOURCE_DIR "/scripts/devdb"), {QStringLiteral("start")});
    QVERIFY(devdb.waitForFinished(60000));
    QCOMPARE(devdb.exitCode(), 0);

    // The server reconnects, streams from a new slot, and the client re-syncs.
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (7, 7)")));
    QVERIFY(ready.wait(20000));
    QTRY_VERIFY_WITH_TIMEOUT(tableEqualsModel(QStringLiteral("items"), items, idKey), 10000);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (8, 8)")));
    QTRY_COMPARE_WITH_TIMEOUT(items->rowCount(), 2, 10000);
    QVERIFY(m_server.isRunning());
}

void tst_ChangeCapture::ownWritesFallback()
{
    // A database where the server may not set up change capture.
    TestDatabase plain(QStringLiteral("tst_changecapture_plain"));
    QString error;
    QVERIFY2(plain.create(&error), qPrintable(error));
    QVERIFY(plain.exec(QStringLiteral("DROP PUBLICATION aiodata")));
    TestServer server;
    QVERIFY2(server.start(plain.authenticatorUri(), QString(), &error), qPrintable(error));
    const QByteArray output = server.output();
    QVERIFY2(output.contains("events: own writes"), output.constData());
    QCOMPARE(output.count("logical replication unavailable"), 1);
    QVERIFY(plain.exec(QStringLiteral("ALTER ROLE authenticator REPLICATION")));
}

QTEST_MAIN(tst_ChangeCapture)
#include "tst_changecapture.moc"
