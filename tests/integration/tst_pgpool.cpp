// PgConnection's pipeline of several jobs in flight, and PgPool's choice of
// connection, against the real test cluster: jobs stay separate
// transactions, prepared statements stay right across errors and a full
// cache, a lost connection fails every job in flight once, and only jobs
// known to be quick wait behind others.

#include "pg/pgconnection.h"
#include "pg/pgpool.h"
#include "testdatabase.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QSignalSpy>
#include <QtTest>

using namespace Aiodata::Server;

class tst_PgPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void pipelinedJobsAreSeparateTransactions();
    void skippedParseRunsAgain();
    void cacheEmptiedWithJobsInFlight();
    void lostConnectionFailsEveryJobInFlight();
    void quickJobsShareAConnection();
    void slowJobsGetConnectionsOfTheirOwn_data();
    void slowJobsGetConnectionsOfTheirOwn();
    void noJobWaitsBehindAStuckOne();

private:
    // One job; its results land in *out (and its first error in *error) when it is done.
    struct Outcome
    {
        bool done = false;
        int calls = 0;
        QList<PgResult> results;
        PgError error;
    };
    static PgJob job(QList<PgStatement> statements, Outcome *out);
    static PgStatement sql(const char *text, QList<QByteArray> params = {}) { return PgStatement{text, params}; }
    QList<int> backendPids(PgPool &pool, const QByteArray &sqlText, int count, QList<Outcome> *outcomes);

    TestDatabase m_db{QStringLiteral("tst_pgpool")};
    PgConnection *m_connection = nullptr;
};

PgJob tst_PgPool::job(QList<PgStatement> statements, Outcome *out)
{
    PgJob j;
    j.statements = std::move(statements);
    j.done = [out](const QList<PgResult> &results, const PgError &firstError) {
        out->done = true;
        ++out->calls;
        out->results = results;
        out->error = firstError;
    };
    return j;
}

void tst_PgPool::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE public.t (id int PRIMARY KEY)")));
}

void tst_PgPool::init()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE public.t")));
    m_connection = new PgConnection(this);
    QSignalSpy opened(m_connection, &PgConnection::opened);
    m_connection->open(m_db.superuserUri().toUtf8());
    QVERIFY(opened.wait(10000));
    QCOMPARE(m_connection->state(), PgConnection::State::Idle);
}

void tst_PgPool::cleanup()
{
    delete m_connection;
    m_connection = nullptr;
}

void tst_PgPool::pipelinedJobsAreSeparateTransactions()
{
    QList<int> finished;
    Outcome first, second, third;
    auto track = [&finished](PgJob j, int n) {
        auto done = j.done;
        j.done = [&finished, n, done](const QList<PgResult> &r, const PgError &e) {
            finished.append(n);
            done(r, e);
        };
        return j;
    };
    m_connection->run(track(job({sql("INSERT INTO public.t VALUES (1)")}, &first), 1));
    // The second fails in its middle statement: its first insert is rolled
    // back with it, its last statement is skipped, the other jobs commit.
    m_connection->run(track(job({sql("INSERT INTO public.t VALUES (3)"), sql("INSERT INTO public.t VALUES (1)"),
                                 sql("SELECT 42")}, &second), 2));
    m_connection->run(track(job({sql("INSERT INTO public.t VALUES ($1)", {"2"})}, &third), 3));
    QCOMPARE(m_connection->jobsInFlight(), 3);
    QCOMPARE(m_connection->state(), PgConnection::State::Busy);

    QTRY_VERIFY_WITH_TIMEOUT(third.done, 10000);
    QCOMPARE(finished, (QList<int>{1, 2, 3}));
    QVERIFY(first.error.isNull());
    QCOMPARE(second.error.sqlState, QByteArray("23505"));
    QVERIFY(second.results.at(0).ok);
    QVERIFY(!second.results.at(1).ok);
    QVERIFY(!second.results.at(2).ok);
    QVERIFY(third.error.isNull());
    QCOMPARE(third.results.at(0).affected, 1);
    QCOMPARE(m_connection->state(), PgConnection::State::Idle);
    QCOMPARE(m_db.rows(QStringLiteral("SELECT id FROM public.t ORDER BY id")),
             QJsonDocument::fromJson(R"([{"id":1},{"id":2}])").array());
}

