// Tests for the hand-written HTTP/1.1 server: real sockets on 127.0.0.1,
// mostly raw QTcpSocket clients so the exact bytes on the wire are checked.

#include "http/httpserver.h"
#include "websocketcompat.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QSet>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QtTest>

#include <memory>

using namespace Aiodata::Server;

namespace {

struct RawResponse
{
    int status = 0;
    QByteArray raw;         // status line, headers and body exactly as received
    HttpHeaders headers;
    QByteArray body;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return QByteArray();
    }
};

// A raw HTTP client that never blocks the event loop (the server runs in
// the same thread), so it waits with QTest::qWaitFor.
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }

    QTcpSocket &socket() { return m_socket; }

    bool waitConnected()
    {
        return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    }

    void write(const QByteArray &data)
    {
        m_socket.write(data);
        m_socket.flush();
    }

    // Waits for one complete response; `head` means no body follows.
    bool readResponse(RawResponse *out, bool head = false, int timeoutMs = 5000)
    {
        return QTest::qWaitFor([&] {
            m_buffer += m_socket.readAll();
            return tryParse(out, head);
        }, timeoutMs);
    }

    // Everything received that is not part of a parsed response.
    QByteArray unparsed()
    {
        m_buffer += m_socket.readAll();
        return m_buffer;
    }

    bool waitDisconnected(int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this] {
            m_buffer += m_socket.readAll();
            return m_socket.state() == QAbstractSocket::UnconnectedState;
        }, timeoutMs);
    }

private:
    bool tryParse(RawResponse *out, bool head)
    {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return false;
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        RawResponse r;
        const QList<QByteArray> statusParts = lines.first().trimmed().split(' ');
        if (statusParts.size() < 2)
            return false;
        r.status = statusParts.at(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
        }
        const qint64 length = (head || r.status < 200) ? 0 : r.header("Content-Length").toLongLong();
        if (m_buffer.size() < end + 4 + length)
            return false;
        r.body = m_buffer.mid(end + 4, length);
        r.raw = m_buffer.left(end + 4 + length);
        m_buffer.remove(0, end + 4 + length);
        *out = r;
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
};

HttpResponse textResponse(int status, const QByteArray &body)
{
    HttpResponse r;
    r.status = status;
    r.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("text/plain")});
    r.body = body;
    return r;
}

QByteArray get(const QByteArray &path, const QByteArray &extra = QByteArray())
{
    return QByteArrayLiteral("GET ") + path + QByteArrayLiteral(" HTTP/1.1\r\nHost: test\r\n") + extra
        + QByteArrayLiteral("\r\n");
}

} // namespace

class TestHttpServer : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void simpleGet();
    void postEcho_data();
    void postEcho();
    void expectContinue();
    void asyncAnswer();
    void pipelinedInOrder();
    void manyPipelined();
    void keepAliveReuse();
    void connectionHeader_data();
    void connectionHeader();
    void headHasNoBody();
    void rejects_data();
    void rejects();
    void largeUploadStillGets413();
    void timeouts_data();
    void timeouts();
    void idleTimeout();
    void timeoutsMoveWithActivity();
    void webSocketAccepted_data();
    void webSocketAccepted();
    void webSocketRejected();
    void webSocketRejectedRaw();
    void acceptWebSocketOnPlainRequest();
    void clientGoneBeforeAnswer();
    void networkAccessManager();
    void randomGarbage();

private:
    quint16 port() const { return m_server->serverPort(); }

    std::unique_ptr<HttpServer> m_server;
    QList<HttpRequest> m_requests;   // what the default handler saw
};

void TestHttpServer::init()
{
    m_requests.clear();
    m_server = std::make_unique<HttpServer>();
    QVERIFY2(m_server->listen(QHostAddress::LocalHost, 0), qPrintable(m_server->errorString()));
    // Default handler: answer with the path, synchronously.
    m_server->setHandler([this](const HttpRequest &request, const HttpResponder &responder) {
        m_requests.append(request);
        responder.send(textResponse(200, request.path));
    });
}

