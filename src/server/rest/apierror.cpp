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
    o.insert(QLatin1String("details"), detailsArray.isEmpty() ? orNull(details) : QJsonValue(detailsArray));
    o.insert(QLatin1String("hint"), orNull(hint));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

HttpResponse ApiError::toResponse() const
{
    return HttpResponse::json(status, toJson());
}

static ApiError make(int status, const QByteArray &code, const QString &message, const QString &details = {})
{
    ApiError e;
    e.status = status;
    e.code = code;
    e.message = message;
    e.details = details;
    return e;
}

ApiError ApiError::rpcUnsupportedMethod(const QByteArray &method)
{
    return make(405, "PGRST101", QStringLiteral("Cannot use the %1 method on RPC").arg(QString::fromLatin1(method)));
}

ApiError ApiError::functionNotFound(const QString &schema, const QString &name, const QStringList &argumentNames,
                                    bool isJsonPost, const QList<FunctionInfo> &overloads)
{
    // PostgREST's Error.hs (NoRpc): the names sorted, as its set lists them.
    QStringList names = argumentNames;
    names.sort();
    const QString function = schema + QLatin1Char('.') + name;
    const QString list = names.join(QLatin1String(", "));
    const QString withParams = names.isEmpty() ? QStringLiteral(" without parameters")
        : QStringLiteral(" with parameter%1 %2").arg(names.size() > 1 ? QStringLiteral("s") : QString(), list);
    ApiError e = make(404, "PGRST202",
                      QStringLiteral("Could not find the function %1%2 in the schema cache")
                          .arg(function, names.isEmpty() ? QStringLiteral(" without parameters") : QLatin1Char('(') + list + QLatin1Char(')')),
                      QStringLiteral("Searched for the function %1%2%3, but no matches were found in the schema cache.")
                          .arg(function, withParams,
                               isJsonPost ? QStringLiteral(" or with a single unnamed json/jsonb parameter") : QString()));
    // PostgREST picks the overload by fuzzy matching; here: the one that
    // shares the most parameter names with the request, then the one with
    // about as many parameters as names given.
    const FunctionInfo *best = nullptr;
    qsizetype bestShared = -1, bestOff = 0;
    for (const FunctionInfo &f : overloads) {
        qsizetype shared = 0;
        for (const FunctionParam &p : f.params)
            shared += names.contains(p.name) ? 1 : 0;
        const qsizetype off = qAbs(f.params.size() - names.size());
        if (shared > bestShared || (shared == bestShared && off < bestOff)) {
            best = &f;
            bestShared = shared;
            bestOff = off;
        }
    }
    if (best) {
        QStringList params;
        for (const FunctionParam &p : best->params)
            params.append(p.name);
        e.hint = QStringLiteral("Perhaps you meant to call the function %1(%2)").arg(function, params.join(QLatin1String(", ")));
    }
    return e;
}

ApiError ApiError::ambiguousFunction(const QList<FunctionInfo> &candidates)
{
    QStringList signatures;
    for (const FunctionInfo &f : candidates)
        signatures.append(f.signature());
    ApiError e = make(300, "PGRST203",
                      QStringLiteral("Could not choose the best candidate function between: %1").arg(signatures.join(QLatin1String(", "))));
    e.hint = QStringLiteral("Try renaming the parameters or the function itself in the database so function overloading can be resolved");
    return e;
}

ApiError ApiError::relationshipNotFound(const QString &origin, const QString &target, const QString &hint,
                                        const QString &schema)
{
    // Error.hs NoRelBetween. (PostgREST's hint fuzzy-matches other table
    // names; ours is null.)
    return make(400, "PGRST200",
                QStringLiteral("Could not find a relationship between '%1' and '%2' in the schema cache").arg(origin, target),
                QStringLiteral("Searched for a foreign key relationship between '%1' and '%2'%3 in the schema '%4', but no matches were found.")
                    .arg(origin, target, hint.isEmpty() ? QString() : QStringLiteral(" using the hint '%1'").arg(hint), schema));
}

