#pragma once

#include "pgconnection.h"

#include <QList>
#include <QObject>
#include <QQueue>

namespace Aiodata::Server {

// A fixed-size set of PgConnections; jobs queue until a connection is idle.
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

Q_SIGNALS:
    void ready();                 // the first connection is open
    void failed(const QString &error); // a connection attempt failed while none was open

private:
    void addConnection();
    void dispatch();
    void onOpened(PgConnection *connection);
    void onFailed(PgConnection *connection, const QString &error);

    QByteArray m_conninfo;
    int m_size;
    QList<PgConnection *> m_connections;
    QQueue<PgJob> m_queue;
    int m_backoffMs = 0;
    bool m_everReady = false;
    bool m_preparedStatements = true;
};

} // namespace Aiodata::Server