void TestHttpServer::cleanup()
{
    m_server.reset();
}

void TestHttpServer::simpleGet()
{
    RawClient client(port());
    QVERIFY(client.waitConnected());
    m_server->setHandler([this](const HttpRequest &request, const HttpResponder &responder) {
        m_requests.append(request);
        responder.send(HttpResponse::json(200, QByteArrayLiteral("{\"ok\":true}")));
    });
    client.write("GET /items?id=eq.1&select=a,b HTTP/1.1\r\nHost: test\r\nX-Custom:   padded value  \r\n\r\n");

    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.raw, QByteArrayLiteral("HTTP/1.1 200 OK\r\n"
                                             "Content-Type: application/json; charset=utf-8\r\n"
                                             "Content-Length: 11\r\n"
                                             "\r\n"
                                             "{\"ok\":true}"));

    QCOMPARE(m_requests.size(), 1);
    const HttpRequest &r = m_requests.first();
    QCOMPARE(r.method, QByteArrayLiteral("GET"));
    QCOMPARE(r.target, QByteArrayLiteral("/items?id=eq.1&select=a,b"));
    QCOMPARE(r.path, QByteArrayLiteral("/items"));
    QCOMPARE(r.query, QByteArrayLiteral("id=eq.1&select=a,b"));
    QCOMPARE(r.header("x-custom"), QByteArrayLiteral("padded value"));
    QCOMPARE(r.header("X-CUSTOM"), QByteArrayLiteral("padded value"));
    QVERIFY(r.header("missing").isNull());
    QCOMPARE(r.headers.size(), 2);
    QCOMPARE(r.headers.at(1).first, QByteArrayLiteral("X-Custom")); // original case kept
    QVERIFY(r.body.isEmpty());
    QVERIFY(!r.isWebSocketUpgrade());
    QCOMPARE(r.peerAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(r.peerPort, client.socket().localPort());
    QCOMPARE(m_server->connectionCount(), 1);
}

void TestHttpServer::postEcho_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("byteByByte");

    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("small") << QByteArrayLiteral("{\"name\":\"x\"}") << false;
    QTest::newRow("looks like headers") << QByteArrayLiteral("a\r\n\r\nGET / HTTP/1.1\r\n\r\n") << false;
    QByteArray binary;
    for (int i = 0; i < 256; ++i)
        binary.append(char(i));
    QTest::newRow("binary") << binary << false;
    QTest::newRow("byte by byte") << QByteArrayLiteral("slowly sent body") << true;
    QByteArray large(300 * 1024, 'x'); // larger than the socket's read buffer cap
    for (qsizetype i = 0; i < large.size(); i += 997)
        large[i] = char('a' + i % 26);
    QTest::newRow("large") << large << false;
}

void TestHttpServer::postEcho()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, byteByByte);

    m_server->setHandler([this](const HttpRequest &request, const HttpResponder &responder) {
        m_requests.append(request);
        responder.send(request.method == "POST" ? textResponse(201, request.body) : textResponse(200, request.path));
    });
    RawClient client(port());
    QVERIFY(client.waitConnected());
    const QByteArray request = QByteArrayLiteral("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: ")
        + QByteArray::number(body.size()) + QByteArrayLiteral("\r\n\r\n") + body;
    if (byteByByte) {
        for (char c : request) {
            client.write(QByteArray(1, c));
            QCoreApplication::processEvents();
        }
    } else {
        client.write(request);
    }

    RawResponse response;
    QVERIFY(client.readResponse(&response, false, 10000));
    QCOMPARE(response.status, 201);
    QCOMPARE(response.raw.left(22), QByteArrayLiteral("HTTP/1.1 201 Created\r\n"));
    QCOMPARE(response.header("Content-Length"), QByteArray::number(body.size()));
    QCOMPARE(response.body.size(), body.size());
    QVERIFY(response.body == body);
    QCOMPARE(m_requests.size(), 1);
    QCOMPARE(m_requests.first().method, QByteArrayLiteral("POST"));
    QVERIFY(m_requests.first().body == body);

    // The body was consumed exactly: the connection is usable again.
    client.write(get("/after"));
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.body, QByteArrayLiteral("/after"));
    QCOMPARE(m_requests.size(), 2);
}

