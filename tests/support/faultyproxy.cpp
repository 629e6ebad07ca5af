#include "faultyproxy.h"

FaultyProxy::FaultyProxy(quint16 targetPort, QObject *parent)
    : QObject(parent)
    , m_targetPort(targetPort)
{
    connect(&m_listener, &QTcpServer::newConnection, this, &FaultyProxy::onNewConnection);
}

FaultyProxy::~FaultyProxy()
{
    // Sockets dying with us must not call back into half-destroyed pairs.
    for (const auto &p : std::as_const(m_pairs)) {
        if (p->client)
            p->client->disconnect(this);
        if (p->server)
            p->server->disconnect(this);
        if (p->client)
            p->client->disconnect();
    }
}

bool FaultyProxy::listen(quint16 port)
{
    if (!m_listener.listen(QHostAddress::LocalHost, port))
        return false;
    m_port = m_listener.serverPort();
    return true;
}

void FaultyProxy::cut()
{
    m_listener.close();
    for (const auto &p : std::as_const(m_pairs)) {
        if (p->client)
            p->client->abort();
        if (p->server)
            p->server->abort();
    }
    m_pairs.clear();
}

void FaultyProxy::resume()
{
    listen(m_port);
}

void FaultyProxy::releaseHeld()
{
    m_holdPrefix.clear();
    for (const auto &p : std::as_const(m_pairs)) {
        if (p->server && !p->held.isEmpty())
            p->server->write(std::exchange(p->held, {}));
    }
}

int FaultyProxy::heldRequests() const
{
    return int(std::count_if(m_pairs.cbegin(), m_pairs.cend(), [](const auto &p) { return !p->held.isEmpty(); }));
}

void FaultyProxy::onNewConnection()
{
    while (QTcpSocket *client = m_listener.nextPendingConnection()) {
        auto pair = std::make_shared<Pair>();
        pair->client = client;
        pair->server = new QTcpSocket(client);
        m_pairs.append(pair);
        QTcpSocket *server = pair->server;
        server->connectToHost(QHostAddress::LocalHost, m_targetPort);
        // Bytes from the client wait in its buffer until the server side is up.
        auto pump = [this, pair] {
            if (!pair->client || !pair->server || pair->server->state() != QAbstractSocket::ConnectedState)
                return;
            const QByteArray data = pair->client->readAll();
            static const QByteArrayList methods = {"GET ", "HEAD ", "POST ", "PATCH ", "DELETE "};
            if (std::any_of(methods.cbegin(), methods.cend(), [&](const QByteArray &m) { return data.startsWith(m); }))
                m_requestLines.append(data.left(data.indexOf("\r\n")));
            if (!pair->held.isEmpty() || (!m_holdPrefix.isEmpty() && data.startsWith(m_holdPrefix))) {
                pair->held += data;
                return;
            }
            if (m_dropWriteAnswers > 0
                && (data.startsWith("POST ") || data.startsWith("PATCH ") || data.startsWith("DELETE "))) {
                --m_dropWriteAnswers;
                pair->dropAnswer = true;
            }
            if (!data.isEmpty()) {
                // Keep-alive: a new request starts a new answer.
                pair->garble = m_garbleAnswers > 0 && data.startsWith(m_garblePrefix);
                pair->garbleInBody = false;
                pair->garbleHead.clear();
                if (pair->garble) {
                    --m_garbleAnswers;
                    ++m_garbledAnswers;
                }
            }
            pair->server->write(data);
        };
        connect(client, &QTcpSocket::readyRead, this, pump);
        connect(server, &QTcpSocket::connected, this, pump);
        connect(server, &QTcpSocket::readyRead, this, [this, pair] {
            if (!pair->client || !pair->server)
                return;
            const QByteArray data = pair->server->readAll();
            if (pair->dropAnswer) {
                ++m_droppedAnswers;
                pair->client->abort();
                return;
            }
            if (!pair->garble) {
                pair->client->write(data);
                return;
            }
            QByteArray out = data;
            qsizetype bodyFrom = 0;
            if (!pair->garbleInBody) {
                pair->garbleHead += data;
                const qsizetype end = pair->garbleHead.indexOf("\r\n\r\n");
                bodyFrom = end < 0 ? out.size() : out.size() - (pair->garbleHead.size() - (end + 4));
                pair->garbleInBody = end >= 0;
            }
            for (qsizetype i = bodyFrom; i < out.size(); ++i)
                out[i] = '!';
            pair->client->write(out);
        });
        connect(client, &QTcpSocket::disconnected, this, [pair] {
            if (pair->server)
                pair->server->disconnectFromHost();
        });
        connect(server, &QTcpSocket::disconnected, this, [pair] {
            if (pair->client)
                pair->client->disconnectFromHost();
        });
    }
}
