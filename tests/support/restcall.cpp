#include "restcall.h"

#include "testserver.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>

namespace RestCall {

Answer send(QNetworkAccessManager &nam, const QUrl &server, const QByteArray &method, const QString &path,
            const QByteArray &body, const Headers &headers, const QString &role)
{
    QUrl url = server;
    url.setPath(path.section(QLatin1Char('?'), 0, 0));
    url.setQuery(path.section(QLatin1Char('?'), 1));
    QNetworkRequest r(url);
    r.setRawHeader("Content-Type", "application/json");
    for (const auto &[name, value] : headers)
        r.setRawHeader(name, value);
    if (!role.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + TestServer::token(role).toUtf8());
    QNetworkReply *reply = nam.sendCustomRequest(r, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    a.contentType = reply->rawHeader("Content-Type");
    a.contentRange = reply->rawHeader("Content-Range");
    a.headers = reply->rawHeaderPairs();
    reply->deleteLater();
    return a;
}

QByteArray Answer::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

bool sameJson(const QByteArray &a, const QByteArray &b)
{
    if (a.trimmed().isEmpty() || b.trimmed().isEmpty())
        return a.trimmed().isEmpty() && b.trimmed().isEmpty();
    const QJsonDocument x = QJsonDocument::fromJson('[' + a + ']');
    const QJsonDocument y = QJsonDocument::fromJson('[' + b + ']');
    return !x.isNull() && x == y;
}

} // namespace RestCall