void TestHttpServer::expectContinue()
{
    m_server->setHandler([](const HttpRequest &request, const HttpResponder &responder) {
        responder.send(textResponse(200, request.body));
    });
    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write("PUT /x HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");

    // The body is only sent after the interim response, as curl does.
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.raw, QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
    client.write("hello");
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, QByteArrayLiteral("hello"));
}

void TestHttpServer::asyncAnswer()
{
    QList<HttpResponder> responders;
    m_server->setHandler([&](const HttpRequest &request, const HttpResponder &responder) {
        m_requests.append(request);
        if (request.path == "/later") {
            responders.append(responder);
            QTimer::singleShot(50, [responder] {
                responder.send(HttpResponse::json(200, QByteArrayLiteral("{\"late\":1}")));
            });
        } else {
            responder.send(textResponse(200, request.path));
        }
    });
    RawClient client(port());
    QVERIFY(client.waitConnected());
    QElapsedTimer timer;
    timer.start();
    client.write(get("/later"));

    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QVERIFY2(timer.elapsed() >= 45, QByteArray::number(timer.elapsed()).constData());
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, QByteArrayLiteral("{\"late\":1}"));
    QCOMPARE(responders.size(), 1);

    // A second answer to an answered request is ignored...
    responders.first().send(textResponse(500, "duplicate"));
    // ...so the next response on this connection is the next request's.
    client.write(get("/next"));
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.body, QByteArrayLiteral("/next"));
    QCOMPARE(client.unparsed(), QByteArray());
}

void TestHttpServer::pipelinedInOrder()
{
    QStringList calls;
    bool slowAnswered = false;
    bool fastBeforeSlow = false;
    m_server->setHandler([&](const HttpRequest &request, const HttpResponder &responder) {
        calls.append(QString::fromLatin1(request.path));
        if (request.path == "/slow") {
            QTimer::singleShot(100, [&, responder] {
                slowAnswered = true;
                responder.send(textResponse(200, "slow"));
            });
            return;
        }
        if (!slowAnswered)
            fastBeforeSlow = true;
        responder.send(textResponse(200, request.path));
    });
    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(get("/slow") + get("/fast") + get("/fast2"));

    // One request at a time: the fast ones wait although they are buffered.
    QTRY_COMPARE(calls.size(), 1);
    RawResponse first, second, third;
    QVERIFY(client.readResponse(&first));
    QVERIFY(client.readResponse(&second));
    QVERIFY(client.readResponse(&third));
    QCOMPARE(first.body, QByteArrayLiteral("slow"));
    QCOMPARE(second.body, QByteArrayLiteral("/fast"));
    QCOMPARE(third.body, QByteArrayLiteral("/fast2"));
    QVERIFY(!fastBeforeSlow);
    QCOMPARE(calls, QStringList({QStringLiteral("/slow"), QStringLiteral("/fast"), QStringLiteral("/fast2")}));
}

void TestHttpServer::manyPipelined()
{
    // Synchronous answers to a long pipeline: no recursion, nothing lost,
    // even beyond the amount the server buffers at once.
    const int count = 4000;
    QByteArray all;
    for (int i = 0; i < count; ++i)
        all += get("/r" + QByteArray::number(i));
    QVERIFY(all.size() > 128 * 1024);

    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(all);
    for (int i = 0; i < count; ++i) {
        RawResponse response;
        QVERIFY2(client.readResponse(&response), QByteArray::number(i).constData());
        QCOMPARE(response.body, "/r" + QByteArray::number(i));
    }
    QCOMPARE(m_requests.size(), count);
}

