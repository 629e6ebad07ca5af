#pragma once

#include <QObject>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace Aiodata::Server {

// Turns a Unix signal (SIGUSR1, SIGUSR2) into a Qt signal on the event loop.
// The handler only writes a byte to a socket pair (the one thing that is
// async-signal-safe to do); the read end is watched by a QSocketNotifier,
// as Qt's "Calling Qt Functions From Unix Signal Handlers" describes.
// One notifier per signal number at a time.
class UnixSignalNotifier : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalNotifier(int signalNumber, QObject *parent = nullptr);
    ~UnixSignalNotifier() override;

    // False when the socket pair or the handler could not be set up.
    bool isActive() const { return m_notifier != nullptr; }

Q_SIGNALS:
    // Once per delivery the loop saw (deliveries close together may merge).
    void raised();

private:
    void drain();

    int m_signal;
    int m_fds[2] = {-1, -1};
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace Aiodata::Server
