// The persisted cache (issue 17, part 1): Client::cacheDirectory against the
// real server and PostgreSQL. Models open from disk with the server down,
// resume the stream from the stored position (or re-snapshot and merge with
// only the real differences), never show another role's rows, and refetch a
// damaged file. aiodata-mirror --cache/--offline runs as a process, also
// killed -9 while it writes its cache.

#include "testdatabase.h"
#include "testserver.h"

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QAbstractItemModelTester>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace Aiodata;

class tst_Cache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void opensWithoutServerThenResumes();
    void resnapshotEmitsOnlyDifferences();
    void anotherRoleSeesNothingOfIt();
    void damagedFileIsFetchedAgain();
    void mirrorOffline();
    void mirrorKilledWhileWriting();
    void mirrorQueuesOfflineWrites();
    void clientJournalsWrites();
    void writesOnceAcrossKills_data();
    void writesOnceAcrossKills();

private:
    bool startServer(TestServer &server, bool permanentSlot);
    // A client on the cache folder, testers on its models; not started.
    void prepare(Client &client, const QUrl &url, const QString &token);
    // Filled once and closed, so that its files are written.
    bool fillCache(const QUrl &url, const QString &token);
    QJsonArray itemsInDb(const QString &table = QStringLiteral("items")) const;
    static QJsonArray rowsOf(const TableModel *model);
    QStringList cacheFiles() const;
    QProcess *mirror(const QStringList &arguments);

    TestDatabase m_db{QStringLiteral("tst_cache")};
    QTemporaryDir m_dir;
    QString m_cache;
    QString m_auth = TestServer::token(QStringLiteral("auth"));
    const QString m_slot = QStringLiteral("aiodata_test_cache");
};

void tst_Cache::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // secrets: for auth only, so anon's cache must never hold it.
    QVERIFY2(m_db.exec(QStringLiteral("CREATE TABLE api.items (id int PRIMARY KEY, v text NOT NULL DEFAULT '');"
                                      "GRANT SELECT ON api.items TO anon; GRANT ALL ON api.items TO auth;"
                                      "CREATE TABLE api.secrets (id int PRIMARY KEY, s text);"
                                      "GRANT ALL ON api.secrets TO auth;"
                                      // The server keeps Idempotency-Keys there, across its restarts
                                      // (without it, in memory only: writesOnceAcrossKills fails).
                                      "CREATE SCHEMA IF NOT EXISTS aiodata AUTHORIZATION authenticator;"),
                       &error),
             qPrintable(error));
}

void tst_Cache::init()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.items, api.secrets;"
                                     "INSERT INTO api.items SELECT i, 'v' || i FROM generate_series(1, 50) i;"
                                     "INSERT INTO api.secrets VALUES (1, 'only for auth')")));
    m_cache = m_dir.path() + QLatin1Char('/') + QString::fromLatin1(QTest::currentTestFunction());
}

void tst_Cache::cleanup()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_db.exec(QStringLiteral("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                                                      "WHERE slot_name = '%1'").arg(m_slot)),
                             10000);
}

bool tst_Cache::startServer(TestServer &server, bool permanentSlot)
{
    server.environment.insert(QStringLiteral("AIODATA_EVENTS"), QStringLiteral("wal"));
    server.environment.insert(QStringLiteral("AIODATA_STATUS_INTERVAL_MS"), QStringLiteral("200"));
    if (permanentSlot)
        server.environment.insert(QStringLiteral("AIODATA_SLOT"), m_slot);
    QString error;
    if (!server.start(m_db.authenticatorUri(), QString(), &error)) {
        qWarning().noquote() << error;
        return false;
    }
    return true;
}

void tst_Cache::prepare(Client &client, const QUrl &url, const QString &token)
{
    client.setUrl(url);
    client.setToken(token);
    client.setCacheDirectory(m_cache);
    QObject::connect(&client, &Client::tableAdded, &client, [](TableModel *model) {
        new QAbstractItemModelTester(model, QAbstractItemModelTester::FailureReportingMode::QtTest, model);
    });
}

