#pragma once

#include "http/httpserver.h"
#include "pg/pgconnection.h"

#include <QByteArray>
#include <QString>

namespace Aiodata::Server {

// An error answer in PostgREST's shape: {code, message, details, hint}.
struct ApiError
{
    int status = 400;
    QByteArray code;
    QString message;
    QString details;
    QString hint;

    QByteArray toJson() const;
    HttpResponse toResponse() const;

    // PostgreSQL errors map to HTTP statuses as PostgREST maps them;
    // insufficient privilege is 401 without a token and 403 with one.
    static ApiError fromPg(const PgError &error, bool authenticated);
};

} // namespace Aiodata::Server
