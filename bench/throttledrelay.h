#pragma once

#include <QObject>
#include <QThread>

namespace Bench {

class RelayWorker;

// A TCP relay on 127.0.0.1 in a thread of its own that hands the server's
// bytes to the client no faster than a given rate, as a network link would:
// figure 6 through a 1 Gbit/s link, where the transfer takes longer than on
// loopback and what a client does while the body arrives shows. Bytes to the
// server pass at once, unless the link has a delay: then bytes each way
// arrive oneWayDelayUs late, and a new connection reaches the server a round
// trip late (its TCP handshake), as over a wide-area network.
class ThrottledRelay
{
public:
    ThrottledRelay(quint16 upstreamPort, qint64 bytesPerSecond, qint64 oneWayDelayUs = 0);
    ~ThrottledRelay();
    Q_DISABLE_COPY_MOVE(ThrottledRelay)

    quint16 port() const { return m_port; } // 0 if it could not listen

private:
    QThread m_thread;
    RelayWorker *m_worker = nullptr;
    quint16 m_port = 0;
};

} // namespace Bench
