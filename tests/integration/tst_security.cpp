// Safe defaults at the edge: browser origins, subscriber limits, resent
// writes, body size. Real server, real PostgreSQL, raw HTTP and WebSockets.

#include "testdatabase.h"
#include "testserver.h"
#include "websocketcompat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QWebSocket>
#include <QtTest>

class tst_Security : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void originsRefusedByDefault();
    void allowedOrigin_data();
    void allowedOrigin();
    void subscriberLimits();
    void resentWriteRunsOnce();
    void bodyLimit();
    void badLimitIsAStartError();
    void nonReadingSubscriberDropped();
    void deepJsonRefused();
    void longNames_data();
    void longNames();

private:
    struct Answer
    {
        int status = 0;
        QList<QNetworkReply::RawHeaderPair> headers;
        QByteArray body;
        QByteArray header(const QByteArray &name) const
        {
            for (const auto &h : headers)
                if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                    return h.second;
            return QByteArray();
        }
    };
    Answer request(const QUrl &base, const QByteArray &method, const QByteArray &path,
                   const QList<QPair<QByteArray, QByteArray>> &headers = {}, const QByteArray &body = {});
    // Opens /state; returns the HTTP status of a refusal, or 101 when it opened.
    int subscribe(const QUrl &base, const QByteArray &origin, const QString &token, QWebSocket *socket);

    TestDatabase m_db{QStringLiteral("tst_security")};
    TestServer m_server;          // defaults
    TestServer m_open;            // server-cors-allowed-origins = https://app.example
    QNetworkAccessManager m_network;
};

void tst_Security::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    QVERIFY2(m_open.start(m_db.authenticatorUri(), QStringLiteral("server-cors-allowed-origins = \"https://app.example\""), &error),
             qPrintable(error));
}

