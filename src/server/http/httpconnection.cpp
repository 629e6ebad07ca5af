#include "http/httpconnection_p.h"

#include "base/logging.h"
#include "http/httpsyntax_p.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTcpSocket>

#include <algorithm>
#include <chrono>
#include <climits>
#include <utility>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace Aiodata::Server {

using namespace HttpSyntax;

namespace {


// How long a closing connection keeps draining what the client still sends
// after our last response (see HttpConnection::lingerClose()).
constexpr int LingerTimeoutMs = 2000;

// Qt reads at most this much beyond the header limit from the kernel while a
// request is being handled, so a client pipelining without end is throttled
// by TCP instead of filling our memory.
constexpr qint64 ReadBufferSlack = 64 * 1024;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100: return QByteArrayLiteral("Continue");
    case 101: return QByteArrayLiteral("Switching Protocols");
    case 200: return QByteArrayLiteral("OK");
    case 201: return QByteArrayLiteral("Created");
    case 202: return QByteArrayLiteral("Accepted");
    case 204: return QByteArrayLiteral("No Content");
    case 206: return QByteArrayLiteral("Partial Content");
    case 301: return QByteArrayLiteral("Moved Permanently");
    case 302: return QByteArrayLiteral("Found");
    case 303: return QByteArrayLiteral("See Other");
    case 304: return QByteArrayLiteral("Not Modified");
    case 307: return QByteArrayLiteral("Temporary Redirect");
    case 308: return QByteArrayLiteral("Permanent Redirect");
    case 400: return QByteArrayLiteral("Bad Request");
    case 401: return QByteArrayLiteral("Unauthorized");
    case 403: return QByteArrayLiteral("Forbidden");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 406: return QByteArrayLiteral("Not Acceptable");
    case 408: return QByteArrayLiteral("Request Timeout");
    case 409: return QByteArrayLiteral("Conflict");
    case 410: return QByteArrayLiteral("Gone");
    case 411: return QByteArrayLiteral("Length Required");
    case 412: return QByteArrayLiteral("Precondition Failed");
    case 413: return QByteArrayLiteral("Payload Too Large");
    case 414: return QByteArrayLiteral("URI Too Long");
    case 415: return QByteArrayLiteral("Unsupported Media Type");
    case 416: return QByteArrayLiteral("Range Not Satisfiable");
    case 417: return QByteArrayLiteral("Expectation Failed");
    case 422: return QByteArrayLiteral("Unprocessable Entity");
    case 426: return QByteArrayLiteral("Upgrade Required");
    case 428: return QByteArrayLiteral("Precondition Required");
    case 429: return QByteArrayLiteral("Too Many Requests");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 501: return QByteArrayLiteral("Not Implemented");
    case 502: return QByteArrayLiteral("Bad Gateway");
    case 503: return QByteArrayLiteral("Service Unavailable");
    case 504: return QByteArrayLiteral("Gateway Timeout");
    case 505: return QByteArrayLiteral("HTTP Version Not Supported");
    default: return QByteArrayLiteral("Unknown");
    }
}

} // namespace

QByteArray httpErrorJson(int status, const QString &message)
{
    QJsonObject o;
    o.insert(QLatin1String("code"), QString(QLatin1String("AIODATA") + QString::number(status)));
    o.insert(QLatin1String("message"), message);
    o.insert(QLatin1String("details"), QJsonValue(QJsonValue::Null));
    o.insert(QLatin1String("hint"), QJsonValue(QJsonValue::Null));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

HttpConnection::HttpConnection(QTcpSocket *socket, HttpServer *server)
    : QObject(server)
    , m_server(server)
    , m_socket(socket)
    , m_limits(server->m_limits)
    , m_parser(m_limits)
{
    m_socket->setParent(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket->setReadBufferSize(qMax<qint64>(m_limits.maxHeaderBytes, 0) + ReadBufferSlack);

    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &HttpConnection::onTimeout);
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this] {
        if (m_socket && m_socket->state() == QAbstractSocket::UnconnectedState)
            onDisconnected();
    });

    // Asked once: QAbstractSocket::peerAddress() builds a new QHostAddress
    // on every call, and every request carries the address.
    m_peerAddress = m_socket->peerAddress();
    m_peerPort = m_socket->peerPort();
    qCDebug(lcHttp) << "connection from" << m_peerAddress << m_peerPort;
    // A fresh connection has to deliver its first header block in time too.
    startTimer(TimerMode::Header, m_limits.headerTimeoutMs);
    if (m_socket->bytesAvailable() > 0)
        processBuffer();
}

