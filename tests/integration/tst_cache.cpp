// The persisted cache (issue 17, part 1): Client::cacheDirectory against the
// real server and PostgreSQL. Models open from disk with the server down,
// resume the stream from the stored position (or re-snapshot and merge with
// only the real differences), never show another role's rows, and refetch a
// damaged file. aiodata-mirror --cache/--offline runs as a process, also
// killed -9 while it writes its cache.

#include "testdatabase.h"
#include "testserver.h"

#include <Aiodata/client.h>
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
                                      "GRANT ALL ON api.secrets TO auth;"),
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

    // Usage: --offline needs --cache; writes with --cache are not built yet.
    std::unique_ptr<QProcess> usage(mirror({QStringLiteral("--offline"), QStringLiteral("items")}));
    QVERIFY(usage->waitForFinished(10000));
    QCOMPARE(usage->exitCode(), 2);
    std::unique_ptr<QProcess> write(mirror(common + QStringList{QStringLiteral("items"), QStringLiteral("--create"), QStringLiteral("{\"id\":1}")}));
    QVERIFY(write->waitForFinished(10000));
    QCOMPARE(write->exitCode(), 2);
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
    qInfo("%d runs killed, %d caches opened, the last with %lld rows", runs, opened, lastCount);
    QCOMPARE(runs, 12);
    QVERIFY2(opened > 0, "no run lived long enough to write its cache");
}

QTEST_MAIN(tst_Cache)
#include "tst_cache.moc"