void tst_PgPool::skippedParseRunsAgain()
{
    // The first job fails before its second statement's Parse, which is
    // skipped; the second job, sent behind it, counted on that Parse.
    Outcome failing, relying;
    m_connection->run(job({sql("SELECT 1 / 0"), sql("SELECT 'fresh ' || $1::text", {"a"})}, &failing));
    m_connection->run(job({sql("SELECT 'fresh ' || $1::text", {"b"})}, &relying));
    QTRY_VERIFY_WITH_TIMEOUT(relying.done, 10000);
    QCOMPARE(failing.error.sqlState, QByteArray("22012"));
    QVERIFY2(relying.error.isNull(), qPrintable(relying.error.message));
    QCOMPARE(relying.results.at(0).value(0, 0), QByteArray("fresh b"));
    QCOMPARE(relying.calls, 1);

    // What the connection believes is prepared is what the server has.
    Outcome count;
    m_connection->run(job({sql("SELECT count(*) FROM pg_prepared_statements")}, &count));
    QTRY_VERIFY_WITH_TIMEOUT(count.done, 10000);
    QCOMPARE(count.results.at(0).value(0, 0).toInt(), m_connection->preparedCount());
}

void tst_PgPool::cacheEmptiedWithJobsInFlight()
{
    // Fill the cache to one below its limit, all in one pipeline.
    QList<Outcome> fill(PgConnection::maxPreparedStatements - 1);
    for (int i = 0; i < fill.size(); ++i) {
        PgJob j = job({PgStatement{"SELECT " + QByteArray::number(i), {}}}, &fill[i]);
        m_connection->run(std::move(j));
    }
    QCOMPARE(m_connection->preparedCount(), PgConnection::maxPreparedStatements - 1);
    // x is parsed while the cache is full; y empties it (DEALLOCATE ALL)
    // before x's Parse is answered, so x must be parsed again after it.
    Outcome x1, y, x2, x3;
    m_connection->run(job({sql("SELECT 'x'")}, &x1));
    m_connection->run(job({sql("SELECT 'y'")}, &y));
    m_connection->run(job({sql("SELECT 'x'")}, &x2));
    m_connection->run(job({sql("SELECT 'x'")}, &x3));
    QTRY_VERIFY_WITH_TIMEOUT(x3.done, 20000);
    for (int i = 0; i < fill.size(); ++i)
        QVERIFY2(fill.at(i).error.isNull() && fill.at(i).results.at(0).value(0, 0) == QByteArray::number(i), qPrintable(QString::number(i)));
    for (const Outcome *o : {&x1, &y, &x2, &x3})
        QVERIFY2(o->error.isNull(), qPrintable(o->error.message));
    QCOMPARE(x3.results.at(0).value(0, 0), QByteArray("x"));
    QCOMPARE(m_connection->preparedCount(), 2); // y and the second x

    Outcome count;
    m_connection->run(job({sql("SELECT count(*) FROM pg_prepared_statements")}, &count));
    QTRY_VERIFY_WITH_TIMEOUT(count.done, 10000);
    QCOMPARE(count.results.at(0).value(0, 0).toInt(), m_connection->preparedCount());
}

void tst_PgPool::lostConnectionFailsEveryJobInFlight()
{
    QSignalSpy failed(m_connection, &PgConnection::failed);
    Outcome sleeping, second, third;
    m_connection->run(job({sql("SELECT pg_sleep(30)")}, &sleeping));
    m_connection->run(job({sql("INSERT INTO public.t VALUES (5)")}, &second));
    m_connection->run(job({sql("SELECT 1")}, &third));
    // Once the sleep has reached the server (QTRY_* would run it once more).
    qint64 terminated = 0;
    for (int i = 0; i < 200 && terminated == 0; ++i) {
        QTest::qWait(10);
        terminated = m_db.changed(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                                 "WHERE query = 'SELECT pg_sleep(30)' AND pid <> pg_backend_pid()"));
    }
    QCOMPARE(terminated, 1);
    QVERIFY(failed.wait(10000));
    QCOMPARE(m_connection->state(), PgConnection::State::Broken);
    for (const Outcome *o : {&sleeping, &second, &third}) {
        QCOMPARE(o->calls, 1);
        QVERIFY(!o->error.isNull());
    }
    QCOMPARE(third.error.sqlState, QByteArray("08006"));
    QCOMPARE(m_db.rows(QStringLiteral("SELECT id FROM public.t")), QJsonArray());
}