HttpConnection::~HttpConnection()
{
    // Our socket is a child and dies with us; make sure its last signals
    // (abort() emits disconnected) cannot reach a half-destroyed object.
    if (m_socket)
        disconnect(m_socket, nullptr, this, nullptr);
}

bool HttpConnection::isConnected() const
{
    // Closing connections count as gone: nothing more will be answered.
    return m_socket && m_state != State::Finished && m_state != State::Closing
        && m_state != State::Lingering && m_socket->state() == QAbstractSocket::ConnectedState;
}

void HttpConnection::onReadyRead()
{
    switch (m_state) {
    case State::WaitingForHeader:
    case State::ReadingBody:
        processBuffer();
        break;
    case State::Closing:
    case State::Lingering:
        // Nobody will read this any more; draining keeps the kernel from
        // answering with RST, which could destroy our last response.
        m_socket->read(m_socket->bytesAvailable());
        break;
    case State::Handling:
    case State::Finished:
        // One request at a time: pipelined data waits in the socket buffer.
        break;
    }
}

void HttpConnection::onBytesWritten()
{
    if (m_state == State::Closing && m_socket && m_socket->bytesToWrite() == 0)
        lingerClose();
}

void HttpConnection::onDisconnected()
{
    if (m_state == State::Finished)
        return;
    qCDebug(lcHttp) << "connection closed by" << m_peerAddress << m_peerPort;
    finish();
}

static qint64 steadyNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void HttpConnection::onTimeout()
{
    if (m_timerMode == TimerMode::None)
        return;
    const qint64 now = steadyNowMs();
    if (now < m_deadline) {
        armTimer(now); // an early wake-up (see startTimer) or a coarse timer's
        return;
    }
    const TimerMode mode = m_timerMode;
    m_timerMode = TimerMode::None;
    switch (mode) {
    case TimerMode::Header:
        fail(408, QStringLiteral("Request header not received within %1 ms")
                      .arg(m_limits.headerTimeoutMs));
        break;
    case TimerMode::Body:
        fail(408, QStringLiteral("Request body stalled for %1 ms").arg(m_limits.headerTimeoutMs));
        break;
    case TimerMode::Idle:
        qCDebug(lcHttp) << "closing idle connection" << m_peerAddress << m_peerPort;
        closeAfterWrite();
        break;
    case TimerMode::Linger:
        m_socket->abort();
        finish();
        break;
    case TimerMode::None:
        break;
    }
}

// Every keep-alive request switches between the header and the idle
// timeout; restarting a QTimer each time registers and unregisters a timer
// with the event dispatcher (two allocations and a sorted insert). Instead
// the deadline is a number, and the timer, armed for at most the header
// timeout, may fire early and re-arm for the rest. It is restarted only when
// a deadline comes before its next firing (the short linger timeout).
void HttpConnection::startTimer(TimerMode mode, int ms)
{
    const qint64 now = steadyNowMs();
    m_timerMode = mode;
    m_deadline = now + qMax(ms, 0);
    if (!m_timer.isActive() || m_timerFiresAt > m_deadline)
        armTimer(now);
}

void HttpConnection::armTimer(qint64 now)
{
    const qint64 step = qMax<qint64>(m_limits.headerTimeoutMs, 1);
    const qint64 wait = std::clamp<qint64>(std::min<qint64>(m_deadline - now, step), 0, INT_MAX);
    m_timerFiresAt = now + wait;
    m_timer.start(int(wait));
}

