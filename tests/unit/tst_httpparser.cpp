// Tests for HttpParser, the HTTP/1.1 request framing without a socket:
// complete requests, every split of them, pipelines, and the request
// smuggling shapes it refuses (tst_httpserver checks the same on the wire).

#include "http/httpparser.h"

#include <QtTest>

using namespace Aiodata::Server;

namespace {

// The limits of every row: small, so that the limit rows stay readable.
HttpLimits testLimits()
{
    HttpLimits limits;
    limits.maxHeaderBytes = 1024;
    limits.maxBodyBytes = 1024;
    return limits;
}

// A request as one comparable string.
QByteArray describe(const HttpRequest &r)
{
    QByteArray out = r.method + ' ' + r.target + " path=" + r.path + " query=" + r.query;
    for (const auto &h : r.headers)
        out += " [" + h.first + ": " + h.second + ']';
    out += " body=" + r.body;
    return out;
}

struct Outcome
{
    QList<QByteArray> requests;   // describe() of each Complete request, in order
    int errorStatus = 0;
    QString errorMessage;
    qsizetype unconsumed = 0;     // bytes never consumed (after an error: also those not fed)

    bool operator==(const Outcome &) const = default;
};

char *toString(const Outcome &o)
{
    QByteArray s = "requests: " + o.requests.join(" | ") + " error: " + QByteArray::number(o.errorStatus) + ' '
        + o.errorMessage.toUtf8() + " unconsumed: " + QByteArray::number(o.unconsumed);
    return qstrdup(s.constData());
}

// Feeds `input` the way the connection does: the buffered bytes not yet
// consumed, again after each piece arrives, pieces cut at `cuts`.
Outcome parse(const QByteArray &input, const QList<qsizetype> &cuts = {})
{
    HttpParser parser(testLimits());
    Outcome out;
    QByteArray buffer;
    qsizetype from = 0;
    QList<qsizetype> ends = cuts;
    ends.append(input.size());
    for (qsizetype end : std::as_const(ends)) {
        buffer += input.mid(from, end - from);
        from = end;
        for (;;) {
            const HttpParser::Result r = parser.feed(buffer);
            if (r.consumed < 0 || r.consumed > buffer.size())
                qFatal("consumed %lld of %lld bytes", qint64(r.consumed), qint64(buffer.size()));
            buffer.remove(0, r.consumed);
            if (r.status == HttpParser::Status::Error) {
                out.errorStatus = parser.errorStatus();
                out.errorMessage = parser.errorMessage();
                out.unconsumed = buffer.size() + (input.size() - from); // with what never came in
                return out;
            }
            if (r.status == HttpParser::Status::Complete) {
                out.requests.append(describe(parser.takeRequest()));
                continue;
            }
            if (r.consumed == 0)
                break; // NeedMore and nothing taken: wait for the next piece
        }
    }
    out.unconsumed = buffer.size();
    return out;
}

QByteArray get(const QByteArray &path, const QByteArray &extra = QByteArray())
{
    return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

} // namespace

class TestHttpParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void complete_data();
    void complete();
    void splitAtEveryByte_data() { complete_data(); }
    void splitAtEveryByte();
    void framing_data();
    void framing();
    void bodyArrivesInPieces();
    void pipelined_data();
    void pipelined();
    void rejects_data();
    void rejects();
    void errorIsFinal();
    void headMethodOnError();
    void headerLimitCountsFromRequestLine();
};