ApiError ApiError::ambiguousRelationship(const QString &origin, const QString &target, const QList<Relationship> &candidates)
{
    // Error.hs AmbiguousRelBetween, compressedRel and relHint.
    ApiError e = make(300, "PGRST201",
                      QStringLiteral("Could not embed because more than one relationship was found for '%1' and '%2'").arg(origin, target));
    QStringList hints;
    for (const Relationship &r : candidates) {
        QJsonObject o;
        o.insert(QLatin1String("cardinality"), r.cardinalityName());
        o.insert(QLatin1String("embedding"), QStringLiteral("%1 with %2").arg(r.table, r.foreignTable));
        o.insert(QLatin1String("relationship"), r.description());
        e.detailsArray.append(o);
        hints.append(QStringLiteral("'%1!%2'").arg(r.foreignTable, r.hintName()));
    }
    e.hint = QStringLiteral("Try changing '%1' to one of the following: %2. Find the desired relationship in the 'details' key.")
                 .arg(target, hints.join(QLatin1String(", ")));
    return e;
}

ApiError ApiError::notEmbedded(const QString &resource)
{
    ApiError e = make(400, "PGRST108", QStringLiteral("'%1' is not an embedded resource in this request").arg(resource));
    e.hint = QStringLiteral("Verify that '%1' is included in the 'select' query parameter.").arg(resource);
    return e;
}

ApiError ApiError::invalidPreferences(const QByteArrayList &given)
{
    return make(400, "PGRST122", QStringLiteral("Invalid preferences given with handling=strict"),
                QStringLiteral("Invalid preferences: ") + QString::fromUtf8(given.join(", ")));
}

ApiError ApiError::maxAffectedExceeded(qint64 rows)
{
    return make(400, "PGRST124", QStringLiteral("Query result exceeds max-affected preference constraint"),
                QStringLiteral("The query affects %1 rows").arg(rows));
}

ApiError ApiError::relatedOrderNotToOne(const QString &origin, const QString &target)
{
    return make(400, "PGRST118", QStringLiteral("A related order on '%1' is not possible").arg(target),
                QStringLiteral("'%1' and '%2' do not form a many-to-one or one-to-one relationship").arg(origin, target));
}

ApiError ApiError::spreadNotToOne(const QString &origin, const QString &target)
{
    return make(400, "PGRST119", QStringLiteral("A spread operation on '%1' is not possible").arg(target),
                QStringLiteral("'%1' and '%2' do not form a many-to-one or one-to-one relationship").arg(origin, target));
}

ApiError ApiError::unacceptableEmbedFilter(const QString &target)
{
    return make(400, "PGRST120", QStringLiteral("Bad operator on the '%1' embedded resource").arg(target),
                QStringLiteral("Only is null or not is null filters are allowed on embedded resources"));
}

ApiError ApiError::embedUnsupported(const QString &where)
{
    return make(400, "AIODATA012", QStringLiteral("Embedding resources is not supported %1 yet").arg(where));
}

ApiError ApiError::unparsable(const QString &what, const QString &text, const QString &details)
{
    return make(400, "PGRST100", QStringLiteral("\"failed to parse %1 (%2)\"").arg(what, text), details);
}

ApiError ApiError::urlHasNul()
{
    return make(400, "PGRST100", QStringLiteral("The request URL contains a NUL character"));
}

ApiError ApiError::urlMalformedEscape(const QString &at)
{
    return make(400, "PGRST100", QStringLiteral("The request URL contains a malformed percent escape"),
                QStringLiteral("'%' must be followed by two hexadecimal digits, at \"%1\"").arg(at));
}

ApiError ApiError::invalidBody(const QString &details)
{
    return make(400, "PGRST102", QStringLiteral("Empty or invalid json"), details);
}

ApiError ApiError::invalidRange()
{
    return make(416, "PGRST103", QStringLiteral("Requested range not satisfiable"));
}

ApiError ApiError::unacceptableSchema(const QStringList &schemas)
{
    return make(406, "PGRST106",
                QStringLiteral("The schema must be one of the following: %1").arg(schemas.join(QLatin1String(", "))));
}

ApiError ApiError::unacceptableMedia(const QByteArray &asked)
{
    // PostgREST 12 answers 406 (its docs' example still shows 415).
    return make(406, "PGRST107", QStringLiteral("None of these media types are available: %1").arg(QString::fromUtf8(asked)));
}

