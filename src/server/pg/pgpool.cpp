#include "pg/pgpool.h"

#include "base/logging.h"

#include <QTimer>

namespace Aiodata::Server {

PgPool::PgPool(const QByteArray &conninfo, int size, QObject *parent)
    : QObject(parent)
    , m_conninfo(conninfo)
    , m_size(qMax(1, size))
{
}

PgPool::~PgPool() = default;

void PgPool::start()
{
    for (int i = 0; i < m_size; ++i)
        addConnection();
}

int PgPool::openCount() const
{
    int n = 0;
    for (PgConnection *c : m_connections)
        n += c->state() == PgConnection::State::Idle || c->state() == PgConnection::State::Busy;
    return n;
}

void PgPool::addConnection()
{
    auto *connection = new PgConnection(this);
    m_connections.append(connection);
    connect(connection, &PgConnection::opened, this, [this, connection] { onOpened(connection); });
    connect(connection, &PgConnection::failed, this,
            [this, connection](const QString &error) { onFailed(connection, error); });
    connect(connection, &PgConnection::jobFinished, this, &PgPool::onJobFinished);
    connection->setPreparedStatements(m_preparedStatements);
    connection->open(m_conninfo);
}

void PgPool::onOpened(PgConnection *)
{
    m_backoffMs = 0;
    if (!m_everReady) {
        m_everReady = true;
        Q_EMIT ready();
    }
    dispatch();
}

void PgPool::onFailed(PgConnection *connection, const QString &error)
{
    m_connections.removeOne(connection);
    connection->deleteLater();
    if (openCount() == 0) {
        // Nothing can serve the queue now: fail it rather than let clients hang.
        PgError e;
        e.sqlState = "08006";
        e.message = error;
        const QQueue<PgJob> queue = std::exchange(m_queue, {});
        for (const PgJob &job : queue) {
            if (job.done)
                job.done(QList<PgResult>(job.statements.size()), e);
        }
        Q_EMIT failed(error);
    }
    m_backoffMs = m_backoffMs ? qMin(m_backoffMs * 2, 5000) : 100;
    QTimer::singleShot(m_backoffMs, this, [this] {
        if (m_connections.size() < m_size)
            addConnection();
    });
}

QByteArray PgPool::shapeOf(const PgJob &job)
{
    if (!job.shape.isEmpty())
        return job.shape;
    return job.statements.isEmpty() ? QByteArray() : job.statements.constLast().sql;
}

void PgPool::onJobFinished(const PgJob &job, qint64 tookUs)
{
    const QByteArray shape = shapeOf(job);
    auto it = m_typicalUs.find(shape);
    if (it != m_typicalUs.end()) {
        *it = (7 * *it + tookUs) / 8;
    } else {
        if (m_typicalUs.size() >= maxJobShapes)
            m_typicalUs.clear(); // shapes are few; this refills with the ones in use
        m_typicalUs.insert(shape, tookUs);
    }
    dispatch();
}

void PgPool::execute(PgJob job)
{
    job.expectedUs = m_typicalUs.value(shapeOf(job), -1);
    m_queue.enqueue(std::move(job));
    dispatch();
    if (!m_queue.isEmpty() && openCount() == 0 && m_connections.isEmpty()) {
        PgError e;
        e.sqlState = "08006";
        e.message = QStringLiteral("no connection to the database");
        const QQueue<PgJob> queue = std::exchange(m_queue, {});
        for (const PgJob &j : queue) {
            if (j.done)
                j.done(QList<PgResult>(j.statements.size()), e);
        }
    }
}

void PgPool::dispatch()
{
    while (!m_queue.isEmpty()) {
        // Short jobs share a connection: pipelined behind each other, they
        // cost PostgreSQL one wake-up and one read per batch instead of per
        // job, and fewer busy backends compete for the cores. A job joins a
        // busy connection only if the jobs there are of shapes known to be
        // quick and would be done within m_maxPipelineWaitUs, so it never
        // waits behind a slow one (or one stuck on a lock) for long; else
        // it takes an idle connection, or waits here for the first to free.
        PgConnection *target = nullptr;
        qint64 targetWait = m_maxPipelineWaitUs;
        PgConnection *idle = nullptr;
        for (PgConnection *c : std::as_const(m_connections)) {
            if (c->state() == PgConnection::State::Idle) {
                if (!idle)
                    idle = c;
            } else if (c->state() == PgConnection::State::Busy && c->jobsInFlight() < maxPipelineDepth) {
                const qint64 wait = c->expectedWaitUs();
                if (wait < targetWait) {
                    target = c;
                    targetWait = wait;
                }
            }
        }
        if (!target)
            target = idle;
        if (!target)
            return;
        target->run(m_queue.dequeue()); // may fail synchronously and remove the connection
    }
}

} // namespace Aiodata::Server
