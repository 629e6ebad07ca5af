#include "http/httpserver.h"

#include "app/logging.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QVarLengthArray>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <string_view>
#include <utility>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace Aiodata::Server {

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

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0;
}

// Comma-separated header lists ("Connection: keep-alive, Upgrade").
bool hasToken(QByteArrayView value, QByteArrayView token)
{
    // Views, no split: this runs several times for every request.
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        if (equalsIgnoreCase((comma < 0 ? value : value.first(comma)).trimmed(), token))
            return true;
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
    return false;
}

// RFC 9110 tchar: what header names and methods may contain.
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

// The header name as a QByteArray: the names clients send on every request,
// spelled as they usually are, come from static data instead of the heap.
QByteArray headerName(QByteArrayView name)
{
    static const QByteArray common[] = {
        QByteArrayLiteral("Host"), QByteArrayLiteral("Authorization"), QByteArrayLiteral("Content-Type"),
        QByteArrayLiteral("Content-Length"), QByteArrayLiteral("Prefer"), QByteArrayLiteral("Accept"),
        QByteArrayLiteral("Connection"), QByteArrayLiteral("User-Agent"), QByteArrayLiteral("Accept-Encoding"),
        QByteArrayLiteral("Accept-Language"), QByteArrayLiteral("Origin"), QByteArrayLiteral("Accept-Profile"),
        QByteArrayLiteral("Content-Profile"), QByteArrayLiteral("Range"), QByteArrayLiteral("Idempotency-Key"),
    };
    for (const QByteArray &known : common) {
        if (name == known)
            return known;
    }
    return name.toByteArray();
}

// Visible ASCII and obs-text; no spaces or control characters.
bool isValidTarget(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return false;
    }
    return true;
}

bool hasLineBreakOrNul(QByteArrayView s)
{
    for (char c : s) {
        if (c == '\r' || c == '\n' || c == '\0')
            return true;
    }
    return false;
}

// Strict Content-Length: digits only, no sign, no list, fits in qint64.
bool parseContentLength(const QByteArray &value, qint64 *out)
{
    if (value.isEmpty() || value.size() > 18)
        return false;
    for (char c : value) {
        if (c < '0' || c > '9')
            return false;
    }
    *out = value.toLongLong();
    return true;
}

