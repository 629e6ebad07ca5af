#include "rest/apierror.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Aiodata::Server {

QByteArray ApiError::toJson() const
{
    auto orNull = [](const QString &s) { return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s); };
    QJsonObject o;
    o.insert(QLatin1String("code"), QString::fromLatin1(code));
    o.insert(QLatin1String("message"), message);
    o.insert(QLatin1String("details"), orNull(details));
    o.insert(QLatin1String("hint"), orNull(hint));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

HttpResponse ApiError::toResponse() const
{
    return HttpResponse::json(status, toJson());
}

static int statusForSqlState(const QByteArray &s, bool authenticated)
{
    if (s == "42501")
        return authenticated ? 403 : 401;
    if (s == "23503" || s == "23505" || s == "23P01" || s == "40001" || s == "40P01")
        return 409;
    if (s == "23502" || s == "23514")
        return 400;
    if (s == "25006")
        return 405;
    if (s == "42883" || s == "42P01")
        return 404;
    if (s == "P0001")
        return 400;
    if (s == "22023")
        return 400;
    const QByteArray cls = s.left(2);
    if (cls == "08" || cls == "53")
        return 503;
    if (cls == "0L" || cls == "0P" || cls == "28")
        return 403;
    if (cls == "09" || cls == "2D" || cls == "38" || cls == "39" || cls == "3B" || cls == "40"
        || cls == "54" || cls == "55" || cls == "57" || cls == "58" || cls == "F0" || cls == "HV"
        || cls == "P0" || cls == "XX")
        return 500;
    return 400;
}

ApiError ApiError::fromPg(const PgError &error, bool authenticated)
{
    ApiError e;
    e.status = statusForSqlState(error.sqlState, authenticated);
    e.code = error.sqlState;
    e.message = error.message;
    e.details = error.detail;
    e.hint = error.hint;
    return e;
}

} // namespace Aiodata::Server
