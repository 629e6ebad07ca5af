#pragma once

// Internal to the client library: not installed, not exported. Reply's
// d-pointer, and how the library sends a write and completes its reply.

#include "reply.h"

#include <QPromise>

#include <functional>

QT_BEGIN_NAMESPACE
class QNetworkReply;
QT_END_NAMESPACE

namespace Aiodata {

class ReplyPrivate
{
public:
    static ReplyPrivate *get(Reply *reply) { return reply->d.get(); }

    // Sends the write with sender() and completes the reply from its answer.
    // An answer lost after sending is asked for again, twice at most, by
    // calling sender() again: the write carries an Idempotency-Key, so the
    // server runs it once and replays its answer.
    void sendRequest(std::function<QNetworkReply *()> sender);
    // Once: later calls are ignored.
    void finish(Reply::Error error, const QString &errorString, int httpStatus, const QVariantList &rows);

    // What the server answered a write (or that it did not).
    struct Answer
    {
        int httpStatus = 0;    // 0: no answer
        bool unsent = false;   // refused before the request was sent
        bool canceled = false; // aborted here
        Reply::Error error = Reply::NoError;
        QString errorString;
        QString errorCode;     // the server's code: a SQLSTATE or PGRSTnnn
        QVariantList rows;
    };
    static Answer readAnswer(QNetworkReply *reply);
    void finish(const Answer &answer);

    Reply *q = nullptr;
    bool finished = false;
    Reply::Error error = Reply::NoError;
    QString errorString;
    QString errorCode; // set before finish() when the answer has one
    int httpStatus = 0;
    QVariantList rows;
    QPromise<QVariantList> promise;
    std::function<QNetworkReply *()> send; // the sender, for asking again
    int resendsLeft = 2;
};

} // namespace Aiodata
