#include "statesubscriber.h"

#include <QJsonDocument>
#include <QNetworkRequest>
#include <QTest>

void StateSubscriber::open(const QUrl &server, const QString &token, const QString &query)
{
    QUrl url = server;
    url.setScheme(QStringLiteral("ws"));
    url.setPath(QStringLiteral("/state"));
    if (!query.isNull())
        url.setQuery(query);
    QNetworkRequest request(url);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        messages.append(QJsonDocument::fromJson(text.toUtf8()).object());
    });
    m_socket.open(request);
}

bool StateSubscriber::waitForHello(int timeoutMs)
{
    return QTest::qWaitFor([this] { return hasHello(); }, timeoutMs);
}

bool StateSubscriber::hasHello() const
{
    return !messages.isEmpty() && messages.first().value(QLatin1String("type")).toString() == QLatin1String("hello");
}

QJsonArray StateSubscriber::eventsOf(const QJsonObject &message)
{
    const QString type = message.value(QLatin1String("type")).toString();
    if (type == QLatin1String("event"))
        return QJsonArray{message};
    return message.value(QLatin1String("events")).toArray();
}

int StateSubscriber::count(const QString &type) const
{
    int n = 0;
    for (const QJsonObject &m : messages)
        n += m.value(QLatin1String("type")).toString() == type;
    return n;
}

qsizetype StateSubscriber::indexOfRow(const QString &table, int id) const
{
    for (qsizetype i = 0; i < messages.size(); ++i) {
        for (const QJsonValue &e : eventsOf(messages.at(i))) {
            if (e[QLatin1String("table")].toString() != table)
                continue;
            for (const QJsonValue &row : e[QLatin1String("rows")].toArray()) {
                if (row[QLatin1String("id")].toInt() == id)
                    return i;
            }
        }
    }
    return -1;
}