void TestHttpServer::keepAliveReuse()
{
    RawClient client(port());
    QVERIFY(client.waitConnected());
    for (int i = 0; i < 5; ++i) {
        client.write(get("/n" + QByteArray::number(i)));
        RawResponse response;
        QVERIFY(client.readResponse(&response));
        QCOMPARE(response.body, "/n" + QByteArray::number(i));
        QVERIFY(response.header("Connection").isNull());
        QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
    }
    QCOMPARE(m_requests.size(), 5);
    for (const HttpRequest &r : std::as_const(m_requests))
        QCOMPARE(r.peerPort, client.socket().localPort());
    QCOMPARE(m_server->connectionCount(), 1);
}

void TestHttpServer::connectionHeader_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("closes");
    QTest::addColumn<QByteArray>("connectionHeader");

    QTest::newRow("1.1 default") << get("/") << false << QByteArray();
    QTest::newRow("1.1 close") << get("/", "Connection: close\r\n") << true << QByteArrayLiteral("close");
    QTest::newRow("1.1 Close list") << get("/", "Connection: TE, Close\r\n") << true << QByteArrayLiteral("close");
    QTest::newRow("1.0 default") << QByteArrayLiteral("GET / HTTP/1.0\r\n\r\n") << true << QByteArrayLiteral("close");
    QTest::newRow("1.0 keep-alive") << QByteArrayLiteral("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                                    << false << QByteArrayLiteral("keep-alive");
}

void TestHttpServer::connectionHeader()
{
    QFETCH(QByteArray, request);
    QFETCH(bool, closes);
    QFETCH(QByteArray, connectionHeader);

    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(request);
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("Connection"), connectionHeader);
    if (closes) {
        QVERIFY(client.waitDisconnected());
        QTRY_COMPARE(m_server->connectionCount(), 0);
        QCOMPARE(client.unparsed(), QByteArray());
    } else {
        client.write(request);
        QVERIFY(client.readResponse(&response));
        QCOMPARE(response.status, 200);
        QCOMPARE(m_requests.size(), 2);
        QCOMPARE(m_server->connectionCount(), 1);
    }
}

void TestHttpServer::headHasNoBody()
{
    m_server->setHandler([](const HttpRequest &request, const HttpResponder &responder) {
        responder.send(textResponse(200, request.method == "HEAD" ? "hello world" : "the GET body"));
    });
    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write("HEAD /x HTTP/1.1\r\nHost: test\r\n\r\n");
    RawResponse response;
    QVERIFY(client.readResponse(&response, true));
    QCOMPARE(response.raw, QByteArrayLiteral("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"));
    // If the body had been sent it would now be read as the next response.
    client.write(get("/x"));
    QVERIFY(client.readResponse(&response));
    QVERIFY2(response.raw.startsWith("HTTP/1.1 200 OK\r\n"), response.raw.constData());
    QCOMPARE(response.body, QByteArrayLiteral("the GET body"));
}

