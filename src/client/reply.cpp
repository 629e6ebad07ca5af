#include "reply.h"
#include "reply_p.h"

#include "logging_p.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace Aiodata {

Reply::Reply(QObject *parent)
    : QObject(parent)
    , d(new ReplyPrivate)
{
    d->q = this;
    d->promise.start();
}

Reply::~Reply()
{
    if (!d->finished) {
        d->promise.future().cancel();
        d->promise.finish();
    }
}

bool Reply::isFinished() const { return d->finished; }
Reply::Error Reply::error() const { return d->error; }
QString Reply::errorString() const { return d->errorString; }
QString Reply::errorCode() const { return d->errorCode; }
int Reply::httpStatus() const { return d->httpStatus; }
QVariantList Reply::rows() const { return d->rows; }
QFuture<QVariantList> Reply::future() const { return d->promise.future(); }

static Reply::Error errorForStatus(int status)
{
    switch (status) {
    case 401: return Reply::Unauthorized;
    case 403: return Reply::Forbidden;
    case 404: return Reply::NotFound;
    case 409: return Reply::Conflict;
    default: break;
    }
    if (status >= 500)
        return Reply::ServerError;
    return Reply::InvalidRequest;
}

ReplyPrivate::Answer ReplyPrivate::readAnswer(QNetworkReply *reply)
{
    Answer a;
    // QNetworkReply::error() hides the HTTP status: read it ourselves.
    a.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    if (a.httpStatus == 0) {
        // Refused before sending is harmless; a connection lost after
        // sending leaves the outcome open (the model will still show it).
        a.unsent = reply->error() == QNetworkReply::ConnectionRefusedError
            || reply->error() == QNetworkReply::HostNotFoundError;
        a.canceled = reply->error() == QNetworkReply::OperationCanceledError;
        a.error = Reply::NetworkError;
        a.errorString = a.unsent
            ? Reply::tr("The server could not be reached: %1").arg(reply->errorString())
            : Reply::tr("No answer from the server; the write may still have been applied: %1").arg(reply->errorString());
        return a;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (a.httpStatus >= 200 && a.httpStatus < 300) {
        a.rows = doc.array().toVariantList();
        return a;
    }
    // PostgREST's error shape: {code, message, details, hint}.
    const QJsonObject err = doc.object();
    QString message = err.value(QLatin1String("message")).toString();
    if (message.isEmpty())
        message = Reply::tr("The server answered %1.").arg(a.httpStatus);
    a.errorCode = err.value(QLatin1String("code")).toString();
    const QString details = err.value(QLatin1String("details")).toString();
    if (!details.isEmpty())
        message += QLatin1String(" (") + details + QLatin1Char(')');
    a.error = errorForStatus(a.httpStatus);
    a.errorString = message;
    return a;
}

void ReplyPrivate::sendRequest(std::function<QNetworkReply *()> sender)
{
    send = std::move(sender);
    QNetworkReply *reply = send();
    QObject::connect(reply, &QNetworkReply::finished, q, [this, reply] {
        reply->deleteLater();
        const Answer a = readAnswer(reply);
        // Qt 6.4 and 6.8 resend a request whose answer was lost by
        // themselves, 6.11 does not: ask again here, on every version, with
        // the same key.
        if (a.httpStatus == 0 && !a.unsent && !a.canceled && resendsLeft > 0) {
            --resendsLeft;
            qCDebug(lcClient) << "write answer lost, asking again:" << reply->errorString();
            sendRequest(std::move(send));
            return;
        }
        finish(a);
    });
}

void ReplyPrivate::finish(const Answer &a)
{
    if (!finished)
        errorCode = a.errorCode;
    finish(a.error, a.errorString, a.httpStatus, a.rows);
}

void ReplyPrivate::finish(Reply::Error error, const QString &errorString, int httpStatus, const QVariantList &rows)
{
    if (finished)
        return;
    finished = true;
    this->error = error;
    this->errorString = errorString;
    this->httpStatus = httpStatus;
    this->rows = rows;
    if (error == Reply::NoError) {
        promise.addResult(rows);
    } else {
        qCDebug(lcClient) << "write failed:" << httpStatus << errorString;
        promise.future().cancel();
    }
    promise.finish();
    if (error != Reply::NoError)
        Q_EMIT q->errorOccurred(error, errorString);
    Q_EMIT q->finished();
}

} // namespace Aiodata
