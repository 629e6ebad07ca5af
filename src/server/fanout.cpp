#include "fanout.h"

#include "logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>
#include <QWebSocket>

namespace Aiodata::Server {

static QByteArray jsonString(const QString &s)
{
    // QJsonDocument does the escaping; strip the array brackets around it.
    const QByteArray a = QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact);
    return a.mid(1, a.size() - 2);
}

Fanout::Fanout(ChangeSource *source, QObject *parent)
    : QObject(parent)
    , m_source(source)
{
    connect(source, &ChangeSource::changed, this, &Fanout::onChanged);
}

Fanout::~Fanout() = default;

QByteArray Fanout::encode(const Change &change)
{
    QByteArray m;
    m.reserve(change.rows.size() + change.oldRows.size() + 128);
    m += "{\"type\":\"event\",\"seq\":" + QByteArray::number(change.seq) + ",\"action\":\""
        + Change::actionName(change.action) + "\",\"schema\":" + jsonString(change.schema)
        + ",\"table\":" + jsonString(change.table) + ",\"rows\":" + change.rows;
    if (change.action == Change::Action::Update)
        m += ",\"old\":" + change.oldRows;
    m += '}';
    return m;
}

void Fanout::addSubscriber(QWebSocket *socket, const SubscriberContext &context)
{
    m_subscribers.append({socket, context});
    connect(socket, &QWebSocket::disconnected, this, [this, socket] { remove(socket); });
    if (context.expiresAt > 0) {
        // The token's validity ends the subscription, as it would end its requests.
        const qint64 ms = qMax<qint64>(0, context.expiresAt * 1000 - QDateTime::currentMSecsSinceEpoch());
        QTimer::singleShot(ms, socket, [socket] {
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("JWT expired"));
        });
    }
    QJsonObject hello;
    hello.insert(QLatin1String("type"), QStringLiteral("hello"));
    hello.insert(QLatin1String("seq"), qint64(m_source->lastSeq()));
    hello.insert(QLatin1String("role"), context.role);
    hello.insert(QLatin1String("schema"), context.schema);
    hello.insert(QLatin1String("source"), m_source->name());
    socket->sendTextMessage(QString::fromUtf8(QJsonDocument(hello).toJson(QJsonDocument::Compact)));
    qCDebug(lcFanout) << "subscriber" << socket->peerAddress() << socket->peerPort() << "role" << context.role;
    Q_EMIT subscriberCountChanged(subscriberCount());
}

void Fanout::remove(QWebSocket *socket)
{
    for (qsizetype i = 0; i < m_subscribers.size(); ++i) {
        if (m_subscribers.at(i).socket == socket) {
            m_subscribers.removeAt(i);
            socket->deleteLater();
            Q_EMIT subscriberCountChanged(subscriberCount());
            return;
        }
    }
}

void Fanout::onChanged(const Change &change)
{
    const QString message = QString::fromUtf8(encode(change));
    QList<QWebSocket *> overflowing;
    for (const Subscriber &s : std::as_const(m_subscribers)) {
        if (s.context.schema != change.schema || !s.context.readableTables.contains(change.table))
            continue;
        if (s.socket->bytesToWrite() > m_maxBufferedBytes) {
            overflowing.append(s.socket);
            continue;
        }
        s.socket->sendTextMessage(message);
    }
    for (QWebSocket *socket : overflowing) {
        qCWarning(lcFanout) << "dropping a subscriber that does not read:" << socket->peerAddress();
        socket->abort();
        remove(socket);
    }
}

} // namespace Aiodata::Server