bool tst_Cache::fillCache(const QUrl &url, const QString &token)
{
    Client client;
    prepare(client, url, token);
    QSignalSpy ready(&client, &Client::ready);
    client.start();
    return ready.wait(10000) && !client.isFromCache();
    // Its destructor writes the files and waits for them.
}

QJsonArray tst_Cache::itemsInDb(const QString &table) const
{
    return m_db.rows(QStringLiteral("SELECT * FROM api.%1 ORDER BY id").arg(table));
}

QJsonArray tst_Cache::rowsOf(const TableModel *model)
{
    QJsonArray rows;
    for (const QVariant &row : model->get())
        rows.append(QJsonObject::fromVariantMap(row.toMap()));
    return rows;
}

QStringList tst_Cache::cacheFiles() const
{
    QStringList files;
    QDirIterator it(m_cache, {QStringLiteral("*.cache")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files.append(it.next());
    return files;
}

void tst_Cache::opensWithoutServerThenResumes()
{
    TestServer server;
    QVERIFY(startServer(server, true));
    QVERIFY(fillCache(server.url(), m_auth));
    QCOMPARE(cacheFiles().size(), 3); // items, pets (examples/pets.sql) and secrets
    const QJsonArray cached = itemsInDb();

    // Down: changes meanwhile are the database's, not yet the client's.
    server.stop();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (51, 'new'), (52, 'new');"
                                     "UPDATE api.items SET v = 'changed' WHERE id = 7;"
                                     "DELETE FROM api.items WHERE id = 9")));

    Client client;
    prepare(client, server.url(), m_auth);
    QSignalSpy opened(&client, &Client::cacheOpened);
    QSignalSpy fromCache(&client, &Client::fromCacheChanged);
    QSignalSpy statuses(&client, &Client::statusChanged);
    client.start();
    QVERIFY(opened.wait(5000));
    QVERIFY(client.isFromCache());
    QCOMPARE(client.tableNames(), (QStringList{QStringLiteral("items"), QStringLiteral("pets"), QStringLiteral("secrets")}));
    TableModel *items = client.table(QStringLiteral("items"));
    QVERIFY(items->isLoaded());
    QCOMPARE(rowsOf(items), cached);
    QCOMPARE(rowsOf(client.table(QStringLiteral("secrets"))), itemsInDb(QStringLiteral("secrets")));
    QTest::qWait(500); // no server: it keeps the cached rows and retries
    QVERIFY(client.status() == Client::Connecting || client.status() == Client::Reconnecting);
    QVERIFY(client.isFromCache());

    // Up again: the stream resumes from the files' position, so exactly
    // the missed changes arrive as row signals; no fetch of the tables.
    QSignalSpy inserted(items, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(items, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(items, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(items, &QAbstractItemModel::modelReset);
    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), Client::Ready, 20000);
    QCOMPARE(rowsOf(items), itemsInDb());
    QVERIFY(!client.isFromCache());
    QCOMPARE(fromCache.size(), 2); // true, then false
    QVERIFY(!statuses.contains(QVariantList{QVariant::fromValue(Client::Loading)})); // resumed, not re-fetched
    int insertedRows = 0;
    for (const QList<QVariant> &args : std::as_const(inserted))
        insertedRows += args.at(2).toInt() - args.at(1).toInt() + 1;
    QCOMPARE(insertedRows, 2);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(reset.size(), 0);
}

void tst_Cache::resnapshotEmitsOnlyDifferences()
{
    // A temporary slot: the restarted server cannot replay from before it,
    // so the client fetches the tables again and merges.
    TestServer server;
    QVERIFY(startServer(server, false));
    QVERIFY(fillCache(server.url(), m_auth));
    server.stop();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.items VALUES (60, 'new');"
                                     "UPDATE api.items SET v = 'changed' WHERE id IN (3, 4);"
                                     "DELETE FROM api.items WHERE id = 20")));
    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));

    Client client;
    prepare(client, server.url(), m_auth);
    QSignalSpy opened(&client, &Client::cacheOpened);
    client.start();
    QVERIFY(opened.wait(5000));
    TableModel *items = client.table(QStringLiteral("items"));
    QVERIFY(items);
    QCOMPARE(items->rowCount(), 50);
    QSignalSpy inserted(items, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(items, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(items, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(items, &QAbstractItemModel::modelReset);
    QSignalSpy statuses(&client, &Client::statusChanged);
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), Client::Ready, 20000);
    QVERIFY(statuses.contains(QVariantList{QVariant::fromValue(Client::Loading)})); // fetched again
    QCOMPARE(rowsOf(items), itemsInDb());
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(changed.size(), 1); // rows 3 and 4, one run
    QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 2);
    QCOMPARE(changed.at(0).at(1).toModelIndex().row(), 3);
    QCOMPARE(reset.size(), 0);
}

