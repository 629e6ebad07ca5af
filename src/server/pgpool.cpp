#include "pgpool.h"

#include "logging.h"

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
    connect(connection, &PgConnection::jobFinished, this, &PgPool::dispatch);
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

void PgPool::execute(PgJob job)
{
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
    // A copy: run() may fail synchronously and remove the connection.
    const QList<PgConnection *> connections = m_connections;
    for (PgConnection *c : connections) {
        if (m_queue.isEmpty())
            return;
        if (c->state() == PgConnection::State::Idle)
            c->run(m_queue.dequeue());
    }
}

} // namespace Aiodata::Server