// Arms the timer that fits the current state; the header timer is not
// restarted while it runs, since it bounds the whole header block.
void HttpConnection::updateTimer()
{
    switch (m_state) {
    case State::WaitingForHeader:
        if (m_socket->bytesAvailable() == 0 && m_served > 0) {
            if (m_timerMode != TimerMode::Idle)
                startTimer(TimerMode::Idle, m_limits.idleTimeoutMs);
        } else if (m_timerMode != TimerMode::Header) {
            startTimer(TimerMode::Header, m_limits.headerTimeoutMs);
        }
        break;
    case State::ReadingBody:
        if (m_timerMode != TimerMode::Body)
            startTimer(TimerMode::Body, m_limits.headerTimeoutMs);
        break;
    case State::Handling:
        stopTimer();
        break;
    case State::Closing:
    case State::Lingering:
    case State::Finished:
        break;
    }
}

// Parses as much as the buffer allows. Handlers may answer synchronously,
// and send() calls back in here; the guard turns that recursion into another
// turn of this loop, so a long pipeline cannot overflow the stack.
void HttpConnection::processBuffer()
{
    if (m_processing || !m_socket)
        return;
    m_processing = true;
    bool progress = true;
    while (progress) {
        progress = false;
        if (m_state == State::WaitingForHeader)
            progress = parseHeaderBlock();
        else if (m_state == State::ReadingBody)
            progress = readBody();
    }
    m_processing = false;
    if (m_socket)
        updateTimer();
}