void TestHttpServer::rejects_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message");

    // Limits for these rows: 1024 bytes of header and of body.
    QTest::newRow("body too large") << QByteArrayLiteral("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n")
                                    << 413 << QStringLiteral("Request body too large (limit 1024 bytes)");
    QTest::newRow("huge header") << get("/", "X-Big: " + QByteArray(2000, 'a') + "\r\n")
                                 << 431 << QStringLiteral("limit 1024 bytes");
    QTest::newRow("huge unfinished header") << QByteArray("GET / HTTP/1.1\r\nX-Big: " + QByteArray(2000, 'a'))
                                            << 431 << QStringLiteral("too large");
    QTest::newRow("garbage line") << QByteArrayLiteral("HELLO WORLD\r\n\r\n") << 400 << QStringLiteral("request line");
    QTest::newRow("tls hello") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15)
                               << 400 << QStringLiteral("request line");
    QTest::newRow("space in target") << QByteArrayLiteral("GET /a b HTTP/1.1\r\n\r\n") << 400 << QStringLiteral("request line");
    QTest::newRow("bad version") << QByteArrayLiteral("GET / HTTX/1.1\r\n\r\n") << 400 << QStringLiteral("request line");
    QTest::newRow("http/2") << QByteArrayLiteral("GET / HTTP/2.0\r\n\r\n") << 505 << QStringLiteral("HTTP/1");
    QTest::newRow("no colon") << get("/", "NoColonHere\r\n") << 400 << QStringLiteral("header");
    QTest::newRow("space before colon") << get("/", "X-A : b\r\n") << 400 << QStringLiteral("header");
    QTest::newRow("folded header") << get("/", "X-A: b\r\n  continued\r\n") << 400 << QStringLiteral("folded");
    QTest::newRow("bare LF") << QByteArrayLiteral("GET / HTTP/1.1\nHost: t\r\n\r\n") << 400 << QStringLiteral("line feed");
    QTest::newRow("bad content-length") << QByteArrayLiteral("POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n")
                                        << 400 << QStringLiteral("Content-Length");
    QTest::newRow("negative content-length") << QByteArrayLiteral("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
                                             << 400 << QStringLiteral("Content-Length");
    QTest::newRow("conflicting content-length")
        << QByteArrayLiteral("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        << 400 << QStringLiteral("Content-Length");
    QTest::newRow("chunked") << QByteArrayLiteral("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                             << 411 << QStringLiteral("Content-Length");
}

void TestHttpServer::rejects()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QString, message);

    HttpLimits limits;
    limits.maxHeaderBytes = 1024;
    limits.maxBodyBytes = 1024;
    m_server->setLimits(limits);
    QCOMPARE(m_server->limits().maxBodyBytes, 1024);

    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(request);
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.status, status);
    QCOMPARE(response.header("Connection"), QByteArrayLiteral("close"));
    QCOMPARE(response.header("Content-Type"), QByteArrayLiteral("application/json; charset=utf-8"));

    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(response.body, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(json.value(QLatin1String("code")).toString(), QStringLiteral("AIODATA%1").arg(status));
    const QString text = json.value(QLatin1String("message")).toString();
    QVERIFY2(text.contains(message, Qt::CaseInsensitive), qPrintable(text));
    QVERIFY(json.contains(QLatin1String("details")) && json.value(QLatin1String("details")).isNull());
    QVERIFY(json.contains(QLatin1String("hint")) && json.value(QLatin1String("hint")).isNull());

    QVERIFY(client.waitDisconnected());
    QVERIFY(m_requests.isEmpty()); // the handler never saw it
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void TestHttpServer::largeUploadStillGets413()
{
    // The client keeps sending a body we refused; the 413 must still reach
    // it intact instead of being lost to a connection reset.
    HttpLimits limits;
    limits.maxBodyBytes = 1024;
    m_server->setLimits(limits);
    RawClient client(port());
    QVERIFY(client.waitConnected());
    const QByteArray body(2 * 1024 * 1024, 'b');
    client.write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: " + QByteArray::number(body.size())
                 + "\r\n\r\n" + body);
    RawResponse response;
    QVERIFY(client.readResponse(&response, false, 10000));
    QCOMPARE(response.status, 413);
    QVERIFY(m_requests.isEmpty());
    client.socket().abort();
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void TestHttpServer::timeouts_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("message");

    QTest::newRow("nothing sent") << QByteArray() << QStringLiteral("header");
    QTest::newRow("partial header") << QByteArrayLiteral("GET / HTTP/1.1\r\nHost: t\r\n") << QStringLiteral("header");
    QTest::newRow("stalled body") << QByteArrayLiteral("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
                                  << QStringLiteral("body");
}

void TestHttpServer::timeouts()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, message);

    HttpLimits limits;
    limits.headerTimeoutMs = 200;
    m_server->setLimits(limits);
    RawClient client(port());
    QVERIFY(client.waitConnected());
    QElapsedTimer timer;
    timer.start();
    if (!request.isEmpty())
        client.write(request);

    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QVERIFY2(timer.elapsed() >= 150, QByteArray::number(timer.elapsed()).constData());
    QCOMPARE(response.status, 408);
    QVERIFY(response.raw.startsWith("HTTP/1.1 408 Request Timeout\r\n"));
    QVERIFY2(QString::fromUtf8(response.body).contains(message), response.body.constData());
    QVERIFY(client.waitDisconnected());
    QVERIFY(m_requests.isEmpty());
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void TestHttpServer::idleTimeout()
{
    HttpLimits limits;
    limits.idleTimeoutMs = 300;
    m_server->setLimits(limits);
    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(get("/"));
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);

    QVERIFY(client.waitDisconnected());
    QVERIFY2(timer.elapsed() >= 200, QByteArray::number(timer.elapsed()).constData());
    QCOMPARE(client.unparsed(), QByteArray()); // closed silently, no 408
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

