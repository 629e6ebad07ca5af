#include "http/httpserver.h"

#include "base/logging.h"
#include "http/httpconnection_p.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

#include <utility>

namespace Aiodata::Server {

// --- HttpResponse / HttpResponder ---------------------------------------------

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
    responder.send(HttpResponse::json(404, httpErrorJson(404, QStringLiteral("No handler installed"))));
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
