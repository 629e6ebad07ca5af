#pragma once

#include "rest/apierror.h"
#include "base/config.h"
#include "http/httpserver.h"
#include "rest/idempotencycache.h"
#include "auth/jwtverifier.h"
#include "schema/schemacache.h"

#include <QObject>
#include <QPointer>

#include <optional>

namespace Aiodata::Server {

class Fanout;
class OwnWritesSource;
class PgPool;
struct ApiRequest;
struct PgStatement;

// The HTTP surface: GET / (schema description), /query/<table>[/<key>...]
// (PostgREST-compatible REST), GET /state (WebSocket of events). Every
// request runs as one transaction under the token's role.
class Routes : public QObject
{
    Q_OBJECT
public:
    Routes(const Config &config, const SchemaCache *schema, PgPool *pool, OwnWritesSource *ownWrites,
           Fanout *fanout, HttpServer *http, QObject *parent = nullptr);

    void handle(const HttpRequest &request, const HttpResponder &responder);

private:
    struct Identity
    {
        QString role;
        QByteArray claimsJson;
        bool authenticated = false;  // a valid token was given
        qint64 expiresAt = 0;
    };
    std::optional<Identity> authenticate(const HttpRequest &request, ApiError *error) const;
    // The statement that opens every request's transaction: role and claims.
    static PgStatement roleStatement(const Identity &identity);

    bool originAllowed(const QByteArray &origin) const;
    void decorate(const HttpRequest &request, HttpResponse &response) const;
    void describe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity);
    void query(const HttpRequest &request, QByteArrayView pathTail, const HttpResponder &responder,
               const Identity &identity);
    void subscribe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity);

    Config m_config;
    const SchemaCache *m_schema;
    PgPool *m_pool;
    OwnWritesSource *m_ownWrites;
    Fanout *m_fanout;
    JwtVerifier m_jwt;
    IdempotencyCache m_idempotency;
};

} // namespace Aiodata::Server