// The server keeps one deadline per connection and lets its timer fire
// early and re-arm (HttpConnection::startTimer): activity must move the
// deadline, and the timeout must still come once activity stops.
void TestHttpServer::timeoutsMoveWithActivity()
{
    HttpLimits limits;
    limits.headerTimeoutMs = 200;
    limits.idleTimeoutMs = 300;
    m_server->setLimits(limits);
    RawClient client(port());
    QVERIFY(client.waitConnected());

    // Keep-alive: each request comes 250 ms after the last answer, past the
    // header timeout but within the idle one; all are answered.
    for (int i = 0; i < 3; ++i) {
        if (i > 0)
            QTest::qWait(250);
        client.write(get("/"));
        RawResponse response;
        QVERIFY2(client.readResponse(&response), qPrintable(QStringLiteral("request %1").arg(i)));
        QCOMPARE(response.status, 200);
    }

    // A body that trickles in every 120 ms lives past the 200 ms timeout...
    QElapsedTimer sinceProgress;
    client.write("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n");
    for (int i = 0; i < 4; ++i) {
        QTest::qWait(120);
        QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
        client.write("x");
        sinceProgress.start();
    }
    // ... and is cut off 200 ms after it stops.
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QVERIFY2(sinceProgress.elapsed() >= 150, QByteArray::number(sinceProgress.elapsed()).constData());
    QCOMPARE(response.status, 408);
    QVERIFY2(response.body.contains("body"), response.body.constData());
    QVERIFY(client.waitDisconnected());
    QCOMPARE(m_requests.size(), 3);
}

void TestHttpServer::webSocketAccepted_data()
{
    QTest::addColumn<bool>("async");
    QTest::newRow("accepted at once") << false;
    QTest::newRow("accepted later") << true;
}