tst_Security::Answer tst_Security::request(const QUrl &base, const QByteArray &method, const QByteArray &path,
                                          const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    QNetworkRequest r(QUrl(base.toString() + QString::fromLatin1(path)));
    for (const auto &h : headers)
        r.setRawHeader(h.first, h.second);
    if (!body.isEmpty())
        r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = m_network.sendCustomRequest(r, method, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(10000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.headers = reply->rawHeaderPairs();
    a.body = reply->readAll();
    reply->deleteLater();
    return a;
}

int tst_Security::subscribe(const QUrl &base, const QByteArray &origin, const QString &token, QWebSocket *socket)
{
    QUrl url = base;
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/state"));
    QNetworkRequest r(url);
    if (!origin.isEmpty())
        r.setRawHeader("Origin", origin);
    if (!token.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    QSignalSpy connected(socket, &QWebSocket::connected);
    QSignalSpy failed(socket, webSocketErrorSignal);
    QSignalSpy closed(socket, &QWebSocket::disconnected);
    socket->open(r);
    if (!QTest::qWaitFor([&] { return connected.size() + failed.size() + closed.size() > 0; }, 10000))
        return -1;
    if (connected.size())
        return 101;
    // QWebSocket reports the refusal's status line in its error string.
    const QString error = socket->errorString();
    for (int status : {401, 403, 406, 429, 503}) {
        if (error.contains(QString::number(status)))
            return status;
    }
    qWarning() << "refused as" << error;
    return 0;
}

void tst_Security::originsRefusedByDefault()
{
    const QByteArray evil = "https://evil.example";
    // A browser page elsewhere cannot read answers...
    const Answer get = request(m_server.url(), "GET", "/query/pets", {{"Origin", evil}});
    QCOMPARE(get.status, 200);
    QVERIFY(get.header("Access-Control-Allow-Origin").isEmpty());
    // ...cannot pass a preflight...
    const Answer preflight = request(m_server.url(), "OPTIONS", "/query/pets",
                                     {{"Origin", evil}, {"Access-Control-Request-Method", "POST"}});
    QCOMPARE(preflight.status, 403);
    QVERIFY(preflight.header("Access-Control-Allow-Origin").isEmpty());
    // ...and cannot subscribe; a desktop client (no Origin) can.
    QWebSocket fromPage;
    QCOMPARE(subscribe(m_server.url(), evil, QString(), &fromPage), 403);
    QWebSocket fromDesktop;
    QCOMPARE(subscribe(m_server.url(), QByteArray(), QString(), &fromDesktop), 101);
}

void tst_Security::allowedOrigin_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("listed") << QByteArray("https://app.example") << true;
    QTest::newRow("other") << QByteArray("https://evil.example") << false;
    QTest::newRow("lookalike") << QByteArray("https://app.example.evil") << false;
}

void tst_Security::allowedOrigin()
{
    QFETCH(QByteArray, origin);
    QFETCH(bool, allowed);
    const Answer get = request(m_open.url(), "GET", "/query/pets", {{"Origin", origin}});
    QCOMPARE(get.status, 200);
    QCOMPARE(get.header("Access-Control-Allow-Origin"), allowed ? origin : QByteArray());
    const Answer preflight = request(m_open.url(), "OPTIONS", "/query/pets",
                                     {{"Origin", origin}, {"Access-Control-Request-Method", "PATCH"}});
    QCOMPARE(preflight.status, allowed ? 204 : 403);
    if (allowed) {
        QVERIFY(preflight.header("Access-Control-Allow-Methods").contains("PATCH"));
        QVERIFY(preflight.header("Access-Control-Allow-Headers").contains("Authorization"));
        QVERIFY(get.header("Access-Control-Expose-Headers").contains("Content-Range"));
    }
    QWebSocket socket;
    QCOMPARE(subscribe(m_open.url(), origin, QString(), &socket), allowed ? 101 : 403);
}

void tst_Security::subscriberLimits()
{
    TestServer limited;
    limited.environment.insert(QStringLiteral("AIODATA_MAX_SUBSCRIBERS"), QStringLiteral("3"));
    limited.environment.insert(QStringLiteral("AIODATA_MAX_SUBSCRIBERS_PER_TOKEN"), QStringLiteral("2"));
    QString error;
    QVERIFY2(limited.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    const QString token = TestServer::token(QStringLiteral("auth"), {{QStringLiteral("sub"), QStringLiteral("alice")}});
    QWebSocket a1, a2, a3, anon1, anon2;
    QCOMPARE(subscribe(limited.url(), QByteArray(), token, &a1), 101);
    QCOMPARE(subscribe(limited.url(), QByteArray(), token, &a2), 101);
    QCOMPARE(subscribe(limited.url(), QByteArray(), token, &a3), 429);   // per token
    QCOMPARE(subscribe(limited.url(), QByteArray(), QString(), &anon1), 101);
    QCOMPARE(subscribe(limited.url(), QByteArray(), QString(), &anon2), 503); // per server
    // A slot frees when a subscriber leaves.
    a1.close();
    QWebSocket again;
    QTRY_COMPARE_WITH_TIMEOUT(subscribe(limited.url(), QByteArray(), token, &again), 101, 5000);
}

void tst_Security::resentWriteRunsOnce()
{
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.pets")));
    const QByteArray auth = "Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8();
    const QByteArray body = R"({"type": "Dog", "breed": "Pug", "name": "Bo"})";
    const QList<QPair<QByteArray, QByteArray>> headers = {{"Authorization", auth}, {"Idempotency-Key", "k-123"}};
    const Answer first = request(m_server.url(), "POST", "/query/pets", headers, body);
    QCOMPARE(first.status, 201);
    const Answer resent = request(m_server.url(), "POST", "/query/pets", headers, body);
    // The same answer, not a 409 from a second insert.
    QCOMPARE(resent.status, 201);
    QCOMPARE(resent.body, first.body);
    QCOMPARE(resent.header("Idempotent-Replayed"), QByteArray("true"));
    QCOMPARE(m_db.rows(QStringLiteral("SELECT * FROM api.pets")).size(), 1);
    // Another key is another write.
    const Answer other = request(m_server.url(), "POST", "/query/pets", {{"Authorization", auth}, {"Idempotency-Key", "k-456"}}, body);
    QCOMPARE(other.status, 409);
    // The same key from another identity does not get this identity's answer.
    const Answer anon = request(m_server.url(), "POST", "/query/pets", {{"Idempotency-Key", "k-123"}}, body);
    QCOMPARE(anon.status, 401);
}

void tst_Security::bodyLimit()
{
    TestServer small;
    small.environment.insert(QStringLiteral("AIODATA_MAX_BODY_BYTES"), QStringLiteral("1000"));
    QString error;
    QVERIFY2(small.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    const QByteArray auth = "Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8();
    const QByteArray big = R"({"type": "Dog", "breed": "Pug", "name": ")" + QByteArray(2000, 'x') + "\"}";
    const Answer a = request(small.url(), "POST", "/query/pets", {{"Authorization", auth}}, big);
    QCOMPARE(a.status, 413);
    QVERIFY(QJsonDocument::fromJson(a.body).object().contains(QLatin1String("message")));
    QCOMPARE(m_db.rows(QStringLiteral("SELECT * FROM api.pets WHERE length(name) > 1000")).size(), 0);
}

void tst_Security::badLimitIsAStartError()
{
    TestServer bad;
    bad.environment.insert(QStringLiteral("AIODATA_MAX_SUBSCRIBERS"), QStringLiteral("many"));
    QString error;
    QVERIFY(!bad.start(m_db.authenticatorUri(), QString(), &error));
    QVERIFY2(error.contains(QLatin1String("AIODATA_MAX_SUBSCRIBERS must be a positive integer")), qPrintable(error));
}

void tst_Security::nonReadingSubscriberDropped()
{
    TestServer server;
    server.environment.insert(QStringLiteral("AIODATA_MAX_SEND_BUFFER"), QStringLiteral("1048576"));
    QString error;
    QVERIFY2(server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));

    // A subscriber that completes the handshake, then never reads (tiny
    // receive buffer, so the kernel cannot soak it all up).
    QTcpSocket stuck;
    stuck.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
    stuck.setReadBufferSize(4096); // else Qt keeps reading into memory for us
    stuck.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(stuck.waitForConnected(5000));
    // Only an open socket takes the option (before, there is none to set).
    stuck.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
    stuck.write("GET /state HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QVERIFY(stuck.waitForBytesWritten(5000));
    QVERIFY(stuck.waitForReadyRead(5000));
    QVERIFY(stuck.peek(12) == "HTTP/1.1 101");
    // A well-behaved subscriber beside it.
    QWebSocket good;
    QSignalSpy received(&good, &QWebSocket::textMessageReceived);
    QStringList inserted; // the number before '-' of each created row's name
    connect(&good, &QWebSocket::textMessageReceived, this, [&inserted](const QString &text) {
        const QJsonObject m = QJsonDocument::fromJson(text.toUtf8()).object();
        const QJsonArray events = m.contains(QLatin1String("events")) ? m.value(QLatin1String("events")).toArray()
                                                                       : QJsonArray{m};
        for (const QJsonValue &e : events) {
            if (e[QLatin1String("action")].toString() != QLatin1String("create"))
                continue;
            for (const QJsonValue &row : e[QLatin1String("rows")].toArray())
                inserted.append(row[QLatin1String("name")].toString().section(QLatin1Char('-'), 0, 0));
        }
    });
    QCOMPARE(subscribe(server.url(), QByteArray(), QString(), &good), 101);
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 5000); // hello

    // About 8 MB of events.
    QVERIFY(m_db.exec(QStringLiteral("TRUNCATE api.pets")));
    for (int i = 0; i < 80; ++i) {
        QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.pets SELECT 'Fish', 'Koi', '%1-' || repeat('x', 100000), 1, false").arg(i)));
        QTest::qWait(10); // the good subscriber reads as it goes
    }
    // The good one gets every insert, once, in order; the stuck one is cut
    // off, not buffered forever. (The TRUNCATE is an event too: count rows.)
    QTRY_COMPARE_WITH_TIMEOUT(inserted.size(), 80, 30000);
    for (int i = 0; i < 80; ++i)
        QCOMPARE(inserted.at(i), QString::number(i));
    // The server let it go instead of buffering 8 MB for it, and says so.
    QTRY_VERIFY_WITH_TIMEOUT(server.output().contains("dropping a subscriber that does not read"), 10000);
    QVERIFY(server.isRunning());
}

void tst_Security::deepJsonRefused()
{
    // 100,000 nested arrays: refused as invalid JSON, nothing written, server alive.
    const QByteArray auth = "Bearer " + TestServer::token(QStringLiteral("auth")).toUtf8();
    const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
    const Answer a = request(m_server.url(), "POST", "/query/pets", {{"Authorization", auth}}, deep);
    QCOMPARE(a.status, 400);
    QCOMPARE(QJsonDocument::fromJson(a.body).object().value(QLatin1String("code")).toString(), QStringLiteral("PGRST102"));
    const QByteArray deepObject = "{\"type\": " + QByteArray(100000, '[') + QByteArray(100000, ']') + "}";
    QCOMPARE(request(m_server.url(), "PATCH", "/query/pets/Dog", {{"Authorization", auth}}, deepObject).status, 400);
    QCOMPARE(request(m_server.url(), "GET", "/query/pets").status, 200);
}

void tst_Security::longNames_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<int>("status");
    const QByteArray name(10000, 'a');
    QTest::newRow("long table") << "/query/" + name << 404;
    QTest::newRow("long column filter") << "/query/pets?" + name + "=eq.1" << 400;
    QTest::newRow("long select") << "/query/pets?select=" + name << 400;
    QTest::newRow("long order") << "/query/pets?order=" + name + ".desc" << 400;
    QTest::newRow("long key") << "/query/pets/" + name << 200;
    QTest::newRow("quote and comment in name") << QByteArray("/query/pets?select=name\"%20--") << 400;
    QTest::newRow("request line past the header limit") << "/query/" + QByteArray(100000, 'a') << 431;
}

void tst_Security::longNames()
{
    QFETCH(QByteArray, path);
    QFETCH(int, status);
    QCOMPARE(request(m_server.url(), "GET", path).status, status);
    QCOMPARE(request(m_server.url(), "GET", "/query/pets").status, 200);
}

QTEST_MAIN(tst_Security)
#include "tst_security.moc"