void tst_Cache::anotherRoleSeesNothingOfIt()
{
    TestServer server;
    QVERIFY(startServer(server, true));
    QVERIFY(fillCache(server.url(), m_auth));
    server.stop();

    {
        // anon never connected with this cache: nothing opens for it.
        Client anon;
        prepare(anon, server.url(), QString());
        QSignalSpy opened(&anon, &Client::cacheOpened);
        anon.openCache();
        QVERIFY(opened.wait(5000));
        QVERIFY(anon.tableNames().isEmpty());
        QVERIFY(!anon.isFromCache());
    }
    // Once anon has connected, its own cache holds only what it may read.
    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));
    QVERIFY(fillCache(server.url(), QString()));
    server.stop();
    {
        Client anon;
        prepare(anon, server.url(), QString());
        QSignalSpy opened(&anon, &Client::cacheOpened);
        anon.openCache();
        QVERIFY(opened.wait(5000));
        QCOMPARE(anon.tableNames(), (QStringList{QStringLiteral("items"), QStringLiteral("pets")}));
        QVERIFY(anon.isFromCache());
    }
    {
        // Switching the token opens that role's cache; auth's rows again.
        Client client;
        prepare(client, server.url(), QString());
        QSignalSpy opened(&client, &Client::cacheOpened);
        client.openCache();
        QVERIFY(opened.wait(5000));
        QCOMPARE(client.tableNames().size(), 2);
        QSignalSpy removed(&client, &Client::tableRemoved);
        client.setToken(m_auth);
        client.openCache();
        QVERIFY(opened.wait(5000));
        QCOMPARE(removed.size(), 2); // anon's models went first
        QCOMPARE(client.tableNames(), (QStringList{QStringLiteral("items"), QStringLiteral("pets"), QStringLiteral("secrets")}));
        // A token the server never saw: no cache, and nothing of the last one stays.
        client.setToken(TestServer::token(QStringLiteral("auth"), {{QStringLiteral("n"), 1}}));
        client.openCache();
        QVERIFY(opened.wait(5000));
        QVERIFY(client.tableNames().isEmpty());
    }
}

void tst_Cache::damagedFileIsFetchedAgain()
{
    TestServer server;
    QVERIFY(startServer(server, true));
    QVERIFY(fillCache(server.url(), m_auth));
    const QStringList files = cacheFiles();
    QCOMPARE(files.size(), 3);
    for (const QString &path : files) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(file.size() / 2);
        file.write("\xde\xad\xbe\xef", 4);
    }
    QVERIFY(m_db.exec(QStringLiteral("UPDATE api.items SET v = 'after' WHERE id = 1")));

    Client client;
    prepare(client, server.url(), m_auth);
    QSignalSpy opened(&client, &Client::cacheOpened);
    for (int i = 0; i < 3; ++i)
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("discarded a cache file:.*checksum")));
    client.start();
    QVERIFY(opened.wait(5000));
    QVERIFY(client.tableNames().isEmpty()); // nothing believed
    QVERIFY(!client.isFromCache());
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), Client::Ready, 10000);
    QCOMPARE(rowsOf(client.table(QStringLiteral("items"))), itemsInDb());
    // ...and written again, whole.
    QTRY_COMPARE_WITH_TIMEOUT(cacheFiles().size(), 3, 5000);
}

