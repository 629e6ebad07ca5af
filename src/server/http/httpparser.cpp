#include "http/httpparser.h"

#include "http/httpsyntax_p.h"

#include <QVarLengthArray>

#include <cctype>
#include <string_view>
#include <utility>

namespace Aiodata::Server {

using namespace HttpSyntax;

namespace {

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

} // namespace

HttpParser::HttpParser(const HttpLimits &limits)
    : m_limits(limits)
{
}

void HttpParser::reset()
{
    *this = HttpParser(m_limits);
}

HttpParser::Result HttpParser::feed(QByteArrayView data)
{
    switch (m_phase) {
    case Phase::Failed:
        return {Status::Error, 0};
    case Phase::Done:
        m_request = HttpRequest();  // not taken: dropped
        m_phase = Phase::Head;
        [[fallthrough]];
    case Phase::Head:
        return parseHead(data);
    case Phase::Body:
        return readBody(data, 0);
    }
    Q_UNREACHABLE();
    return Result();
}

HttpRequest HttpParser::takeRequest()
{
    if (m_phase != Phase::Done)
        return HttpRequest();
    m_phase = Phase::Head;
    return std::exchange(m_request, HttpRequest());
}

HttpParser::Result HttpParser::fail(int status, const QString &message, qsizetype consumed)
{
    m_phase = Phase::Failed;
    m_errorStatus = status;
    m_errorMessage = message;
    m_request = HttpRequest();
    return {Status::Error, consumed};
}

HttpParser::Result HttpParser::parseHead(QByteArrayView data)
{
    // Tolerate empty lines before a request (RFC 9112 section 2.2).
    qsizetype skipped = 0;
    while (data.size() - skipped >= 2 && data.at(skipped) == '\r' && data.at(skipped + 1) == '\n')
        skipped += 2;
    const QByteArrayView rest = data.sliced(skipped);
    if (rest.isEmpty())
        return {Status::NeedMore, skipped};
    m_headMethod = false;
    m_upgrade = false;

    // The header block is parsed in place (views into the caller's buffer);
    // only what the request keeps is copied. This runs for every request.
    const qint64 maxHeader = qMax<qint64>(m_limits.maxHeaderBytes, 4);
    // std::string_view's find scans with memchr: several times faster here
    // than QByteArray::indexOf for a 4-byte needle, per request.
    const std::string_view window(rest.data(), size_t(qMin<qint64>(rest.size(), maxHeader)));
    const size_t found = window.find("\r\n\r\n");
    if (found == std::string_view::npos) {
        if (rest.size() >= maxHeader) {
            return fail(431, QStringLiteral("Request header too large (limit %1 bytes)").arg(m_limits.maxHeaderBytes),
                        skipped);
        }
        return {Status::NeedMore, skipped}; // wait for the rest of the header block
    }
    const qsizetype end = qsizetype(found);
    const qsizetype headerBytes = end + 4;

    // Every line but the last one ends with '\r' because we split on '\n'
    // inside a block whose lines are "\r\n"-terminated; bare LFs are errors.
    const QByteArrayView block = rest.first(end);
    QVarLengthArray<QByteArrayView, 32> clean;
    for (qsizetype pos = 0;;) {
        const qsizetype lf = block.indexOf('\n', pos);
        QByteArrayView line = lf < 0 ? block.sliced(pos) : block.sliced(pos, lf - pos);
        if (lf >= 0) {
            if (!line.endsWith('\r'))
                return fail(400, QStringLiteral("Malformed request: bare line feed in header"), skipped);
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
    if (space2 < 0 || requestLine.indexOf(' ', space2 + 1) >= 0)
        return fail(400, QStringLiteral("Malformed request line"), skipped);
    const QByteArrayView method = requestLine.first(space1);
    const QByteArrayView target = requestLine.sliced(space1 + 1, space2 - space1 - 1);
    const QByteArrayView version = requestLine.sliced(space2 + 1);
    if (!isToken(method) || !isValidTarget(target))
        return fail(400, QStringLiteral("Malformed request line"), skipped);
    if (version.size() != 8 || !version.startsWith("HTTP/") || version.at(6) != '.'
        || !std::isdigit(static_cast<unsigned char>(version.at(5)))
        || !std::isdigit(static_cast<unsigned char>(version.at(7)))) {
        return fail(400, QStringLiteral("Malformed request line"), skipped);
    }
    if (version.at(5) != '1')
        return fail(505, QStringLiteral("Only HTTP/1.x is supported"), skipped);
    const bool http10 = version.at(7) == '0';
    m_headMethod = method == "HEAD";

    HttpRequest request;
    request.method = method.toByteArray();
    request.target = target.toByteArray();

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
            return fail(400, QStringLiteral("Malformed header: folded lines are not supported"), skipped);
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArrayView name = colon > 0 ? line.first(colon) : QByteArrayView();
        if (!isToken(name))
            return fail(400, QStringLiteral("Malformed header line"), skipped);
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        if (hasLineBreakOrNul(value))
            return fail(400, QStringLiteral("Malformed header value"), skipped);
        request.headers.append({headerName(name), value.toByteArray()});
    }

    // Body framing: only Content-Length is supported. Equal duplicates are
    // one length (RFC 9110 section 8.6 allows treating them so).
    qint64 contentLength = 0;
    bool haveLength = false;
    for (const auto &h : std::as_const(request.headers)) {
        if (equalsIgnoreCase(h.first, "Transfer-Encoding"))
            return fail(411, QStringLiteral("Transfer-Encoding is not supported; send a Content-Length"), skipped);
        if (equalsIgnoreCase(h.first, "Content-Length")) {
            qint64 length = 0;
            if (!parseContentLength(h.second, &length) || (haveLength && length != contentLength))
                return fail(400, QStringLiteral("Invalid Content-Length"), skipped);
            contentLength = length;
            haveLength = true;
        }
    }
    if (contentLength > m_limits.maxBodyBytes) {
        // Refused before any of the body is read.
        return fail(413, QStringLiteral("Request body too large (limit %1 bytes)").arg(m_limits.maxBodyBytes),
                    skipped);
    }

    const QByteArray connection = request.header("Connection");
    m_http10 = http10;
    m_keepAlive = http10 ? hasToken(connection, "keep-alive") : !hasToken(connection, "close");
    m_upgrade = request.isWebSocketUpgrade();
    if (m_upgrade && contentLength > 0)
        return fail(400, QStringLiteral("A WebSocket upgrade request must not have a body"), skipped);
    m_expectContinue = contentLength > 0 && hasToken(request.header("Expect"), "100-continue");

    m_request = std::move(request);
    m_headerSize = headerBytes;
    m_contentLength = contentLength;
    m_bodyRemaining = contentLength;
    if (contentLength > 0)
        m_request.body.reserve(qMin<qint64>(contentLength, 1024 * 1024));
    m_phase = Phase::Body;
    return readBody(rest.sliced(headerBytes), skipped + headerBytes);
}

HttpParser::Result HttpParser::readBody(QByteArrayView data, qsizetype consumed)
{
    const qsizetype n = qsizetype(qMin<qint64>(data.size(), m_bodyRemaining));
    if (n > 0) {
        m_request.body.append(data.first(n));
        m_bodyRemaining -= n;
    }
    if (m_bodyRemaining > 0)
        return {Status::NeedMore, consumed + n};
    m_phase = Phase::Done;
    return {Status::Complete, consumed + n};
}

// --- HttpRequest ----------------------------------------------------------------

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

} // namespace Aiodata::Server