void TestHttpServer::webSocketAccepted()
{
    QFETCH(bool, async);

    m_server->setHandler([&](const HttpRequest &request, const HttpResponder &responder) {
        m_requests.append(request);
        if (!request.isWebSocketUpgrade() || request.path != "/state") {
            responder.send(HttpResponse::json(404, "{}"));
            return;
        }
        if (async)
            QTimer::singleShot(50, [responder] { responder.acceptWebSocket(QVariant(QStringLiteral("ctx"))); });
        else
            responder.acceptWebSocket(QVariant(QStringLiteral("ctx")));
    });
    QSignalSpy accepted(m_server.get(), &HttpServer::webSocketAccepted);

    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy clientMessages(&client, &QWebSocket::textMessageReceived);
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/state?x=1").arg(port())));

    QTRY_COMPARE(accepted.size(), 1);
    QTRY_COMPARE(connected.size(), 1);
    QCOMPARE(accepted.at(0).at(1).value<QVariant>(), QVariant(QStringLiteral("ctx")));
    auto *serverSide = accepted.at(0).at(0).value<QWebSocket *>();
    QVERIFY(serverSide);
    QCOMPARE(serverSide->peerPort(), client.localPort());

    QCOMPARE(m_requests.size(), 1);
    QVERIFY(m_requests.first().isWebSocketUpgrade());
    QCOMPARE(m_requests.first().query, QByteArrayLiteral("x=1"));
    QVERIFY(!m_requests.first().header("sec-websocket-key").isEmpty());
    QCOMPARE(m_server->connectionCount(), 0); // no longer an HTTP connection

    QSignalSpy serverMessages(serverSide, &QWebSocket::textMessageReceived);
    serverSide->sendTextMessage(QStringLiteral("hello"));
    client.sendTextMessage(QStringLiteral("ping"));
    QTRY_COMPARE(clientMessages.size(), 1);
    QTRY_COMPARE(serverMessages.size(), 1);
    QCOMPARE(clientMessages.at(0).at(0).toString(), QStringLiteral("hello"));
    QCOMPARE(serverMessages.at(0).at(0).toString(), QStringLiteral("ping"));

    QSignalSpy serverDisconnected(serverSide, &QWebSocket::disconnected);
    client.close();
    QTRY_COMPARE(serverDisconnected.size(), 1);
}

void TestHttpServer::webSocketRejected()
{
    m_server->setHandler([](const HttpRequest &, const HttpResponder &responder) {
        responder.send(HttpResponse::json(401, "{\"code\":\"PGRST301\",\"message\":\"JWT expired\"}"));
    });
    QSignalSpy accepted(m_server.get(), &HttpServer::webSocketAccepted);
    QWebSocket client;
    QSignalSpy connected(&client, &QWebSocket::connected);
    QSignalSpy errors(&client, webSocketErrorSignal);
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/state").arg(port())));

    QTRY_VERIFY(errors.size() >= 1);
    QTRY_COMPARE(m_server->connectionCount(), 0);
    QCOMPARE(connected.size(), 0);
    QCOMPARE(accepted.size(), 0);
}