QProcess *tst_Cache::mirror(const QStringList &arguments)
{
    auto *process = new QProcess(this);
    process->setProgram(QStringLiteral(AIODATA_MIRROR_BIN));
    process->setArguments(arguments);
    process->start();
    return process;
}

void tst_Cache::mirrorOffline()
{
    TestServer server;
    QVERIFY(startServer(server, true));
    const QString url = server.url().toString();
    const QStringList common{QStringLiteral("--url"), url, QStringLiteral("--cache"), m_cache, QStringLiteral("--token"), m_auth};

    // Never mirrored: nothing cached for this server and token.
    std::unique_ptr<QProcess> none(mirror(common + QStringList{QStringLiteral("--offline"), QStringLiteral("items")}));
    QVERIFY(none->waitForFinished(10000));
    QCOMPARE(none->exitCode(), 4);
    QVERIFY(none->readAllStandardError().contains("No cached copy of table items"));

    // Online with --cache, then offline with the server down: the same line.
    std::unique_ptr<QProcess> online(mirror(common + QStringList{QStringLiteral("items")}));
    QVERIFY(online->waitForFinished(15000));
    QCOMPARE(online->exitCode(), 0);
    const QByteArray line = online->readAllStandardOutput();
    QCOMPARE(QJsonDocument::fromJson(line).array(), itemsInDb());
    server.stop();
    std::unique_ptr<QProcess> offline(mirror(common + QStringList{QStringLiteral("--offline"), QStringLiteral("items")}));
    QVERIFY(offline->waitForFinished(10000));
    QCOMPARE(offline->exitCode(), 0);
    QCOMPARE(offline->readAllStandardOutput(), line);

    // Another role's token: not auth's copy.
    std::unique_ptr<QProcess> anon(mirror({QStringLiteral("--url"), url, QStringLiteral("--cache"), m_cache,
                                           QStringLiteral("--offline"), QStringLiteral("items")}));
    QVERIFY(anon->waitForFinished(10000));
    QCOMPARE(anon->exitCode(), 4);

    // Usage: --offline needs --cache.
    std::unique_ptr<QProcess> usage(mirror({QStringLiteral("--offline"), QStringLiteral("items")}));
    QVERIFY(usage->waitForFinished(10000));
    QCOMPARE(usage->exitCode(), 2);
}

void tst_Cache::mirrorQueuesOfflineWrites()
{
    // Writes made with the server down are journaled (exit 0, the database
    // untouched); the next run sends them in order before it prints, each
    // once; a refused one is said on stderr (exit 1) and the rest still go.
    TestServer server;
    QVERIFY(startServer(server, true));
    const QStringList common{QStringLiteral("--url"), server.url().toString(), QStringLiteral("--cache"), m_cache,
                             QStringLiteral("--token"), m_auth};
    const auto run = [this, &common](const QStringList &arguments, QByteArray *out = nullptr, QByteArray *err = nullptr) {
        std::unique_ptr<QProcess> p(mirror(common + arguments));
        if (p->state() != QProcess::NotRunning && !p->waitForFinished(20000))
            return -1;
        if (out)
            *out = p->readAllStandardOutput();
        const QByteArray e = p->readAllStandardError();
        if (err)
            *err = e;
        return p->exitStatus() == QProcess::NormalExit ? p->exitCode() : -2;
    };
    QCOMPARE(run({QStringLiteral("items")}), 0);
    server.stop();

    const QString items = QStringLiteral("items");
    QByteArray out;
    QCOMPARE(run({QStringLiteral("--offline"), items, QStringLiteral("--create"), QStringLiteral("{\"id\":1001,\"v\":\"new\"}")}, &out), 0);
    QCOMPARE(out, QByteArray());
    QCOMPARE(run({QStringLiteral("--offline"), items, QStringLiteral("--update"), QStringLiteral("{\"v\":\"changed\"}"),
                  QStringLiteral("--key"), QStringLiteral("1001")}),
             0);
    // Refused when sent: id 3 exists.
    QCOMPARE(run({QStringLiteral("--offline"), items, QStringLiteral("--create"), QStringLiteral("{\"id\":3}")}), 0);
    QCOMPARE(run({QStringLiteral("--offline"), items, QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("5")}), 0);
    // Without the server, online: unreachable, and the write stays queued.
    QByteArray err;
    QCOMPARE(run({items, QStringLiteral("--create"), QStringLiteral("{\"id\":1002}")}, nullptr, &err), 3);
    QVERIFY2(err.contains("stays queued"), err.constData());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT id FROM api.items WHERE id > 1000")), QJsonArray());

    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));
    QCOMPARE(run({items}, &out, &err), 1);
    QVERIFY2(err.contains("refused a queued POST of items") && err.contains("23505"), err.constData());
    // Printed after the writes were sent and their changes came back.
    const QJsonArray printed = QJsonDocument::fromJson(out).array();
    QCOMPARE(printed, itemsInDb());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT id, v FROM api.items WHERE id > 1000 OR id = 5 ORDER BY id")),
             QJsonDocument::fromJson(R"([{"id": 1001, "v": "changed"}, {"id": 1002, "v": ""}])").array());
    // Nothing left to send: the next run changes nothing.
    QCOMPARE(run({items}, &out), 0);
    QCOMPARE(QJsonDocument::fromJson(out).array(), itemsInDb());
    QCOMPARE(m_db.rows(QStringLiteral("SELECT id FROM api.items")).size(), 50 - 1 + 2);
}

