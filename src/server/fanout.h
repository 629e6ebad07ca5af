#pragma once

#include "changesource.h"

#include <QList>
#include <QMetaType>
#include <QObject>
#include <QSet>
#include <QString>

QT_BEGIN_NAMESPACE
class QWebSocket;
QT_END_NAMESPACE

namespace Aiodata::Server {

// Who a WebSocket subscriber is, decided once when it connects.
struct SubscriberContext
{
    QString role;
    QString schema;
    QSet<QString> readableTables;  // tables the role may SELECT
    qint64 expiresAt = 0;          // token's exp (seconds since epoch), 0 = never
};

// Sends every change to the subscribers allowed to read its table. An event
// is serialised once and the same message goes to every subscriber; a
// subscriber that does not read (send buffer past the limit) is dropped and
// resyncs when it reconnects, so it never delays the others.
class Fanout : public QObject
{
    Q_OBJECT
public:
    explicit Fanout(ChangeSource *source, QObject *parent = nullptr);
    ~Fanout() override;

    void addSubscriber(QWebSocket *socket, const SubscriberContext &context);
    int subscriberCount() const { return int(m_subscribers.size()); }
    void setMaxBufferedBytes(qint64 bytes) { m_maxBufferedBytes = bytes; }

    // The wire form of one change (see docs/protocol.md).
    static QByteArray encode(const Change &change);

Q_SIGNALS:
    void subscriberCountChanged(int count);

private:
    struct Subscriber
    {
        QWebSocket *socket;
        SubscriberContext context;
    };
    void onChanged(const Change &change);
    void remove(QWebSocket *socket);

    ChangeSource *m_source;
    QList<Subscriber> m_subscribers;
    qint64 m_maxBufferedBytes = 64 * 1024 * 1024;
};

} // namespace Aiodata::Server

Q_DECLARE_METATYPE(Aiodata::Server::SubscriberContext)