QByteArray errorJson(int status, const QString &message)
{
    QJsonObject o;
    o.insert(QLatin1String("code"), QString(QLatin1String("AIODATA") + QString::number(status)));
    o.insert(QLatin1String("message"), message);
    o.insert(QLatin1String("details"), QJsonValue(QJsonValue::Null));
    o.insert(QLatin1String("hint"), QJsonValue(QJsonValue::Null));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

// One accepted TCP connection: parses requests one at a time, hands them to
// HttpServer::handle() and writes the answers in order. Lives as a child of
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

    // The request being read or handled.
    HttpRequest m_request;
    HttpRequest m_answering;         // the request being answered, for the decorator
    qint64 m_bodyRemaining = 0;
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

HttpConnection::HttpConnection(QTcpSocket *socket, HttpServer *server)
    : QObject(server)
    , m_server(server)
    , m_socket(socket)
    , m_limits(server->m_limits)
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
    // Tolerate empty lines before a request (RFC 9112 section 2.2).
    char two[2];
    while (m_socket->peek(two, 2) == 2 && two[0] == '\r' && two[1] == '\n')
        m_socket->read(two, 2);

    const qint64 available = m_socket->bytesAvailable();
    if (available == 0)
        return false;
    if (m_timerMode != TimerMode::Header)
        startTimer(TimerMode::Header, m_limits.headerTimeoutMs);

    // The header block is parsed in place (views into one reused buffer);
    // only what the request keeps is copied. This runs for every request.
    const qint64 maxHeader = qMax<qint64>(m_limits.maxHeaderBytes, 4);
    // Kept between requests only while small: an idle keep-alive connection
    // should not hold a large header's worth of memory.
    const auto releaseLarge = qScopeGuard([this] {
        if (m_peekBuffer.capacity() > 4096)
            m_peekBuffer = QByteArray();
    });
    m_peekBuffer.resize(qMin(available, maxHeader));
    m_peekBuffer.resize(qMax<qint64>(0, m_socket->peek(m_peekBuffer.data(), m_peekBuffer.size())));
    // std::string_view's find scans with memchr: several times faster here
    // than QByteArray::indexOf for a 4-byte needle, per request.
    const std::string_view peeked(m_peekBuffer.constData(), size_t(m_peekBuffer.size()));
    const size_t found = peeked.find("\r\n\r\n");
    const qsizetype end = found == std::string_view::npos ? -1 : qsizetype(found);

    m_head = false;
    m_upgrade = false;
    if (end < 0) {
        if (available >= maxHeader) {
            fail(431, QStringLiteral("Request header too large (limit %1 bytes)")
                          .arg(m_limits.maxHeaderBytes));
            return false;
        }
        return false; // wait for the rest of the header block
    }
    const qint64 headerBytes = end + 4;

    // Every line but the last one ends with '\r' because we split on '\n'
    // inside a block whose lines are "\r\n"-terminated; bare LFs are errors.
    const QByteArrayView block(m_peekBuffer.constData(), end);
    QVarLengthArray<QByteArrayView, 32> clean;
    for (qsizetype pos = 0;;) {
        const qsizetype lf = block.indexOf('\n', pos);
        QByteArrayView line = lf < 0 ? block.sliced(pos) : block.sliced(pos, lf - pos);
        if (lf >= 0) {
            if (!line.endsWith('\r')) {
                fail(400, QStringLiteral("Malformed request: bare line feed in header"));
                return false;
            }
            line.chop(1);
        }
        clean.append(line);
        if (lf < 0)
            break;
        pos = lf + 1;
    }

    // Request line: method SP target SP HTTP-version, exactly two spaces.
    const QByteArrayView requestLine = clean.first();
    const qsizetype space1 = requestLine.indexOf(' ');
    const qsizetype space2 = space1 < 0 ? -1 : requestLine.indexOf(' ', space1 + 1);
    if (space2 < 0 || requestLine.indexOf(' ', space2 + 1) >= 0) {
        fail(400, QStringLiteral("Malformed request line"));
        return false;
    }
    const QByteArrayView method = requestLine.first(space1);
    const QByteArrayView target = requestLine.sliced(space1 + 1, space2 - space1 - 1);
    const QByteArrayView version = requestLine.sliced(space2 + 1);
    if (!isToken(method) || !isValidTarget(target)) {
        fail(400, QStringLiteral("Malformed request line"));
        return false;
    }
    if (version.size() != 8 || !version.startsWith("HTTP/") || version.at(6) != '.'
        || !std::isdigit(static_cast<unsigned char>(version.at(5)))
        || !std::isdigit(static_cast<unsigned char>(version.at(7)))) {
        fail(400, QStringLiteral("Malformed request line"));
        return false;
    }
    if (version.at(5) != '1') {
        fail(505, QStringLiteral("Only HTTP/1.x is supported"));
        return false;
    }
    m_http10 = version.at(7) == '0';
    m_head = method == "HEAD";

    HttpRequest request;
    request.method = method.toByteArray();
    request.target = target.toByteArray();
    request.peerAddress = m_peerAddress;
    request.peerPort = m_peerPort;

    // Absolute-form targets (proxies) are routed like their origin-form.
    QByteArray originForm = request.target;
    if (originForm.startsWith("http://") || originForm.startsWith("https://")) {
        const qsizetype authority = originForm.indexOf("://") + 3;
        const qsizetype slash = originForm.indexOf('/', authority);
        const qsizetype question = originForm.indexOf('?', authority);
        if (slash >= 0 && (question < 0 || slash < question))
            originForm = originForm.mid(slash);
        else if (question >= 0)
            originForm = QByteArrayLiteral("/") + originForm.mid(question);
        else
            originForm = QByteArrayLiteral("/");
    }
    const qsizetype question = originForm.indexOf('?');
    request.path = question < 0 ? originForm : originForm.left(question);
    request.query = question < 0 ? QByteArray("") : originForm.mid(question + 1);

    request.headers.reserve(clean.size() - 1);
    for (qsizetype i = 1; i < clean.size(); ++i) {
        const QByteArrayView line = clean.at(i);
        if (line.startsWith(' ') || line.startsWith('\t')) {
            // Obsolete line folding is a request smuggling vector.
            fail(400, QStringLiteral("Malformed header: folded lines are not supported"));
            return false;
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArrayView name = colon > 0 ? line.first(colon) : QByteArrayView();
        if (!isToken(name)) {
            fail(400, QStringLiteral("Malformed header line"));
            return false;
        }
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        if (hasLineBreakOrNul(value)) {
            fail(400, QStringLiteral("Malformed header value"));
            return false;
        }
        request.headers.append({headerName(name), value.toByteArray()});
    }

    // Body framing: only Content-Length is supported.
    qint64 contentLength = 0;
    bool haveLength = false;
    for (const auto &h : std::as_const(request.headers)) {
        if (equalsIgnoreCase(h.first, "Transfer-Encoding")) {
            fail(411, QStringLiteral("Transfer-Encoding is not supported; send a Content-Length"));
            return false;
        }
        if (equalsIgnoreCase(h.first, "Content-Length")) {
            qint64 length = 0;
            if (!parseContentLength(h.second, &length) || (haveLength && length != contentLength)) {
                fail(400, QStringLiteral("Invalid Content-Length"));
                return false;
            }
            contentLength = length;
            haveLength = true;
        }
    }
    if (contentLength > m_limits.maxBodyBytes) {
        // Answer before reading any of the body; the connection is closed.
        fail(413, QStringLiteral("Request body too large (limit %1 bytes)").arg(m_limits.maxBodyBytes));
        return false;
    }

    const QByteArray connection = request.header("Connection");
    if (m_http10)
        m_keepAlive = hasToken(connection, "keep-alive");
    else
        m_keepAlive = !hasToken(connection, "close");

    m_upgrade = request.isWebSocketUpgrade();
    if (m_upgrade && contentLength > 0) {
        fail(400, QStringLiteral("A WebSocket upgrade request must not have a body"));
        return false;
    }

    m_request = std::move(request);
    if (m_upgrade) {
        // Leave the handshake in the socket for QWebSocketServer to parse.
        m_upgradeBytes = headerBytes;
        dispatch();
        return true;
    }

    m_socket->skip(headerBytes);
    m_bodyRemaining = contentLength;
    if (contentLength > 0) {
        m_request.body.reserve(qMin<qint64>(contentLength, 1024 * 1024));
        m_state = State::ReadingBody;
        startTimer(TimerMode::Body, m_limits.headerTimeoutMs);
        if (hasToken(m_request.header("Expect"), "100-continue") && !m_http10
            && m_socket->bytesAvailable() == 0) {
            m_socket->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        return true;
    }
    dispatch();
    return true;
}

bool HttpConnection::readBody()
{
    const qint64 n = qMin(m_socket->bytesAvailable(), m_bodyRemaining);
    if (n <= 0)
        return false;
    const qsizetype had = m_request.body.size();
    m_request.body.resize(had + n);
    const qint64 got = qMax<qint64>(m_socket->read(m_request.body.data() + had, n), 0);
    m_request.body.resize(had + got);
    m_bodyRemaining -= got;
    if (m_bodyRemaining > 0) {
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
    const HttpRequest request = std::exchange(m_request, HttpRequest());
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
        send(requestId, HttpResponse::json(400, errorJson(400, QStringLiteral("Not a WebSocket upgrade request"))));
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
    writeResponse(HttpResponse::json(status, errorJson(status, message)), true);
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

// --- HttpRequest / HttpResponse / HttpResponder ------------------------------

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &h : headers) {
        if (equalsIgnoreCase(h.first, name))
            return h.second;
    }
    return QByteArray();
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return method == "GET" && hasToken(header("Upgrade"), "websocket")
        && hasToken(header("Connection"), "upgrade");
}

HttpResponse HttpResponse::json(int status, const QByteArray &body)
{
    HttpResponse r;
    r.status = status;
    r.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json; charset=utf-8")});
    r.body = body;
    return r;
}

void HttpResponder::send(const HttpResponse &response) const
{
    if (m_connection)
        m_connection->send(m_requestId, response);
}

void HttpResponder::acceptWebSocket(const QVariant &context) const
{
    if (m_connection)
        m_connection->acceptWebSocket(m_requestId, context);
}

bool HttpResponder::isConnected() const
{
    return m_connection && m_connection->isConnected();
}

// --- HttpServer ---------------------------------------------------------------

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
    , m_tcpServer(new QTcpServer(this))
    , m_webSocketServer(new QWebSocketServer(QStringLiteral("aiodata"), QWebSocketServer::NonSecureMode, this))
{
    // webSocketAccepted may be connected queued or spied on; the header
    // cannot declare the metatype since QWebSocket is only forward declared.
    qRegisterMetaType<QWebSocket *>();
    connect(m_tcpServer, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
    connect(m_webSocketServer, &QWebSocketServer::newConnection, this, &HttpServer::onWebSocketConnection);
}

HttpServer::~HttpServer()
{
    m_tcpServer->close();
}

void HttpServer::setHandler(Handler handler)
{
    m_handler = std::move(handler);
}

void HttpServer::setDecorator(Decorator decorator)
{
    m_decorator = std::move(decorator);
}

void HttpServer::setLimits(const HttpLimits &limits)
{
    m_limits = limits; // applies to connections accepted from now on
}

HttpLimits HttpServer::limits() const
{
    return m_limits;
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    return m_tcpServer->listen(address, port);
}

quint16 HttpServer::serverPort() const
{
    return m_tcpServer->serverPort();
}

QString HttpServer::errorString() const
{
    return m_tcpServer->errorString();
}

int HttpServer::connectionCount() const
{
    return m_connections;
}

void HttpServer::handle(const HttpRequest &request, const HttpResponder &responder)
{
    if (m_handler) {
        m_handler(request, responder);
        return;
    }
    responder.send(HttpResponse::json(404, errorJson(404, QStringLiteral("No handler installed"))));
}

void HttpServer::upgrade(QTcpSocket *socket, const QVariant &context)
{
    const QPair<QHostAddress, quint16> key(socket->peerAddress(), socket->peerPort());
    m_pendingUpgrades.insert(key, context);
    // If the handshake fails QWebSocketServer closes and deletes the socket;
    // drop its context then. The WebSocketServer owns the socket until the
    // handshake ends (QWebSocket does not take ownership of it).
    connect(socket, &QObject::destroyed, this, [this, key] { m_pendingUpgrades.remove(key); });
    socket->setParent(m_webSocketServer);
    m_webSocketServer->handleConnection(socket);
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_tcpServer->nextPendingConnection()) {
        ++m_connections;
        new HttpConnection(socket, this);
    }
}

void HttpServer::onWebSocketConnection()
{
    while (QWebSocket *socket = m_webSocketServer->nextPendingConnection()) {
        const QPair<QHostAddress, quint16> key(socket->peerAddress(), socket->peerPort());
        const auto it = m_pendingUpgrades.constFind(key);
        if (it == m_pendingUpgrades.constEnd()) {
            qCWarning(lcHttp) << "WebSocket without a pending upgrade from" << key.first << key.second;
            socket->abort();
            socket->deleteLater();
            continue;
        }
        const QVariant context = *it;
        m_pendingUpgrades.erase(it);
        // Owned by us unless the receiver reparents it; never leaked.
        socket->setParent(this);
        qCDebug(lcHttp) << "WebSocket accepted from" << key.first << key.second;
        Q_EMIT webSocketAccepted(socket, context);
    }
}

} // namespace Aiodata::Server

#include "httpserver.moc"
