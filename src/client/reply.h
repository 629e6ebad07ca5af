#pragma once

#include "aiodata_export.h"

#include <QFuture>
#include <QObject>
#include <QVariantList>

#include <memory>

namespace Aiodata {

class ReplyPrivate;

// The outcome of one write (create, update, remove). The model itself
// changes when the server's event arrives, not when the reply does, so
// there is one source of truth; the reply tells the caller how it went.
class AIODATA_EXPORT Reply : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
    Q_PROPERTY(Error error READ error NOTIFY finished)
    Q_PROPERTY(QString errorString READ errorString NOTIFY finished)
    Q_PROPERTY(QVariantList rows READ rows NOTIFY finished)
public:
    enum Error {
        NoError,
        NetworkError,       // no connection, timeout, reply lost
        Unauthorized,       // 401: no or bad token for this
        Forbidden,          // 403: the token's role may not do this
        NotFound,           // 404: unknown table or column
        Conflict,           // 409: duplicate key, foreign key
        InvalidRequest,     // 400, 406, 413, 416 ...: bad value, bad filter
        ServerError,        // 5xx
    };
    Q_ENUM(Error)

    explicit Reply(QObject *parent = nullptr);
    ~Reply() override;

    bool isFinished() const;
    Error error() const;
    QString errorString() const;
    int httpStatus() const;          // 0 when no HTTP answer arrived
    // The server's error code: PostgreSQL's SQLSTATE ("23505" duplicate
    // key, "42501" no privilege) or PostgREST's ("PGRST204"); empty
    // without one (no error, no answer, or an answer without a code).
    QString errorCode() const;
    QVariantList rows() const;       // affected rows (QVariantMap each), new values
    // Resolves with rows() on success; cancelled (with the error kept here)
    // on failure, so `.then()` chains stop at an error.
    QFuture<QVariantList> future() const;

Q_SIGNALS:
    void finished();
    void errorOccurred(Aiodata::Reply::Error error, const QString &errorString);

private:
    // How the library sends the write and completes the reply (reply_p.h);
    // ReplyPrivate::get() reaches d, as with Q_DECLARE_PRIVATE.
    friend class ReplyPrivate;
    std::unique_ptr<ReplyPrivate> const d;
};

} // namespace Aiodata