void TestHttpParser::complete_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("request");    // describe() of it

    QTest::newRow("plain GET") << get("/items")
                               << QByteArray("GET /items path=/items query= [Host: test] body=");
    QTest::newRow("query") << get("/query/pets?select=name&limit=1")
                           << QByteArray("GET /query/pets?select=name&limit=1 path=/query/pets "
                                         "query=select=name&limit=1 [Host: test] body=");
    QTest::newRow("absolute form") << QByteArray("GET http://example.org/a?b=1 HTTP/1.1\r\n\r\n")
                                   << QByteArray("GET http://example.org/a?b=1 path=/a query=b=1 body=");
    QTest::newRow("absolute form, no path") << QByteArray("GET https://example.org?x HTTP/1.1\r\n\r\n")
                                            << QByteArray("GET https://example.org?x path=/ query=x body=");
    QTest::newRow("POST with body")
        << QByteArray("POST /echo HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        << QByteArray("POST /echo path=/echo query= [Content-Type: text/plain] [Content-Length: 5] body=hello");
    QTest::newRow("body with CRLFs")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 8\r\n\r\n\r\n\r\nab\r\n")
        << QByteArray("POST / path=/ query= [Content-Length: 8] body=\r\n\r\nab\r\n");
    QTest::newRow("zero length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                                 << QByteArray("POST / path=/ query= [Content-Length: 0] body=");
    QTest::newRow("equal duplicate Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab")
        << QByteArray("POST / path=/ query= [Content-Length: 2] [content-length: 2] body=ab");
    QTest::newRow("empty lines before") << QByteArray("\r\n\r\n" + get("/"))
                                        << QByteArray("GET / path=/ query= [Host: test] body=");
    QTest::newRow("value trimmed, empty value") << get("/", "X-A: \t a b \t\r\nX-Empty:\r\n")
                                                << QByteArray("GET / path=/ query= [Host: test] [X-A: a b] "
                                                              "[X-Empty: ] body=");
    QTest::newRow("obs-text in target") << QByteArray("GET /caf\xc3\xa9 HTTP/1.0\r\n\r\n")
                                        << QByteArray("GET /caf\xc3\xa9 path=/caf\xc3\xa9 query= body=");
    QTest::newRow("WebSocket upgrade")
        << get("/events", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n")
        << QByteArray("GET /events path=/events query= [Host: test] [Upgrade: websocket] [Connection: Upgrade] "
                      "[Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==] [Sec-WebSocket-Version: 13] body=");
    // 1024 bytes of header, the final CRLFCRLF included: at the limit, not over it.
    const QByteArray atLimit = get("/", "X-Pad: " + QByteArray(1024 - 39, 'p') + "\r\n");
    QTest::newRow("header at the limit") << atLimit
                                         << QByteArray("GET / path=/ query= [Host: test] [X-Pad: "
                                                       + QByteArray(1024 - 39, 'p') + "] body=");
    QTest::newRow("body at the limit")
        << QByteArray("PUT / HTTP/1.1\r\nContent-Length: 1024\r\n\r\n" + QByteArray(1024, 'b'))
        << QByteArray("PUT / path=/ query= [Content-Length: 1024] body=" + QByteArray(1024, 'b'));
}

void TestHttpParser::complete()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, request);

    HttpParser parser(testLimits());
    const HttpParser::Result r = parser.feed(input);
    QCOMPARE(r.status, HttpParser::Status::Complete);
    QCOMPARE(r.consumed, input.size());
    qsizetype emptyLines = 0;
    while (input.mid(emptyLines, 2) == "\r\n")
        emptyLines += 2;
    QCOMPARE(parser.headerSize(), input.indexOf("\r\n\r\n", emptyLines) + 4 - emptyLines);
    const HttpRequest taken = parser.takeRequest();
    QCOMPARE(describe(taken), request);
    QCOMPARE(taken.body.size(), parser.contentLength());
    QCOMPARE(parser.isUpgrade(), taken.isWebSocketUpgrade());
    QCOMPARE(parser.isReadingBody(), false);

    // Taken once; the parser then waits for the next request.
    QCOMPARE(describe(parser.takeRequest()), describe(HttpRequest()));
    const HttpParser::Result next = parser.feed(QByteArrayView());
    QCOMPARE(next.status, HttpParser::Status::NeedMore);
    QCOMPARE(next.consumed, 0);
}

void TestHttpParser::splitAtEveryByte()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, request);

    Outcome expected;
    expected.requests = {request};
    QCOMPARE(parse(input), expected);
    for (qsizetype cut = 0; cut <= input.size(); ++cut)
        QCOMPARE(parse(input, {cut}), expected);
    QList<qsizetype> everyByte;
    for (qsizetype i = 1; i < input.size(); ++i)
        everyByte.append(i);
    QCOMPARE(parse(input, everyByte), expected);
    // Any prefix is incomplete: no request, no error.
    for (qsizetype size = 0; size < input.size(); ++size) {
        HttpParser parser(testLimits());
        QCOMPARE(parser.feed(QByteArrayView(input).first(size)).status, HttpParser::Status::NeedMore);
    }
}

