#pragma once

#include "pg/pgconnection.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QQueue>

namespace Aiodata::Server {

// A fixed-size set of PgConnections. Short jobs are pipelined onto a busy
// connection (dispatch() says when); others queue until one is idle.
// Broken connections are replaced with backoff; while none can be opened,
// queued jobs fail with SQLSTATE 08006 instead of waiting forever.
class PgPool : public QObject
{
    Q_OBJECT
public:
    PgPool(const QByteArray &conninfo, int size, QObject *parent = nullptr);
    ~PgPool() override;

    void start();                 // opens the connections
    void setPreparedStatements(bool on) { m_preparedStatements = on; } // before start()
    void execute(PgJob job);
    int size() const { return m_size; }
    int openCount() const;        // connections usable now
    int queuedCount() const { return int(m_queue.size()); }
    static constexpr int maxPipelineDepth = 16;
    // The longest a job may be expected to wait behind others on a busy
    // connection rather than take an idle one (1 ms; tests change it).
    void setMaxPipelineWaitUs(qint64 us) { m_maxPipelineWaitUs = us; }
    static constexpr int maxJobShapes = 1024;

Q_SIGNALS:
    void ready();                 // the first connection is open
    void failed(const QString &error); // a connection attempt failed while none was open

private:
    void addConnection();
    void dispatch();
    void onOpened(PgConnection *connection);
    void onFailed(PgConnection *connection, const QString &error);
    void onJobFinished(const PgJob &job, qint64 tookUs);
    static QByteArray shapeOf(const PgJob &job);

    QByteArray m_conninfo;
    int m_size;
    QList<PgConnection *> m_connections;
    QQueue<PgJob> m_queue;
    // A job's shape (PgJob::shape, else its last statement's SQL text: the one that does the
    // work) -> moving average of how long such jobs took, microseconds.
    QHash<QByteArray, qint64> m_typicalUs;
    int m_backoffMs = 0;
    bool m_everReady = false;
    bool m_preparedStatements = true;
    qint64 m_maxPipelineWaitUs = 1000;
};

} // namespace Aiodata::Server
