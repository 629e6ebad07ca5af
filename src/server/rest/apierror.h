#pragma once

#include "auth/jwtverifier.h"
#include "http/httpserver.h"
#include "pg/pgconnection.h"
#include "schema/functioninfo.h"
#include "schema/relationship.h"

#include <QByteArray>
#include <QJsonArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace Aiodata::Server {

// An error answer in PostgREST's shape: {code, message, details, hint}.
//
// Built with the named constructors below, one per error (PostgREST's
// Error.hs), so each message is written once; grouped by code family.
struct ApiError
{
    int status = 400;
    QByteArray code;
    QString message;
    QString details;
    QString hint;
    QJsonArray detailsArray;  // when not empty, details is this array (PGRST201)

    QByteArray toJson() const;
    HttpResponse toResponse() const;

    // PGRST1xx, the request: 400 PGRST100 "failed to parse <what> (<text>)".
    static ApiError rpcUnsupportedMethod(const QByteArray &method); // 405 PGRST101: PATCH/DELETE on /rpc/
    static ApiError unparsable(const QString &what, const QString &text, const QString &details = {});
    static ApiError urlHasNul();                           // 400 PGRST100
    static ApiError urlMalformedEscape(const QString &at); // 400 PGRST100, at: the bad escape
    static ApiError invalidBody(const QString &details);   // 400 PGRST102
    static ApiError invalidRange();                        // 416 PGRST103
    static ApiError unacceptableSchema(const QStringList &schemas); // 406 PGRST106
    static ApiError unacceptableMedia(const QByteArray &asked);      // 406 PGRST107: no Accept type producible
    static ApiError singularity(qint64 rows);              // 406 PGRST116: vnd.pgrst.object, not one row
    static ApiError unsupportedMethod(const QByteArray &method); // 405 PGRST117
    static ApiError invalidPath(const QString &details = {});   // 404 PGRST125
    static ApiError notEmbedded(const QString &resource);        // 400 PGRST108: a filter's path names no embed
    static ApiError relatedOrderNotToOne(const QString &origin, const QString &target); // 400 PGRST118
    static ApiError spreadNotToOne(const QString &origin, const QString &target); // 400 PGRST119
    static ApiError unacceptableEmbedFilter(const QString &target); // 400 PGRST120: not is.null on an embed
    static ApiError invalidPreferences(const QByteArrayList &given); // 400 PGRST122: handling=strict refused them
    static ApiError maxAffectedExceeded(qint64 rows);      // 400 PGRST124: more rows than max-affected

    // PGRST2xx, the schema cache.
    static ApiError columnNotFound(const QString &column, const QString &table); // 400 PGRST204
    static ApiError tableNotFound(const QString &schema, const QString &table);  // 404 PGRST205
    // 404 PGRST202: no overload takes these argument names. isJsonPost: a
    // POST with a JSON body (a single unnamed json/jsonb parameter would
    // also have done); overloads: the functions of that name, for the hint.
    static ApiError functionNotFound(const QString &schema, const QString &name, const QStringList &argumentNames,
                                     bool isJsonPost, const QList<FunctionInfo> &overloads);
    static ApiError ambiguousFunction(const QList<FunctionInfo> &candidates); // 300 PGRST203
    // 400 PGRST200: no relationship between origin and target (with the hint, if one was given).
    static ApiError relationshipNotFound(const QString &origin, const QString &target, const QString &hint,
                                         const QString &schema);
    // 300 PGRST201: more than one; details lists them, hint how to pick one.
    static ApiError ambiguousRelationship(const QString &origin, const QString &target,
                                          const QList<Relationship> &candidates);

    // PostgreSQL's own codes, for what we refuse before sending SQL.
    static ApiError undefinedColumn(const QString &table, const QString &column); // 400 42703

    // PGRST30x, authentication.
    static ApiError fromJwt(const JwtVerifier::Result &refused); // the verifier's status, code and texts
    static ApiError notBearer();                          // 401 PGRST301: Authorization of another scheme
    static ApiError emptyToken();                         // 401 PGRST301: "Bearer " and nothing
    static ApiError anonymousDisabled(const QString &details = {}); // 401 PGRST302

    // AIODATAxxx, ours.
    static ApiError keyPathTooLong(const QString &table, const QStringList &primaryKey); // 400 AIODATA001
    static ApiError keyPathOnCreate();                       // 405 AIODATA002
    static ApiError webSocketRequired();                     // 426 AIODATA003
    static ApiError originNotAllowed(const QByteArray &origin); // 403 AIODATA004
    static ApiError tooManySubscribers(int limit);           // 503 AIODATA005
    static ApiError tooManySubscribersPerToken(int limit);   // 429 AIODATA006
    static ApiError subsetUnsupported(const QString &what);  // 400 AIODATA007: order, limit, aliases in a subscription
    static ApiError subsetNeedsSelectiveStream();            // 400 AIODATA009: subscribe without ?tables=
    static ApiError embedUnsupported(const QString &where);  // 400 AIODATA012: embedding in writes and calls (not yet)

    // PostgreSQL errors map to HTTP statuses as PostgREST maps them;
    // insufficient privilege is 401 without a token and 403 with one.
    static ApiError fromPg(const PgError &error, bool authenticated);
    // A failed job (its first statement takes on the role): a failure to
    // take on the role is an authentication problem (401/403), not a bad
    // request.
    static ApiError fromJob(const QList<PgResult> &results, const PgError &firstError, bool authenticated);
};

} // namespace Aiodata::Server