void tst_Cache::clientJournalsWrites()
{
    // Client's side of durable writes: pendingWrites counts a write from the
    // call until its change is in the model; a refusal is writeRefused;
    // a write made while the server is down is sent by the next start.
    TestServer server;
    QVERIFY(startServer(server, true));
    QVERIFY(fillCache(server.url(), m_auth));
    {
        Client client;
        prepare(client, server.url(), m_auth);
        QSignalSpy ready(&client, &Client::ready);
        QSignalSpy refused(&client, &Client::writeRefused);
        client.start();
        QVERIFY(ready.wait(10000));
        TableModel *items = client.table(QStringLiteral("items"));
        QVERIFY(items);
        Reply *duplicate = items->create(QVariantMap{{QStringLiteral("id"), 3}});
        QCOMPARE(client.pendingWrites(), 1); // journaled when create() returned
        QSignalSpy duplicateFailed(duplicate, &Reply::errorOccurred);
        items->create(QVariantMap{{QStringLiteral("id"), 2001}, {QStringLiteral("v"), QStringLiteral("x")}});
        QCOMPARE(client.pendingWrites(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(client.pendingWrites(), 0, 10000);
        // Zero only once the change is in the rows.
        QVERIFY(items->indexOfKey({2001}) >= 0);
        QCOMPARE(refused.size(), 1);
        QCOMPARE(refused.at(0).at(0).toString(), QStringLiteral("items"));
        QCOMPARE(refused.at(0).at(1).toMap().value(QStringLiteral("method")).toString(), QStringLiteral("POST"));
        QCOMPARE(refused.at(0).at(2).toString(), QStringLiteral("23505"));
        QCOMPARE(duplicateFailed.size(), 1);
        QCOMPARE(duplicate->errorCode(), QStringLiteral("23505"));
    }
    server.stop();
    {
        // Offline: the cache alone, a write queued.
        Client client;
        prepare(client, server.url(), m_auth);
        QSignalSpy opened(&client, &Client::cacheOpened);
        client.openCache();
        QVERIFY(opened.wait(10000));
        client.table(QStringLiteral("items"))->update({2001}, {{QStringLiteral("v"), QStringLiteral("offline")}});
        QCOMPARE(client.pendingWrites(), 1);
    }
    QString error;
    QVERIFY2(server.restart(&error), qPrintable(error));
    Client client;
    prepare(client, server.url(), m_auth);
    QSignalSpy refused(&client, &Client::writeRefused);
    client.start();
    QTRY_VERIFY_WITH_TIMEOUT(client.status() == Client::Ready && client.pendingWrites() == 0, 15000);
    QCOMPARE(refused.size(), 0);
    QCOMPARE(m_db.rows(QStringLiteral("SELECT v FROM api.items WHERE id = 2001")),
             QJsonDocument::fromJson(R"([{"v": "offline"}])").array());
    TableModel *items = client.table(QStringLiteral("items"));
    QCOMPARE(items->row(items->indexOfKey({2001})).value(QStringLiteral("v")).toString(), QStringLiteral("offline"));
}

void tst_Cache::writesOnceAcrossKills_data()
{
    QTest::addColumn<bool>("killServer");
    QTest::newRow("the tool killed -9") << false;
    QTest::newRow("the server killed -9 and restarted") << true;
}

void tst_Cache::writesOnceAcrossKills()
{
    // Runs of aiodata-mirror --cache --create, each of a row tagged with its
    // run (the key is a serial: a write applied twice would be two rows),
    // killed -9 at a random moment, or with the server killed -9 and
    // restarted under them. Every run that exited 0 has its row once; no
    // row is there twice; a last run sends what is left in the journal.
    QFETCH(bool, killServer);
    QVERIFY(m_db.exec(QStringLiteral("DROP TABLE IF EXISTS api.log; CREATE TABLE api.log (n serial PRIMARY KEY, tag text NOT NULL);"
                                     "GRANT ALL ON api.log TO auth; GRANT USAGE ON SEQUENCE api.log_n_seq TO auth;"
                                     "NOTIFY pgrst, 'reload schema'")));
    TestServer server;
    QVERIFY(startServer(server, true));
    const QStringList common{QStringLiteral("--url"), server.url().toString(), QStringLiteral("--cache"), m_cache,
                             QStringLiteral("--token"), m_auth};
    QTRY_VERIFY_WITH_TIMEOUT(fillCache(server.url(), m_auth), 20000);
    constexpr int Runs = 16;
    QList<int> exitCodes;
    for (int i = 0; i < Runs; ++i) {
        std::unique_ptr<QProcess> writer(mirror(common + QStringList{QStringLiteral("log"), QStringLiteral("--create"),
                                                                     QStringLiteral("{\"tag\":\"run%1\"}").arg(i)}));
        QVERIFY(writer->waitForStarted());
        QTest::qWait(5 + int(QRandomGenerator::global()->bounded(300)));
        if (killServer) {
            server.kill();
            QString error;
            QVERIFY2(server.restart(&error), qPrintable(error));
        } else if (const qint64 pid = writer->processId(); pid > 0) {
            ::kill(pid_t(pid), SIGKILL); // not kill(0): once it has exited, that is our own process group
        }
        // waitForFinished() is false for a process that has exited already.
        QVERIFY(writer->state() == QProcess::NotRunning || writer->waitForFinished(30000));
        exitCodes.append(writer->exitStatus() == QProcess::NormalExit ? writer->exitCode() : -1);
        QVERIFY2(exitCodes.last() == 0 || exitCodes.last() == -1 || exitCodes.last() == 3,
                 writer->readAllStandardError().constData());
    }
    // Whatever is still journaled goes now.
    std::unique_ptr<QProcess> drain(mirror(common + QStringList{QStringLiteral("log")}));
    QVERIFY(drain->waitForFinished(30000));
    QVERIFY2(drain->exitCode() == 0, drain->readAllStandardError().constData());
    // The server kept the keys in its table (in memory only, a restart forgets them).
    QCOMPARE(m_db.rows(QStringLiteral("SELECT 1 AS kept FROM aiodata.idempotency_keys LIMIT 1")).size(), 1);
    QHash<QString, int> count;
    for (const QJsonValue &row : m_db.rows(QStringLiteral("SELECT tag FROM api.log")))
        ++count[row[QLatin1String("tag")].toString()];
    int confirmed = 0;
    for (int i = 0; i < Runs; ++i) {
        const int n = count.value(QStringLiteral("run%1").arg(i));
        QVERIFY2(n <= 1, qPrintable(QStringLiteral("run%1 is in the table %2 times; exit codes %3; rows %4")
                                        .arg(i)
                                        .arg(n)
                                        .arg(QString::fromUtf8(QJsonDocument(QJsonArray::fromVariantList(
                                                 [&] { QVariantList l; for (int c : exitCodes) l.append(c); return l; }())).toJson(QJsonDocument::Compact)))
                                        .arg(QString::fromUtf8(QJsonDocument(m_db.rows(QStringLiteral("SELECT n, tag, xmin::text FROM api.log ORDER BY n"))).toJson(QJsonDocument::Compact)))));
        if (exitCodes.at(i) == 0) {
            QCOMPARE(n, 1);
            ++confirmed;
        }
    }
    qInfo("%d runs: %d confirmed, %lld rows", Runs, confirmed, qlonglong(m_db.rows(QStringLiteral("SELECT 1 FROM api.log")).size()));
}

void tst_Cache::mirrorKilledWhileWriting()
{
    // A burst of one-row inserts (ids in order) while aiodata-mirror
    // --follow --cache writes its file, killed -9 at random moments: every
    // time, the cache opens as some past state (ids 1..n without a gap),
    // or is refused, never anything else.
    TestServer server;
    QVERIFY(startServer(server, true));
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.items")));
    const QString url = server.url().toString();
    const QStringList common{QStringLiteral("--url"), url, QStringLiteral("--cache"), m_cache, QStringLiteral("--token"), m_auth};
    const QString psql = QStandardPaths::findExecutable(QStringLiteral("psql"));
    if (psql.isEmpty())
        QSKIP("psql is not installed");
    QProcess burst;
    burst.start(psql, {m_db.superuserUri(), QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-qc"),
                       QStringLiteral("DO $$ BEGIN FOR i IN 1..20000 LOOP INSERT INTO api.items VALUES (i, repeat('x', i % 300)); "
                                      "COMMIT; PERFORM pg_sleep(0.002); END LOOP; END $$")});
    QVERIFY(burst.waitForStarted());
    int opened = 0;
    int runs = 0;
    qint64 lastCount = 0;
    for (; runs < 12 && burst.state() == QProcess::Running; ++runs) {
        std::unique_ptr<QProcess> follower(mirror(common + QStringList{QStringLiteral("--follow"), QStringLiteral("items")}));
        QVERIFY(follower->waitForStarted());
        QTest::qWait(300 + int(QRandomGenerator::global()->bounded(2500)));
        ::kill(pid_t(follower->processId()), SIGKILL);
        QVERIFY(follower->waitForFinished(5000));
        QCOMPARE(follower->exitStatus(), QProcess::CrashExit);

        std::unique_ptr<QProcess> offline(mirror(common + QStringList{QStringLiteral("--offline"), QStringLiteral("items")}));
        QVERIFY(offline->waitForFinished(10000));
        const QByteArray err = offline->readAllStandardError();
        QVERIFY2(offline->exitCode() == 0 || offline->exitCode() == 4, err.constData());
        if (offline->exitCode() != 0)
            continue;
        ++opened;
        const QJsonArray rows = QJsonDocument::fromJson(offline->readAllStandardOutput()).array();
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const QJsonObject row = rows.at(i).toObject();
            QCOMPARE(row.value(QLatin1String("id")).toInt(), int(i + 1));
            QCOMPARE(row.value(QLatin1String("v")).toString().size(), int((i + 1) % 300));
        }
        // Each run starts from the last file and only goes forward.
        QVERIFY2(rows.size() >= lastCount || lastCount == 0, qPrintable(QStringLiteral("%1 < %2").arg(rows.size()).arg(lastCount)));
        lastCount = rows.size();
    }
    QVERIFY2(burst.state() == QProcess::Running, burst.readAllStandardError().constData()); // all runs during the burst
    burst.kill();
    burst.waitForFinished();
    // Its DO block goes on in the server without psql: end it, or it inserts into the next test's table.
    QVERIFY(m_db.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE query LIKE 'DO $$ BEGIN FOR i IN 1..20000 LOOP%' AND pid <> pg_backend_pid()")));
    qInfo("%d runs killed, %d caches opened, the last with %lld rows", runs, opened, lastCount);
    QCOMPARE(runs, 12);
    QVERIFY2(opened > 0, "no run lived long enough to write its cache");
}

QTEST_MAIN(tst_Cache)
#include "tst_cache.moc"
