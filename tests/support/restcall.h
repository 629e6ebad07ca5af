#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

class QNetworkAccessManager;

// One REST call to the test server and its answer, for tests that compare
// answers with PostgREST's.
namespace RestCall {

using Headers = QList<QPair<QByteArray, QByteArray>>;

struct Answer
{
    int status = 0;            // 0: no answer within 10 s
    QByteArray body;
    QByteArray contentType;
    QByteArray contentRange;
    QList<QPair<QByteArray, QByteArray>> headers; // all of them, as received
    QByteArray header(const QByteArray &name) const; // case-insensitive; null when absent
};

// method path?query with the headers (Content-Type: application/json unless
// given), as role when it is not empty (a token of TestServer's secret).
Answer send(QNetworkAccessManager &nam, const QUrl &server, const QByteArray &method, const QString &path,
            const QByteArray &body = {}, const Headers &headers = {}, const QString &role = {});

// Equal as JSON values (a scalar body too; objects in any key order); both empty is equal.
bool sameJson(const QByteArray &a, const QByteArray &b);

} // namespace RestCall
