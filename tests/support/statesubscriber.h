#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QWebSocket>

// A raw /state subscriber for tests that look at the wire: every message as
// received, and the events in them.
class StateSubscriber : public QObject
{
    Q_OBJECT
public:
    // Opens ws://<server>/state[?query], with the token as bearer when not empty.
    void open(const QUrl &server, const QString &token = QString(), const QString &query = QString());
    bool waitForHello(int timeoutMs = 10000);
    bool hasHello() const;

    QList<QJsonObject> messages;
    const QWebSocket &socket() const { return m_socket; }

    // The events of one message: an event itself, a transaction's list.
    static QJsonArray eventsOf(const QJsonObject &message);
    // Messages of a type, e.g. "schema".
    int count(const QString &type) const;
    // Position of the first message with a row {"id": id} of table, or -1.
    qsizetype indexOfRow(const QString &table, int id) const;

private:
    QWebSocket m_socket;
};
