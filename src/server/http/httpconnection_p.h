#pragma once

// Private to the HTTP server: one accepted TCP connection.

#include "http/httpparser.h"
#include "http/httpserver.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariant>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace Aiodata::Server {

// The JSON error body of every answer the HTTP layer gives itself
// (PostgREST's shape: code, message, details, hint).
QByteArray httpErrorJson(int status, const QString &message);

// One accepted TCP connection: parses requests one at a time (HttpParser, on
// bytes peeked from the socket), hands them to HttpServer::handle() and
// writes the answers in order. Lives as a child of
// the HttpServer and owns its socket until it is closed or upgraded.
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    HttpConnection(QTcpSocket *socket, HttpServer *server);
    ~HttpConnection() override;

    void send(quint64 requestId, const HttpResponse &response);
    void acceptWebSocket(quint64 requestId, const QVariant &context);
    bool isConnected() const;

private:
    enum class State {
        WaitingForHeader,   // between requests or inside a header block
        ReadingBody,        // header consumed, Content-Length bytes pending
        Handling,           // handler owns the request; nothing more is parsed
        Closing,            // last response queued; waiting for it to be written
        Lingering,          // write side shut down; draining until the peer closes
        Finished,           // closed, upgraded, or gone
    };
    enum class TimerMode { None, Header, Body, Idle, Linger };

    void onReadyRead();
    void onBytesWritten();
    void onDisconnected();
    void onTimeout();

    void processBuffer();
    bool parseHeaderBlock();
    bool readBody();
    void dispatch();
    void updateTimer();
    void startTimer(TimerMode mode, int ms);
    void armTimer(qint64 now);
    void stopTimer() { m_timerMode = TimerMode::None; }

    void writeResponse(const HttpResponse &response, bool close);
    void fail(int status, const QString &message);
    void closeAfterWrite();
    void lingerClose();
    void finish();

    HttpServer *m_server;
    QTcpSocket *m_socket;
    HttpLimits m_limits;
    QTimer m_timer;
    TimerMode m_timerMode = TimerMode::None;
    qint64 m_deadline = 0;      // when m_timerMode's timeout is due (steady clock, ms)
    qint64 m_timerFiresAt = 0;  // when m_timer fires; may be before m_deadline
    State m_state = State::WaitingForHeader;

    HttpParser m_parser;             // the request being read
    HttpRequest m_answering;         // the request being answered, for the decorator
    qint64 m_upgradeBytes = 0;  // unread header block of a pending upgrade
    QByteArray m_peekBuffer;    // the header block being parsed, reused
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    bool m_upgrade = false;
    bool m_head = false;
    bool m_keepAlive = true;
    bool m_http10 = false;
    QByteArray m_logLine;            // "METHOD target" of the current request

    quint64 m_nextRequestId = 0;
    quint64 m_currentRequestId = 0;  // 0: no request awaiting an answer
    int m_served = 0;
    bool m_processing = false;       // re-entrancy guard for processBuffer()
};

} // namespace Aiodata::Server
