#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

namespace Aiodata::Server {

class PgConnection;

// LISTEN on one channel over a dedicated asynchronous connection (a pooled
// one would lose its LISTEN when handed to the next request). A broken
// connection is opened again with backoff; listening() then says that
// notifications may have been missed meanwhile.
class PgListener : public QObject
{
    Q_OBJECT
public:
    // Shown in pg_stat_activity.application_name, so the connection can be told apart.
    static constexpr const char *applicationName = "aiodata listener";

    PgListener(const QByteArray &conninfo, const QString &channel, QObject *parent = nullptr);
    ~PgListener() override;

    void start();
    bool isListening() const { return m_listening; }
    QString channel() const { return m_channel; }

Q_SIGNALS:
    // LISTEN is in place; again is true after a reconnection.
    void listening(bool again);
    void notified(const QString &payload);
    // Connecting or listening failed; it tries again by itself.
    void failed(const QString &error);

private:
    void open();
    void onOpened();
    void onReadyRead();
    void onFailed(const QString &error);

    QByteArray m_conninfo;
    QString m_channel;
    PgConnection *m_connection = nullptr;
    QTimer m_retry;
    int m_backoffMs = 0;
    bool m_listening = false;
    bool m_listenSent = false;
    bool m_everListened = false;
};

} // namespace Aiodata::Server