void TestHttpServer::webSocketRejectedRaw()
{
    m_server->setHandler([this](const HttpRequest &request, const HttpResponder &responder) {
        m_requests.append(request);
        responder.send(HttpResponse::json(401, "{}"));
    });
    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(get("/state", "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QVERIFY(response.raw.startsWith("HTTP/1.1 401 Unauthorized\r\n"));
    QCOMPARE(response.header("Connection"), QByteArrayLiteral("close"));
    QCOMPARE(response.body, QByteArrayLiteral("{}"));
    QVERIFY(client.waitDisconnected());
    QCOMPARE(m_requests.size(), 1);
    QVERIFY(m_requests.first().isWebSocketUpgrade());
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void TestHttpServer::acceptWebSocketOnPlainRequest()
{
    // A handler bug must not leave the client hanging.
    m_server->setHandler([](const HttpRequest &, const HttpResponder &responder) {
        responder.acceptWebSocket(QVariant(1));
    });
    QSignalSpy accepted(m_server.get(), &HttpServer::webSocketAccepted);
    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(get("/plain"));
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.status, 400);
    QCOMPARE(accepted.size(), 0);
}

void TestHttpServer::clientGoneBeforeAnswer()
{
    QList<HttpResponder> responders;
    m_server->setHandler([&](const HttpRequest &, const HttpResponder &responder) {
        responders.append(responder);
    });
    {
        RawClient client(port());
        QVERIFY(client.waitConnected());
        client.write(get("/slow"));
        QTRY_COMPARE(responders.size(), 1);
        QVERIFY(responders.first().isConnected());
        client.socket().abort();
    }
    QTRY_COMPARE(m_server->connectionCount(), 0);
    QVERIFY(!responders.first().isConnected());
    responders.first().send(textResponse(200, "too late")); // no-op, no crash
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QVERIFY(!responders.first().isConnected());
    responders.first().send(textResponse(200, "too late"));
    responders.first().acceptWebSocket(QVariant());

    // The server goes on serving.
    RawClient next(port());
    QVERIFY(next.waitConnected());
    m_server->setHandler([](const HttpRequest &, const HttpResponder &responder) {
        responder.send(textResponse(200, "fine"));
    });
    next.write(get("/"));
    RawResponse response;
    QVERIFY(next.readResponse(&response));
    QCOMPARE(response.body, QByteArrayLiteral("fine"));
}

void TestHttpServer::networkAccessManager()
{
    QSet<quint16> peerPorts;
    m_server->setHandler([&](const HttpRequest &request, const HttpResponder &responder) {
        peerPorts.insert(request.peerPort);
        m_requests.append(request);
        if (request.method == "POST")
            responder.send(HttpResponse::json(201, request.body));
        else
            responder.send(HttpResponse::json(200, "[{\"id\":1}]"));
    });

    QNetworkAccessManager nam;
    const QUrl base(QStringLiteral("http://127.0.0.1:%1").arg(port()));

    for (int round = 0; round < 2; ++round) {
        std::unique_ptr<QNetworkReply> getReply(nam.get(QNetworkRequest(base.resolved(QUrl(QStringLiteral("/items?id=eq.1"))))));
        QTRY_VERIFY(getReply->isFinished());
        QCOMPARE(getReply->error(), QNetworkReply::NoError);
        QCOMPARE(getReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(getReply->header(QNetworkRequest::ContentTypeHeader).toString(),
                 QStringLiteral("application/json; charset=utf-8"));
        QCOMPARE(getReply->readAll(), QByteArrayLiteral("[{\"id\":1}]"));

        QNetworkRequest post(base.resolved(QUrl(QStringLiteral("/items"))));
        post.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        const QByteArray body = "{\"round\":" + QByteArray::number(round) + "}";
        std::unique_ptr<QNetworkReply> postReply(nam.post(post, body));
        QTRY_VERIFY(postReply->isFinished());
        QCOMPARE(postReply->error(), QNetworkReply::NoError);
        QCOMPARE(postReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
        QCOMPARE(postReply->readAll(), body);
    }
    QCOMPARE(m_requests.size(), 4);
    QCOMPARE(m_requests.at(0).path, QByteArrayLiteral("/items"));
    QCOMPARE(m_requests.at(0).query, QByteArrayLiteral("id=eq.1"));
    QCOMPARE(m_requests.at(1).header("content-type"), QByteArrayLiteral("application/json"));
    QCOMPARE(peerPorts.size(), 1); // one kept-alive connection for all four
    QCOMPARE(m_server->connectionCount(), 1);
}

void TestHttpServer::randomGarbage()
{
    HttpLimits limits;
    limits.headerTimeoutMs = 300;
    limits.idleTimeoutMs = 300;
    limits.maxHeaderBytes = 2048;
    m_server->setLimits(limits);
    QRandomGenerator random(42);
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 30; ++i) {
        auto client = std::make_unique<RawClient>(port());
        QVERIFY(client->waitConnected());
        QByteArray junk(int(random.bounded(1, 4000)), Qt::Uninitialized);
        for (char &c : junk)
            c = char(random.bounded(256));
        // Half the rows look like a request that turns into junk.
        if (i % 2)
            junk.prepend("POST / HTTP/1.1\r\nContent-Length: 3\r\n");
        client->write(junk);
        clients.push_back(std::move(client));
    }
    // Every connection ends: rejected, timed out, or answered and idle.
    for (auto &client : clients)
        QVERIFY(client->waitDisconnected(5000));
    QTRY_COMPARE(m_server->connectionCount(), 0);

    RawClient client(port());
    QVERIFY(client.waitConnected());
    client.write(get("/still-alive"));
    RawResponse response;
    QVERIFY(client.readResponse(&response));
    QCOMPARE(response.body, QByteArrayLiteral("/still-alive"));
}

QTEST_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