bool HttpConnection::parseHeaderBlock()
{
    const qint64 available = m_socket->bytesAvailable();
    if (available == 0)
        return false;

    // The parser reads the header block in place: peeked, and only consumed
    // once it is complete (an upgrade's stays for QWebSocketServer). One
    // reused buffer, as this runs for every request.
    const qint64 maxHeader = qMax<qint64>(m_limits.maxHeaderBytes, 4);
    // Kept between requests only while small: an idle keep-alive connection
    // should not hold a large header's worth of memory.
    const auto releaseLarge = qScopeGuard([this] {
        if (m_peekBuffer.capacity() > 4096)
            m_peekBuffer = QByteArray();
    });
    m_peekBuffer.resize(qMin(available, maxHeader));
    m_peekBuffer.resize(qMax<qint64>(0, m_socket->peek(m_peekBuffer.data(), m_peekBuffer.size())));
    const HttpParser::Result result = m_parser.feed(m_peekBuffer);
    m_head = m_parser.isHeadMethod();
    m_upgrade = false;

    // Empty lines alone are no request yet: the idle timer may run on.
    const bool started = result.status != HttpParser::Status::NeedMore || m_parser.isReadingBody()
        || result.consumed < m_peekBuffer.size();
    if (started && m_timerMode != TimerMode::Header)
        startTimer(TimerMode::Header, m_limits.headerTimeoutMs);

    switch (result.status) {
    case HttpParser::Status::Error:
        fail(m_parser.errorStatus(), m_parser.errorMessage());
        return false;
    case HttpParser::Status::NeedMore:
        if (!m_parser.isReadingBody()) {
            if (result.consumed == 0)
                return false; // wait for the rest of the header block
            // Empty lines dropped: the header limit counts from the request
            // line, so look again without them.
            m_socket->skip(result.consumed);
            return true;
        }
        // The head is in; the parser took the body bytes we peeked.
        m_http10 = m_parser.isHttp10();
        m_keepAlive = m_parser.keepAlive();
        m_socket->skip(result.consumed);
        m_state = State::ReadingBody;
        startTimer(TimerMode::Body, m_limits.headerTimeoutMs);
        if (m_parser.expectsContinue() && !m_http10 && m_parser.bodyRemaining() == m_parser.contentLength()
            && m_socket->bytesAvailable() == 0) {
            m_socket->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        return true;
    case HttpParser::Status::Complete:
        break;
    }

    m_http10 = m_parser.isHttp10();
    m_keepAlive = m_parser.keepAlive();
    m_upgrade = m_parser.isUpgrade();
    if (m_upgrade) {
        // Leave the handshake in the socket for QWebSocketServer to parse
        // (an upgrade has no body: it is the header block).
        m_socket->skip(result.consumed - m_parser.headerSize());
        m_upgradeBytes = m_parser.headerSize();
    } else {
        m_socket->skip(result.consumed);
    }
    dispatch();
    return true;
}

bool HttpConnection::readBody()
{
    const qint64 n = qMin(m_socket->bytesAvailable(), m_parser.bodyRemaining());
    if (n <= 0)
        return false;
    const QByteArray chunk = m_socket->read(n);
    if (m_parser.feed(chunk).status == HttpParser::Status::NeedMore) {
        startTimer(TimerMode::Body, m_limits.headerTimeoutMs); // progress: restart
        return true;
    }
    dispatch();
    return true;
}

void HttpConnection::dispatch()
{
    m_state = State::Handling;
    stopTimer();
    m_currentRequestId = ++m_nextRequestId;

    HttpResponder responder;
    responder.m_connection = this;
    responder.m_requestId = m_currentRequestId;

    // The handler gets its own copy: it may answer synchronously, after
    // which this connection already parses the next request.
    HttpRequest request = m_parser.takeRequest();
    request.peerAddress = m_peerAddress;
    request.peerPort = m_peerPort;
    // The answer's decorator sees the request it answers (without the body).
    m_answering = request;
    m_answering.body.clear();
    if (lcHttp().isDebugEnabled()) { // only the debug log reads it: no string per request otherwise
        m_logLine = request.method + ' ' + request.target;
        qCDebug(lcHttp).noquote() << m_logLine << "from" << request.peerAddress.toString() << request.peerPort;
    }
    m_server->handle(request, responder);
}

void HttpConnection::send(quint64 requestId, const HttpResponse &response)
{
    if (m_state != State::Handling || requestId == 0 || requestId != m_currentRequestId)
        return; // answered already, or the connection is closing
    m_currentRequestId = 0;

    bool close = !m_keepAlive;
    if (m_upgrade) {
        // A refused upgrade: drop the handshake and end the connection, the
        // client would not know what to do with it anyway.
        m_socket->read(m_upgradeBytes);
        m_upgrade = false;
        close = true;
    }
    if (m_server->m_decorator) {
        HttpResponse decorated = response;
        m_server->m_decorator(m_answering, decorated);
        writeResponse(decorated, close);
    } else {
        writeResponse(response, close);
    }
    if (close) {
        closeAfterWrite();
        return;
    }
    ++m_served;
    m_state = State::WaitingForHeader;
    // No readyRead will come for data already buffered: look at it now.
    processBuffer();
}

void HttpConnection::acceptWebSocket(quint64 requestId, const QVariant &context)
{
    if (m_state != State::Handling || requestId == 0 || requestId != m_currentRequestId)
        return;
    if (!m_upgrade) {
        qCWarning(lcHttp) << "acceptWebSocket() called for a request that is not an upgrade";
        send(requestId, HttpResponse::json(400, httpErrorJson(400, QStringLiteral("Not a WebSocket upgrade request"))));
        return;
    }
    m_currentRequestId = 0;

    QTcpSocket *socket = m_socket;
    disconnect(socket, nullptr, this, nullptr);
    m_timer.stop();
    m_timerMode = TimerMode::None;
    // QWebSocket copies the read buffer limit; WebSocket messages are bounded
    // by QWebSocket's own limits instead.
    socket->setReadBufferSize(0);
    m_socket = nullptr;
    finish();
    qCDebug(lcHttp) << "upgrading to WebSocket" << socket->peerAddress() << socket->peerPort();
    m_server->upgrade(socket, context);
}

void HttpConnection::writeResponse(const HttpResponse &response, bool close)
{
    int status = response.status;
    if (status < 100 || status > 999) {
        qCWarning(lcHttp) << "invalid HTTP status" << status << "replaced by 500";
        status = 500;
    }
    // No body (and for 1xx/204 no Content-Length) where RFC 9110 forbids one.
    const bool noContentLength = status < 200 || status == 204 || status == 304;
    const bool writeBody = !m_head && !noContentLength;

    QByteArray out;
    out.reserve(256 + (writeBody ? response.body.size() : 0));
    out += "HTTP/1.1 ";
    out += QByteArray::number(status);
    out += ' ';
    out += reasonPhrase(status);
    out += "\r\n";
    for (const auto &h : response.headers) {
        if (equalsIgnoreCase(h.first, "Content-Length") || equalsIgnoreCase(h.first, "Connection")
            || equalsIgnoreCase(h.first, "Transfer-Encoding")) {
            continue; // ours to decide
        }
        if (!isToken(h.first) || hasLineBreakOrNul(h.second)) {
            qCWarning(lcHttp) << "dropping invalid response header" << h.first;
            continue;
        }
        out += h.first;
        out += ": ";
        out += h.second;
        out += "\r\n";
    }
    if (!noContentLength) {
        out += "Content-Length: ";
        out += QByteArray::number(response.body.size());
        out += "\r\n";
    }
    if (close)
        out += "Connection: close\r\n";
    else if (m_http10)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (writeBody)
        out += response.body;

    qCDebug(lcHttp).noquote() << m_logLine << "->" << status << response.body.size() << "bytes"
                              << (close ? "(closing)" : "(keep-alive)");
    m_socket->write(out);
    // QAbstractSocket would send it on the next event-loop pass; now saves
    // that pass (a poll and a notifier round) on every answer.
    m_socket->flush();
}

void HttpConnection::fail(int status, const QString &message)
{
    qCDebug(lcHttp) << "rejecting request from" << m_peerAddress << m_peerPort
                    << status << message;
    m_logLine = QByteArrayLiteral("(rejected)");
    m_currentRequestId = 0;
    m_upgrade = false;
    writeResponse(HttpResponse::json(status, httpErrorJson(status, message)), true);
    closeAfterWrite();
}

void HttpConnection::closeAfterWrite()
{
    m_state = State::Closing;
    m_timer.stop();
    m_timerMode = TimerMode::None;
    // Whatever else the client sent is not going to be answered.
    m_socket->read(m_socket->bytesAvailable());
    if (m_socket->bytesToWrite() == 0)
        lingerClose();
    // else onBytesWritten() continues once the response is out
}

// Closing a socket with unread input makes the kernel send RST, which can
// make the client lose our final response (say a 413 while it is still
// uploading). So we only shut down our sending side and drain the input
// until the client closes too, for at most LingerTimeoutMs.
void HttpConnection::lingerClose()
{
    if (m_state == State::Lingering || m_state == State::Finished)
        return;
    m_state = State::Lingering;
#ifdef Q_OS_UNIX
    if (m_socket->state() == QAbstractSocket::ConnectedState && m_socket->socketDescriptor() >= 0) {
        ::shutdown(static_cast<int>(m_socket->socketDescriptor()), SHUT_WR);
        startTimer(TimerMode::Linger, LingerTimeoutMs);
        return;
    }
#endif
    m_socket->disconnectFromHost();
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        finish();
    else
        startTimer(TimerMode::Linger, LingerTimeoutMs);
}

void HttpConnection::finish()
{
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    m_currentRequestId = 0;
    m_timer.stop();
    m_timerMode = TimerMode::None;
    --m_server->m_connections;
    if (m_socket)
        disconnect(m_socket, nullptr, this, nullptr);
    // Deferred: we may be inside one of the socket's signals.
    deleteLater();
}

} // namespace Aiodata::Server
