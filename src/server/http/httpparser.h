#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>

namespace Aiodata::Server {

using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

struct HttpRequest
{
    QByteArray method;      // "GET", "POST", ... as sent (upper case expected)
    QByteArray target;      // request target as sent: path and query, still percent-encoded
    QByteArray path;        // target before '?', still percent-encoded
    QByteArray query;       // target after '?', still percent-encoded ("" if none)
    HttpHeaders headers;    // as sent, names in original case
    QByteArray body;
    QHostAddress peerAddress;
    quint16 peerPort = 0;

    // Case-insensitive header lookup; first match; null QByteArray if absent.
    QByteArray header(QByteArrayView name) const;
    bool isWebSocketUpgrade() const; // GET with Upgrade: websocket
};

struct HttpLimits
{
    qint64 maxHeaderBytes = 16 * 1024;          // 431 beyond
    qint64 maxBodyBytes = 16 * 1024 * 1024;     // 413 beyond
    int headerTimeoutMs = 10000;                // slow clients: 408 and close
    int idleTimeoutMs = 60000;                  // keep-alive idle close
};

// HTTP/1.1 request framing on bytes alone: no socket, no timer, no QObject,
// so the code that reads untrusted input can be tested and fuzzed by itself
// (the connection keeps timeouts, keep-alive, responses and upgrades).
//
// The caller keeps the buffer: it passes the bytes it has not consumed yet,
// drops Result::consumed of them, and calls again when more arrive. The head
// is parsed anew on every call until it is complete (it is at most
// maxHeaderBytes), the body is consumed as it comes. Only Content-Length
// bodies are accepted; anything that could frame a request differently than
// a proxy in front of us would (Transfer-Encoding, conflicting lengths,
// folded lines, bare LF) is refused, and the connection is to be closed.
class HttpParser
{
public:
    enum class Status {
        NeedMore,   // call again with more bytes
        Complete,   // takeRequest(): head and body
        Error,      // errorStatus(), errorMessage(); stays so until reset()
    };
    struct Result
    {
        Status status = Status::NeedMore;
        // Bytes of the data used up: empty lines before a request, and the
        // head and body bytes read so far. Never more than the data's size;
        // on Error only the empty lines.
        qsizetype consumed = 0;
    };

    explicit HttpParser(const HttpLimits &limits = HttpLimits());

    Result feed(QByteArrayView data);
    // The request of the last Complete result (without peer address); the
    // next feed() starts the next request either way.
    HttpRequest takeRequest();
    void reset();

    // Head parsed, Content-Length bytes still pending.
    bool isReadingBody() const { return m_phase == Phase::Body; }
    qint64 bodyRemaining() const { return m_bodyRemaining; }

    // Of the request whose head was parsed last (valid from NeedMore with
    // isReadingBody() or Complete on):
    qsizetype headerSize() const { return m_headerSize; } // request line to the empty line, inclusive
    qint64 contentLength() const { return m_contentLength; }
    bool isHttp10() const { return m_http10; }
    bool keepAlive() const { return m_keepAlive; }      // per version and Connection header
    bool isUpgrade() const { return m_upgrade; }        // HttpRequest::isWebSocketUpgrade()
    bool expectsContinue() const { return m_expectContinue; } // a body and Expect: 100-continue
    // A HEAD request line, as far as it was read: false again as soon as
    // another request begins (so an error answer knows whether to carry a body).
    bool isHeadMethod() const { return m_headMethod; }

    int errorStatus() const { return m_errorStatus; }       // 400, 411, 413, 431 or 505
    QString errorMessage() const { return m_errorMessage; }

private:
    enum class Phase { Head, Body, Done, Failed };

    Result parseHead(QByteArrayView data);
    Result readBody(QByteArrayView data, qsizetype consumed);
    Result fail(int status, const QString &message, qsizetype consumed);

    HttpLimits m_limits;
    Phase m_phase = Phase::Head;
    HttpRequest m_request;
    qint64 m_contentLength = 0;
    qint64 m_bodyRemaining = 0;
    qsizetype m_headerSize = 0;
    bool m_http10 = false;
    bool m_keepAlive = true;
    bool m_upgrade = false;
    bool m_expectContinue = false;
    bool m_headMethod = false;
    int m_errorStatus = 0;
    QString m_errorMessage;
};

} // namespace Aiodata::Server
