#pragma once

#include "http/httpparser.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QVariant>

#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QTcpSocket;
class QWebSocket;
class QWebSocketServer;
QT_END_NAMESPACE

namespace Aiodata::Server {

class HttpConnection;

struct HttpResponse
{
    int status = 200;
    HttpHeaders headers;    // Content-Length and Connection are added by the server
    QByteArray body;

    static HttpResponse json(int status, const QByteArray &body);
};

// Handed to the request handler; answer exactly once, now or later (the
// handler may keep a copy while a database query runs). Copyable; answering
// after the client went away is a no-op.
class HttpResponder
{
public:
    void send(const HttpResponse &response) const;
    // Only for isWebSocketUpgrade() requests: hands the connection to the
    // WebSocket server; HttpServer::webSocketAccepted delivers the socket with
    // `context` once the handshake is done.
    void acceptWebSocket(const QVariant &context) const;
    bool isConnected() const;

private:
    friend class HttpConnection;
    QPointer<HttpConnection> m_connection;
    quint64 m_requestId = 0;
};

// A small HTTP/1.1 server on QTcpServer: keep-alive, Content-Length bodies
// (chunked request bodies answered 411), limits above, asynchronous
// responses in request order, and WebSocket upgrades handed to
// QWebSocketServer::handleConnection without consuming the handshake bytes.
class HttpServer : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest &, const HttpResponder &)>;

    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler);
    // Called on every answer before it is written, with its request; e.g.
    // for headers every response carries (CORS).
    using Decorator = std::function<void(const HttpRequest &, HttpResponse &)>;
    void setDecorator(Decorator decorator);
    void setLimits(const HttpLimits &limits);
    HttpLimits limits() const;

    bool listen(const QHostAddress &address, quint16 port);
    quint16 serverPort() const;
    QString errorString() const;
    int connectionCount() const;

Q_SIGNALS:
    void webSocketAccepted(QWebSocket *socket, const QVariant &context);

private:
    friend class HttpConnection;
    void handle(const HttpRequest &request, const HttpResponder &responder);
    void upgrade(QTcpSocket *socket, const QVariant &context);
    void onNewConnection();
    void onWebSocketConnection();

    QTcpServer *m_tcpServer;
    QWebSocketServer *m_webSocketServer;
    Handler m_handler;
    Decorator m_decorator;
    HttpLimits m_limits;
    QHash<QPair<QHostAddress, quint16>, QVariant> m_pendingUpgrades;
    int m_connections = 0;
};

} // namespace Aiodata::Server