void TestHttpParser::framing_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("http10");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<bool>("head");
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<bool>("expectContinue");

    QTest::newRow("1.1") << get("/") << false << true << false << false << false;
    QTest::newRow("1.1 close") << get("/", "Connection: close\r\n") << false << false << false << false << false;
    QTest::newRow("1.1 list") << get("/", "Connection: foo, Close\r\n") << false << false << false << false << false;
    QTest::newRow("1.0") << QByteArray("GET / HTTP/1.0\r\n\r\n") << true << false << false << false << false;
    QTest::newRow("1.0 keep-alive") << QByteArray("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                                    << true << true << false << false << false;
    QTest::newRow("1.9 is 1.1") << QByteArray("GET / HTTP/1.9\r\n\r\n") << false << true << false << false << false;
    QTest::newRow("HEAD") << QByteArray("HEAD / HTTP/1.1\r\n\r\n") << false << true << true << false << false;
    QTest::newRow("upgrade") << get("/", "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n")
                             << false << true << false << true << false;
    QTest::newRow("upgrade needs GET") << QByteArray("POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
                                       << false << true << false << false << false;
    QTest::newRow("expect") << QByteArray("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
                            << false << true << false << false << true;
    QTest::newRow("expect, no body") << QByteArray("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")
                                     << false << true << false << false << false;
}

void TestHttpParser::framing()
{
    QFETCH(QByteArray, input);
    HttpParser parser(testLimits());
    QCOMPARE(parser.feed(input).status, HttpParser::Status::Complete);
    QTEST(parser.isHttp10(), "http10");
    QTEST(parser.keepAlive(), "keepAlive");
    QTEST(parser.isHeadMethod(), "head");
    QTEST(parser.isUpgrade(), "upgrade");
    QTEST(parser.expectsContinue(), "expectContinue");
}

void TestHttpParser::bodyArrivesInPieces()
{
    HttpParser parser(testLimits());
    const QByteArray head = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
    HttpParser::Result r = parser.feed(QByteArray(head + "abc"));
    QCOMPARE(r.status, HttpParser::Status::NeedMore);
    QCOMPARE(r.consumed, head.size() + 3); // the head and the body bytes so far
    QVERIFY(parser.isReadingBody());
    QCOMPARE(parser.headerSize(), head.size());
    QCOMPARE(parser.bodyRemaining(), 7);

    r = parser.feed("defg");
    QCOMPARE(r.status, HttpParser::Status::NeedMore);
    QCOMPARE(r.consumed, 4);
    QCOMPARE(parser.bodyRemaining(), 3);

    // Only the body's bytes: the rest is the next request.
    r = parser.feed("hijGET");
    QCOMPARE(r.status, HttpParser::Status::Complete);
    QCOMPARE(r.consumed, 3);
    QCOMPARE(parser.takeRequest().body, QByteArray("abcdefghij"));
    r = parser.feed("GET");
    QCOMPARE(r.status, HttpParser::Status::NeedMore);
    QCOMPARE(r.consumed, 0);
}

void TestHttpParser::pipelined_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("requests");
    QTest::addColumn<qsizetype>("unconsumed");

    QTest::newRow("two GETs") << QByteArray(get("/a") + get("/b")) << 2 << qsizetype(0);
    QTest::newRow("keep-alive pair") << QByteArray("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz" + get("/b"))
                                     << 2 << qsizetype(0);
    QTest::newRow("CRLF between") << QByteArray(get("/a") + "\r\n" + get("/b")) << 2 << qsizetype(0);
    QTest::newRow("partial third") << QByteArray(get("/a") + get("/b") + "GET /c HT") << 2 << qsizetype(9);
    // The second request's refusal comes after the first request, never instead of it.
    QTest::newRow("then smuggled") << QByteArray(get("/a") + "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                                   << 1 << qsizetype(47);
}

void TestHttpParser::pipelined()
{
    QFETCH(QByteArray, input);
    QFETCH(int, requests);
    QFETCH(qsizetype, unconsumed);

    const Outcome whole = parse(input);
    QCOMPARE(whole.requests.size(), requests);
    QCOMPARE(whole.unconsumed, unconsumed);
    for (qsizetype cut = 0; cut <= input.size(); ++cut)
        QCOMPARE(parse(input, {cut}), whole);
    QList<qsizetype> everyByte;
    for (qsizetype i = 1; i < input.size(); ++i)
        everyByte.append(i);
    QCOMPARE(parse(input, everyByte), whole);
}

void TestHttpParser::rejects_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("message");

    // Framing a proxy could read differently.
    QTest::newRow("differing Content-Length")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab") << 400
        << QStringLiteral("Invalid Content-Length");
    QTest::newRow("Content-Length list") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na")
                                         << 400 << QStringLiteral("Invalid Content-Length");
    QTest::newRow("Content-Length sign") << QByteArray("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\na")
                                         << 400 << QStringLiteral("Invalid Content-Length");
    QTest::newRow("Content-Length empty") << QByteArray("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n")
                                          << 400 << QStringLiteral("Invalid Content-Length");
    QTest::newRow("Content-Length 19 digits") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 0000000000000000001\r\n\r\n")
                                              << 400 << QStringLiteral("Invalid Content-Length");
    QTest::newRow("CL + TE") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
                             << 411 << QStringLiteral("Transfer-Encoding is not supported");
    QTest::newRow("TE + CL") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
                             << 411 << QStringLiteral("Transfer-Encoding is not supported");
    QTest::newRow("bad CL before TE") << QByteArray("POST / HTTP/1.1\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                                      << 400 << QStringLiteral("Invalid Content-Length");
    QTest::newRow("chunked") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                             << 411 << QStringLiteral("send a Content-Length");
    QTest::newRow("TE identity") << QByteArray("GET / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n")
                                 << 411 << QStringLiteral("Transfer-Encoding");
    QTest::newRow("obs-fold space") << get("/", "X-A: b\r\n continued\r\n") << 400 << QStringLiteral("folded lines");
    QTest::newRow("obs-fold tab") << get("/", "X-A: b\r\n\tcontinued\r\n") << 400 << QStringLiteral("folded lines");
    QTest::newRow("folded first header") << QByteArray("GET / HTTP/1.1\r\n Host: t\r\n\r\n") << 400
                                         << QStringLiteral("folded lines");
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: t\r\n\r\n") << 400 << QStringLiteral("bare line feed");
    QTest::newRow("bare LF in header") << get("/", "X-A: b\nX-B: c\r\n") << 400 << QStringLiteral("bare line feed");
    QTest::newRow("CR in value") << get("/", "X-A: b\rc\r\n") << 400 << QStringLiteral("Malformed header value");
    QTest::newRow("NUL in value") << get("/", QByteArray("X-A: b\0c\r\n", 10)) << 400
                                  << QStringLiteral("Malformed header value");
    QTest::newRow("NUL in name") << get("/", QByteArray("X\0A: b\r\n", 8)) << 400 << QStringLiteral("Malformed header line");
    QTest::newRow("no colon") << get("/", "NoColonHere\r\n") << 400 << QStringLiteral("Malformed header line");
    QTest::newRow("space before colon") << get("/", "X-A : b\r\n") << 400 << QStringLiteral("Malformed header line");
    QTest::newRow("empty name") << get("/", ": b\r\n") << 400 << QStringLiteral("Malformed header line");
    QTest::newRow("upgrade with body")
        << QByteArray("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 1\r\n\r\nx")
        << 400 << QStringLiteral("must not have a body");

    // Limits (1024 bytes each here).
    QTest::newRow("header over the limit") << get("/", "X-Pad: " + QByteArray(1024 - 38, 'p') + "\r\n")
                                           << 431 << QStringLiteral("Request header too large (limit 1024 bytes)");
    QTest::newRow("unfinished header over the limit") << QByteArray("GET / HTTP/1.1\r\nX-Big: " + QByteArray(2000, 'a'))
                                                      << 431 << QStringLiteral("too large");
    QTest::newRow("body over the limit") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n")
                                         << 413 << QStringLiteral("Request body too large (limit 1024 bytes)");
    QTest::newRow("huge Content-Length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: 999999999999999999\r\n\r\n")
                                         << 413 << QStringLiteral("too large");

    // The request line.
    QTest::newRow("garbage") << QByteArray("HELLO WORLD\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("tls hello") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15)
                               << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("bad method") << QByteArray("G(T / HTTP/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("empty method") << QByteArray(" / HTTP/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("space in target") << QByteArray("GET /a b HTTP/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("control in target") << QByteArray("GET /a\x01 HTTP/1.1\r\n\r\n") << 400
                                       << QStringLiteral("Malformed request line");
    QTest::newRow("DEL in target") << QByteArray("GET /a\x7f HTTP/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("NUL in target") << QByteArray("GET /a\0 HTTP/1.1\r\n\r\n", 20) << 400
                                   << QStringLiteral("Malformed request line");
    QTest::newRow("bad version") << QByteArray("GET / HTTX/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("version letters") << QByteArray("GET / HTTP/1.x\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("lower-case version") << QByteArray("GET / http/1.1\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
    QTest::newRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\n\r\n") << 505 << QStringLiteral("Only HTTP/1.x is supported");
    QTest::newRow("HTTP/0.9") << QByteArray("GET / HTTP/0.9\r\n\r\n") << 505 << QStringLiteral("Only HTTP/1.x");
    QTest::newRow("lone CR line") << QByteArray("\r\r\n\r\n") << 400 << QStringLiteral("Malformed request line");
}

void TestHttpParser::rejects()
{
    QFETCH(QByteArray, input);
    QFETCH(int, status);
    QFETCH(QString, message);

    HttpParser parser(testLimits());
    const HttpParser::Result r = parser.feed(input);
    QCOMPARE(r.status, HttpParser::Status::Error);
    QCOMPARE(parser.errorStatus(), status);
    QVERIFY2(parser.errorMessage().contains(message), qPrintable(parser.errorMessage()));
    QVERIFY(!parser.isReadingBody());

    // However the bytes arrive: the same refusal, no request before it.
    const Outcome whole = parse(input);
    QVERIFY(whole.requests.isEmpty());
    QCOMPARE(whole.errorStatus, status);
    for (qsizetype cut = 0; cut <= input.size(); ++cut)
        QCOMPARE(parse(input, {cut}), whole);
}

void TestHttpParser::errorIsFinal()
{
    HttpParser parser(testLimits());
    QCOMPARE(parser.feed("GET / HTTP/1.1\nX: y\r\n\r\n").status, HttpParser::Status::Error);
    const HttpParser::Result again = parser.feed(get("/"));
    QCOMPARE(again.status, HttpParser::Status::Error);
    QCOMPARE(again.consumed, 0);
    QCOMPARE(parser.errorStatus(), 400);

    parser.reset();
    QCOMPARE(parser.errorStatus(), 0);
    QCOMPARE(parser.feed(get("/")).status, HttpParser::Status::Complete);
}

// The connection answers a refused HEAD request without a body: the flag
// holds from the request line on, and is cleared by the next request.
void TestHttpParser::headMethodOnError()
{
    HttpParser parser(testLimits());
    QCOMPARE(parser.feed("HEAD / HTTP/1.1\r\nNoColon\r\n\r\n").status, HttpParser::Status::Error);
    QVERIFY(parser.isHeadMethod());

    HttpParser other(testLimits());
    QCOMPARE(other.feed("HEAD / HTTP/1.1\r\n\r\n").status, HttpParser::Status::Complete);
    QVERIFY(other.isHeadMethod());
    other.takeRequest();
    QCOMPARE(other.feed("\r\n").status, HttpParser::Status::NeedMore); // empty lines: no request yet
    QVERIFY(other.isHeadMethod());
    QCOMPARE(other.feed("GET / HTTP/2.0\r\n\r\n").status, HttpParser::Status::Error);
    QVERIFY(!other.isHeadMethod());
}

// Empty lines before a request do not count against the header limit; the
// parser looks at maxHeaderBytes from the request line, whatever it is given.
void TestHttpParser::headerLimitCountsFromRequestLine()
{
    const QByteArray atLimit = get("/", "X-Pad: " + QByteArray(1024 - 39, 'p') + "\r\n");
    QCOMPARE(atLimit.size(), 1024);
    HttpParser parser(testLimits());
    const HttpParser::Result r = parser.feed(QByteArray("\r\n\r\n" + atLimit + "GET"));
    QCOMPARE(r.status, HttpParser::Status::Complete);
    QCOMPARE(r.consumed, 4 + 1024);

    // A window one byte short of a complete request line: only the empty
    // lines are consumed, no 431 (the connection peeks again without them).
    HttpParser short_(testLimits());
    const HttpParser::Result s = short_.feed(QByteArray("\r\n" + atLimit.first(1022)));
    QCOMPARE(s.status, HttpParser::Status::NeedMore);
    QCOMPARE(s.consumed, 2);
}

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
