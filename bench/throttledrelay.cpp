#include "throttledrelay.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <deque>
#include <functional>
#include <vector>

namespace Bench {

// Lives in the relay's thread.
class RelayWorker : public QObject
{
public:
    RelayWorker(quint16 upstreamPort, qint64 bytesPerSecond, qint64 oneWayDelayUs)
        : m_upstreamPort(upstreamPort)
        , m_bytesPerSecond(bytesPerSecond)
        , m_delayNs(oneWayDelayUs * 1000)
        , m_server(this) // children, so that moveToThread() takes them along
        , m_tick(this)
    {
        m_tick.setTimerType(Qt::PreciseTimer);
        m_tick.setInterval(1);
        m_clock.start();
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
    // Bytes on the wire of a delayed link, and when they arrive.
    using InFlight = std::deque<std::pair<qint64, QByteArray>>;

    struct Link
    {
        QPointer<QTcpSocket> down; // to the client
        QPointer<QTcpSocket> up;   // to the server
        QByteArray pending;        // the server's bytes not yet released
        bool upClosed = false;
        InFlight toServer;         // with a delay: the client's bytes on their way
        InFlight toClient;         // with a delay: the server's bytes, before the rate limit
        qint64 closeDueNs = 0;     // with a delay: when the server's close arrives
        qint64 handshakeDoneNs = 0;// with a delay: the client sends nothing before this
    };

    void accept()
    {
        while (QTcpSocket *down = m_server.nextPendingConnection()) {
            auto *up = new QTcpSocket(down);
            down->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            Link link;
            link.down = down;
            link.up = up;
            link.handshakeDoneNs = now() + 2 * m_delayNs;
            m_links.push_back(std::move(link));
            QObject::connect(up, &QTcpSocket::connected, up, [up] { up->setSocketOption(QAbstractSocket::LowDelayOption, 1); });
            // Written while still connecting: QTcpSocket sends it once connected.
            QObject::connect(down, &QTcpSocket::readyRead, this, [this, down, up] {
                Link *link = find(up);
                if (!m_delayNs || !link) {
                    up->write(down->readAll());
                    return;
                }
                link->toServer.emplace_back(qMax(now(), link->handshakeDoneNs) + m_delayNs, down->readAll());
                start();
            });
            QObject::connect(up, &QTcpSocket::readyRead, this, [this, up] {
                if (Link *link = find(up)) {
                    if (m_delayNs)
                        link->toClient.emplace_back(now() + m_delayNs, up->readAll());
                    else
                        link->pending += up->readAll();
                    start();
                }
            });
            QObject::connect(up, &QTcpSocket::disconnected, this, [this, up] {
                if (Link *link = find(up)) {
                    link->upClosed = true;
                    link->closeDueNs = now() + m_delayNs;
                    start();
                }
            });
            QObject::connect(down, &QTcpSocket::disconnected, down, [this, down, up] {
                // up goes with down, and says "disconnected" while half
                // destroyed: nothing of it may reach this any more.
                QObject::disconnect(up, nullptr, this, nullptr);
                down->deleteLater();
            });
            if (!m_delayNs) {
                up->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
                continue;
            }
            // The handshake's round trip: the client's first bytes leave after it.
            QTimer::singleShot(int(2 * m_delayNs / 1000000), up,
                               [up, port = m_upstreamPort] { up->connectToHost(QHostAddress::LocalHost, port); });
        }
    }

    qint64 now() const { return m_clock.nsecsElapsed(); }

    // Moves what has arrived from `queue` on; true if anything is still on its way.
    static bool arrive(InFlight &queue, qint64 nowNs, const std::function<void(const QByteArray &)> &deliver)
    {
        while (!queue.empty() && queue.front().first <= nowNs) {
            deliver(queue.front().second);
            queue.pop_front();
        }
        return !queue.empty();
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
        const qint64 nowNs = now();
        m_tokens = m_lastReleaseNs < 0 ? burst
                                       : qMin(burst, m_tokens + m_bytesPerSecond * (nowNs - m_lastReleaseNs) / 1000000000);
        m_lastReleaseNs = nowNs;
        qint64 &budget = m_tokens;
        bool waiting = false;
        for (auto it = m_links.begin(); it != m_links.end();) {
            if (!it->down) {
                it = m_links.erase(it);
                continue;
            }
            QTcpSocket *up = it->up;
            if (up && up->state() == QAbstractSocket::UnconnectedState) // its connect is still to come
                waiting = waiting || !it->toServer.empty();
            else if (arrive(it->toServer, nowNs, [up](const QByteArray &data) {
                         if (up)
                             up->write(data);
                     }))
                waiting = true;
            QByteArray &pending = it->pending;
            if (arrive(it->toClient, nowNs, [&pending](const QByteArray &data) { pending += data; }))
                waiting = true;
            const qint64 n = qMin<qint64>(budget, it->pending.size());
            if (n > 0) {
                it->down->write(it->pending.constData(), n);
                it->pending.remove(0, n);
                budget -= n;
            }
            if (!it->pending.isEmpty() || !it->toClient.empty())
                waiting = true;
            else if (it->upClosed && nowNs >= it->closeDueNs)
                it->down->disconnectFromHost();
            else if (it->upClosed)
                waiting = true;
            ++it;
        }
        if (!waiting)
            m_tick.stop();
    }

    const quint16 m_upstreamPort;
    const qint64 m_bytesPerSecond;
    const qint64 m_delayNs;
    QTcpServer m_server;
    QTimer m_tick;
    QElapsedTimer m_clock;
    qint64 m_tokens = 0;
    qint64 m_lastReleaseNs = -1;
    std::vector<Link> m_links;
};

ThrottledRelay::ThrottledRelay(quint16 upstreamPort, qint64 bytesPerSecond, qint64 oneWayDelayUs)
{
    m_worker = new RelayWorker(upstreamPort, bytesPerSecond, oneWayDelayUs);
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