ApiError ApiError::singularity(qint64 rows)
{
    return make(406, "PGRST116", QStringLiteral("JSON object requested, multiple (or no) rows returned"),
                QStringLiteral("The result contains %1 rows").arg(rows));
}

ApiError ApiError::unsupportedMethod(const QByteArray &method)
{
    return make(405, "PGRST117", QStringLiteral("Unsupported HTTP method: %1").arg(QString::fromLatin1(method)));
}

ApiError ApiError::invalidPath(const QString &details)
{
    return make(404, "PGRST125", QStringLiteral("Invalid path specified in request URL"), details);
}

ApiError ApiError::columnNotFound(const QString &column, const QString &table)
{
    return make(400, "PGRST204",
                QStringLiteral("Could not find the '%1' column of '%2' in the schema cache").arg(column, table));
}

ApiError ApiError::tableNotFound(const QString &schema, const QString &table)
{
    return make(404, "PGRST205",
                QStringLiteral("Could not find the table '%1.%2' in the schema cache").arg(schema, table));
}

ApiError ApiError::undefinedColumn(const QString &table, const QString &column)
{
    return make(400, "42703", QStringLiteral("column %1.%2 does not exist").arg(table, column));
}

ApiError ApiError::fromJwt(const JwtVerifier::Result &refused)
{
    return make(refused.httpStatus, refused.code, refused.message, refused.details);
}

ApiError ApiError::notBearer()
{
    return make(401, "PGRST301", QStringLiteral("Authorization must be a Bearer token"));
}

ApiError ApiError::emptyToken()
{
    return make(401, "PGRST301", QStringLiteral("Empty JWT is sent in Authorization header"));
}

ApiError ApiError::anonymousDisabled(const QString &details)
{
    return make(401, "PGRST302", QStringLiteral("Anonymous access is disabled"), details);
}

ApiError ApiError::keyPathTooLong(const QString &table, const QStringList &primaryKey)
{
    return make(400, "AIODATA001",
                primaryKey.isEmpty() ? QStringLiteral("Table %1 has no primary key to select by path").arg(table)
                                     : QStringLiteral("Too many key values for %1: its primary key is (%2)")
                                           .arg(table, primaryKey.join(QLatin1String(", "))));
}

ApiError ApiError::keyPathOnCreate()
{
    return make(405, "AIODATA002", QStringLiteral("POST takes the table path only; put key values in the body"));
}

ApiError ApiError::webSocketRequired()
{
    return make(426, "AIODATA003", QStringLiteral("/state is a WebSocket: send an upgrade request"));
}

ApiError ApiError::originNotAllowed(const QByteArray &origin)
{
    return make(403, "AIODATA004", QStringLiteral("Origin %1 is not allowed").arg(QString::fromUtf8(origin)),
                QStringLiteral("see server-cors-allowed-origins"));
}

ApiError ApiError::tooManySubscribers(int limit)
{
    return make(503, "AIODATA005", QStringLiteral("Too many subscribers on this server"),
                QStringLiteral("limit %1 (AIODATA_MAX_SUBSCRIBERS)").arg(limit));
}

ApiError ApiError::tooManySubscribersPerToken(int limit)
{
    return make(429, "AIODATA006", QStringLiteral("Too many subscribers with this token"),
                QStringLiteral("limit %1 (AIODATA_MAX_SUBSCRIBERS_PER_TOKEN)").arg(limit));
}

ApiError ApiError::subsetUnsupported(const QString &what)
{
    return make(400, "AIODATA007", QStringLiteral("%1 is not supported in a subscription").arg(what),
                QStringLiteral("a subset holds every row its filters match"));
}

ApiError ApiError::subsetNeedsSelectiveStream()
{
    return make(400, "AIODATA009", QStringLiteral("Subscriptions need a selective stream"),
                QStringLiteral("open /state with ?tables= (the whole tables to stream, maybe none)"));
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

ApiError ApiError::fromJob(const QList<PgResult> &results, const PgError &firstError, bool authenticated)
{
    ApiError e = fromPg(firstError, authenticated);
    if (!results.isEmpty() && !results.first().ok && !results.first().error.isNull()
        && firstError.sqlState.left(2) != "08")
        e.status = authenticated ? 403 : 401;
    return e;
}

} // namespace Aiodata::Server