// Sends count jobs of one shape at once; the backend pid each ran on.
QList<int> tst_PgPool::backendPids(PgPool &pool, const QByteArray &sqlText, int count, QList<Outcome> *outcomes)
{
    outcomes->clear();
    outcomes->resize(count);
    for (int i = 0; i < count; ++i)
        pool.execute(job({PgStatement{sqlText, {}}}, &(*outcomes)[i]));
    QList<int> pids;
    QElapsedTimer waited;
    waited.start();
    while (waited.elapsed() < 20000 && !std::all_of(outcomes->cbegin(), outcomes->cend(), [](const Outcome &o) { return o.done; }))
        QTest::qWait(5);
    for (const Outcome &o : std::as_const(*outcomes))
        pids.append(o.done && o.error.isNull() ? o.results.at(0).value(0, 0).toInt() : -1);
    return pids;
}

void tst_PgPool::quickJobsShareAConnection()
{
    PgPool pool(m_db.superuserUri().toUtf8(), 4);
    pool.setMaxPipelineWaitUs(1000 * 1000); // so that the test does not hang on this machine's speed
    pool.start();
    QTRY_COMPARE_WITH_TIMEOUT(pool.openCount(), 4, 10000);
    QList<Outcome> outcomes;
    const QByteArray shape = "SELECT pg_backend_pid()";
    // Not known yet: the first jobs of a shape get connections of their own.
    const QList<int> first = backendPids(pool, shape, 4, &outcomes);
    QVERIFY(!first.contains(-1));
    QCOMPARE(QSet<int>(first.begin(), first.end()).size(), 4);
    // Known to be quick now: all ride one connection's pipeline.
    const QList<int> then = backendPids(pool, shape, 12, &outcomes);
    QVERIFY(!then.contains(-1));
    QCOMPARE(QSet<int>(then.begin(), then.end()).size(), 1);
}

void tst_PgPool::slowJobsGetConnectionsOfTheirOwn_data()
{
    QTest::addColumn<bool>("known");
    QTest::newRow("known to be slow") << true;
    QTest::newRow("not known") << false;
}

void tst_PgPool::slowJobsGetConnectionsOfTheirOwn()
{
    QFETCH(bool, known);
    PgPool pool(m_db.superuserUri().toUtf8(), 3);
    pool.start();
    QTRY_COMPARE_WITH_TIMEOUT(pool.openCount(), 3, 10000);
    const QByteArray slow = "SELECT pg_backend_pid(), pg_sleep(0.3)";
    QList<Outcome> outcomes;
    if (known)
        QVERIFY(!backendPids(pool, slow, 1, &outcomes).contains(-1));
    QElapsedTimer timer;
    timer.start();
    const QList<int> pids = backendPids(pool, slow, 3, &outcomes);
    QVERIFY(!pids.contains(-1));
    QCOMPARE(QSet<int>(pids.begin(), pids.end()).size(), 3);
    QVERIFY2(timer.elapsed() < 850, qPrintable(QString::number(timer.elapsed()))); // not one after another
}

void tst_PgPool::noJobWaitsBehindAStuckOne()
{
    PgPool pool(m_db.superuserUri().toUtf8(), 2);
    pool.start();
    QTRY_COMPARE_WITH_TIMEOUT(pool.openCount(), 2, 10000);
    // A shape that is usually quick, then once takes long (as a lock wait would).
    const QByteArray sleep = "SELECT pg_backend_pid(), pg_sleep($1::float8)";
    for (int i = 0; i < 5; ++i) {
        Outcome quick;
        pool.execute(job({PgStatement{sleep, {"0"}}}, &quick));
        QTRY_VERIFY_WITH_TIMEOUT(quick.done, 10000);
    }
    Outcome stuck, behind;
    pool.execute(job({PgStatement{sleep, {"1"}}}, &stuck));
    QTest::qWait(50); // it has now run far longer than its shape takes
    pool.execute(job({PgStatement{sleep, {"0"}}}, &behind));
    QTRY_VERIFY_WITH_TIMEOUT(behind.done, 5000);
    QVERIFY(!stuck.done);
    QVERIFY(behind.error.isNull());
    QTRY_VERIFY_WITH_TIMEOUT(stuck.done, 5000);
    QVERIFY(stuck.results.at(0).value(0, 0) != behind.results.at(0).value(0, 0));
}

QTEST_GUILESS_MAIN(tst_PgPool)
#include "tst_pgpool.moc"
