#include "app/unixsignalnotifier.h"

#include "base/logging.h"

#include <QSocketNotifier>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Aiodata::Server {

namespace {

// Write ends by signal number, plus one (so that the zero of static
// initialisation means none), read by the handler.
constexpr int MaxSignal = 65;
std::atomic<int> writeEnds[MaxSignal];

void onSignal(int signalNumber)
{
    const int savedErrno = errno;
    const int fd = signalNumber > 0 && signalNumber < MaxSignal ? writeEnds[signalNumber].load() - 1 : -1;
    if (fd >= 0) {
        const char byte = 1;
        // Non-blocking: a full pipe means a wake-up is already pending.
        [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
    }
    errno = savedErrno;
}

} // namespace

UnixSignalNotifier::UnixSignalNotifier(int signalNumber, QObject *parent)
    : QObject(parent)
    , m_signal(signalNumber)
{
    if (signalNumber <= 0 || signalNumber >= MaxSignal || writeEnds[signalNumber].load() != 0)
        return;
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, m_fds) != 0) {
        qCWarning(lcServer) << "cannot watch signal" << signalNumber << ":" << std::strerror(errno);
        m_fds[0] = m_fds[1] = -1;
        return;
    }
    writeEnds[signalNumber].store(m_fds[0] + 1);
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (::sigaction(signalNumber, &action, nullptr) != 0) {
        qCWarning(lcServer) << "cannot watch signal" << signalNumber << ":" << std::strerror(errno);
        writeEnds[signalNumber].store(0);
        return;
    }
    m_notifier = new QSocketNotifier(m_fds[1], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &UnixSignalNotifier::drain);
}

UnixSignalNotifier::~UnixSignalNotifier()
{
    if (m_notifier) {
        struct sigaction action;
        std::memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        sigemptyset(&action.sa_mask);
        ::sigaction(m_signal, &action, nullptr);
        writeEnds[m_signal].store(0);
    }
    for (int fd : m_fds) {
        if (fd >= 0)
            ::close(fd);
    }
}

void UnixSignalNotifier::drain()
{
    char buffer[64];
    bool any = false;
    while (::read(m_fds[1], buffer, sizeof buffer) > 0)
        any = true;
    if (any)
        Q_EMIT raised();
}

} // namespace Aiodata::Server
