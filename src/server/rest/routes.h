#pragma once

#include "auth/jwtverifier.h"
#include "rest/apierror.h"
#include "base/config.h"
#include "http/httpserver.h"
#include "rest/idempotencycache.h"
#include "rest/sqlbuilder.h"
#include "schema/schemacache.h"

#include <QObject>
#include <QPointer>

#include <optional>

namespace Aiodata::Server {

class Fanout;
class IdempotencyStore;
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
    // keys: where Idempotency-Keys outlive the process (nullptr or not
    // durable(): in memory only).
    Routes(const Config &config, JwtVerifier jwt, const SchemaCache *schema, PgPool *pool,
           OwnWritesSource *ownWrites, Fanout *fanout, HttpServer *http, const IdempotencyStore *keys = nullptr,
           QObject *parent = nullptr);

    // Keys rotated (config reload): requests use these from now on, and
    // subscribers whose token no longer verifies, or now names another
    // role, are closed (1008).
    void setJwtVerifier(JwtVerifier jwt);

    void handle(const HttpRequest &request, const HttpResponder &responder);
    // The schema cache was swapped: what was built against the old one goes.
    void schemaReloaded() { m_sql.clearCache(); }

private:
    struct Identity
    {
        QString role;
        QByteArray token;            // as sent; empty when anonymous
        QByteArray claimsJson;
        bool authenticated = false;  // a valid token was given
        qint64 expiresAt = 0;
    };
    std::optional<Identity> authenticate(const HttpRequest &request, ApiError *error) const;
    // The identity a verified token gives (role at jwt-role-claim-key, else
    // the anonymous role); nullopt and *error when it gives none.
    std::optional<Identity> identityOf(const QByteArray &token, ApiError *error) const;
    // The statement that opens every request's transaction: role and claims.
    static PgStatement roleStatement(const Identity &identity);
    // Whether the request's transaction ends in a rollback: db-tx-end, and
    // Prefer: tx= where db-tx-end lets it override.
    bool rollsBack(const ApiRequest &request) const;
    static PgStatement rollbackStatement();

    bool originAllowed(const QByteArray &origin) const;
    void decorate(const HttpRequest &request, HttpResponse &response) const;
    void describe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity);
    void query(const HttpRequest &request, QByteArrayView pathTail, const HttpResponder &responder,
               const Identity &identity);
    // /query/rpc/<function>: the function picked by RpcPlan from the schema
    // cache, called as SqlBuilder::buildCall() says; GET and HEAD in a read-only
    // transaction, as PostgREST runs them.
    void call(const ApiRequest &api, const HttpResponder &responder, const Identity &identity);
    void subscribe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity);
    // A keyed write's job in the database (IdempotencyStore): the claim,
    // the write, the store, in one transaction; for a key already there,
    // its stored answer instead of the write.
    // written: the write's results (the claim's left out) or an error;
    // replayed: the stored result row. again: the second run, when the
    // key expired between its claim and its answer's read.
    using JobDone = std::function<void(const QList<PgResult> &results, const PgError &error)>;
    using Replayed = std::function<void(const PgResult &kept)>;
    void runKeyed(PgJob job, const QByteArray &storedKey, JobDone written, Replayed replayed, bool again = false);

    Config m_config;
    const SchemaCache *m_schema;
    PgPool *m_pool;
    OwnWritesSource *m_ownWrites;
    Fanout *m_fanout;
    JwtVerifier m_jwt;
    IdempotencyCache m_idempotency;
    const IdempotencyStore *m_keys;
    SqlBuilder m_sql;
};

} // namespace Aiodata::Server
