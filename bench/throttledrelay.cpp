#include "throttledrelay.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <vector>

namespace Bench {

// Lives in the relay's thread.
class RelayWorker : public QObject
{
public:
    RelayWorker(quint16 upstreamPort, qint64 bytesPerSecond)
        : m_upstreamPort(upstreamPort)
        , m_bytesPerSecond(bytesPerSecond)
        , m_server(this) // children, so that moveToThread() takes them along
        , m_tick(this)
    {
        m_tick.setTimerType(Qt::PreciseTimer);
        m_tick.setInterval(1);
        QObject::connect(&m_tick, &QTimer::timeout, this, [this] { release(); });
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] { accept(); });
    }

    ~RelayWorker() override
    {
        // The sockets (children of m_server) go after m_links: nothing of
        // theirs may call back into this.
        for (QTcpSocket *socket : m_server.findChildren<QTcpSocket *>())
            QObject::disconnect(socket, nullptr, this, nullptr);
    }

    quint16 listen() { return m_server.listen(QHostAddress::LocalHost, 0) ? m_server.serverPort() : 0; }

private:
    struct Link
    {
        QPointer<QTcpSocket> down; // to the client
        QPointer<QTcpSocket> up;   // to the server
        QByteArray pending;        // the server's bytes not yet released
        bool upClosed = false;
    };

    void accept()
    {
        while (QTcpSocket *down = m_server.nextPendingConnection()) {
            auto *up = new QTcpSocket(down);
            down->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            m_links.push_back(Link{down, up, {}, false});
            QObject::connect(up, &QTcpSocket::connected, up, [up] { up->setSocketOption(QAbstractSocket::LowDelayOption, 1); });
            // Written while still connecting: QTcpSocket sends it once connected.
            QObject::connect(down, &QTcpSocket::readyRead, up, [down, up] { up->write(down->readAll()); });
            QObject::connect(up, &QTcpSocket::readyRead, this, [this, up] {
                if (Link *link = find(up)) {
                    link->pending += up->readAll();
                    start();
                }
            });
            QObject::connect(up, &QTcpSocket::disconnected, this, [this, up] {
                if (Link *link = find(up)) {
                    link->upClosed = true;
                    start();
                }
            });
            QObject::connect(down, &QTcpSocket::disconnected, down, [this, down, up] {
                // up goes with down, and says "disconnected" while half
                // destroyed: nothing of it may reach this any more.
                QObject::disconnect(up, nullptr, this, nullptr);
                down->deleteLater();
            });
            up->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
        }
    }

    Link *find(QTcpSocket *up)
    {
        for (Link &link : m_links) {
            if (link.up == up)
                return &link;
        }
        return nullptr;
    }

    void start()
    {
        if (!m_tick.isActive()) {
            m_tick.start();
            release();
        }
    }

    // A token bucket: the link's rate since the last release, holding at
    // most 2 ms of it, so that a small message after a pause passes at once
    // and a long body at the link's rate. Shared by the connections in order.
    void release()
    {
        const qint64 burst = m_bytesPerSecond / 500;
        if (!m_clock.isValid()) {
            m_clock.start();
            m_tokens = burst;
        } else {
            m_tokens = qMin(burst, m_tokens + m_bytesPerSecond * m_clock.nsecsElapsed() / 1000000000);
            m_clock.restart();
        }
        qint64 &budget = m_tokens;
        bool waiting = false;
        for (auto it = m_links.begin(); it != m_links.end();) {
            if (!it->down) {
                it = m_links.erase(it);
                continue;
            }
            const qint64 n = qMin<qint64>(budget, it->pending.size());
            if (n > 0) {
                it->down->write(it->pending.constData(), n);
                it->pending.remove(0, n);
                budget -= n;
            }
            if (!it->pending.isEmpty())
                waiting = true;
            else if (it->upClosed)
                it->down->disconnectFromHost();
            ++it;
        }
        if (!waiting)
            m_tick.stop();
    }

    const quint16 m_upstreamPort;
    const qint64 m_bytesPerSecond;
    QTcpServer m_server;
    QTimer m_tick;
    QElapsedTimer m_clock;
    qint64 m_tokens = 0;
    std::vector<Link> m_links;
};

ThrottledRelay::ThrottledRelay(quint16 upstreamPort, qint64 bytesPerSecond)
{
    m_worker = new RelayWorker(upstreamPort, bytesPerSecond);
    m_worker->moveToThread(&m_thread);
    // Deleted in its own thread, as the thread finishes.
    QObject::connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, [this] { m_port = m_worker->listen(); }, Qt::BlockingQueuedConnection);
}

ThrottledRelay::~ThrottledRelay()
{
    m_thread.quit();
    m_thread.wait();
}

} // namespace Bench
