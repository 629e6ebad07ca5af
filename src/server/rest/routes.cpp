#include "rest/routes.h"

#include "rest/apirequest.h"
#include "fanout/fanout.h"
#include "rest/idempotencycache.h"
#include "base/logging.h"
#include "capture/ownwritessource.h"
#include "pg/pgpool.h"
#include "rest/sqlbuilder.h"
#include "pg/pgsql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QUrl>
#include <QUrlQuery>
#include <QWebSocket>

namespace Aiodata::Server {

static const QByteArray kJsonType = QByteArrayLiteral("application/json; charset=utf-8");

Routes::Routes(const Config &config, const SchemaCache *schema, PgPool *pool, OwnWritesSource *ownWrites,
               Fanout *fanout, HttpServer *http, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_schema(schema)
    , m_pool(pool)
    , m_ownWrites(ownWrites)
    , m_fanout(fanout)
{
    if (!config.jwtSecret.isEmpty()) {
        QString err;
        if (auto jwt = JwtVerifier::create(config.jwtSecret, {config.jwtAudience}, &err))
            m_jwt = std::move(*jwt);
        else
            qCCritical(lcServer).noquote() << err << "- every token is refused";
    }
    http->setHandler([this](const HttpRequest &request, const HttpResponder &responder) {
        handle(request, responder);
    });
    http->setDecorator([this](const HttpRequest &request, HttpResponse &response) { decorate(request, response); });
    connect(http, &HttpServer::webSocketAccepted, this, [this](QWebSocket *socket, const QVariant &context) {
        m_fanout->addSubscriber(socket, context.value<SubscriberContext>());
    });
}

static void addHeader(HttpResponse &response, const QByteArray &name, const QByteArray &value)
{
    response.headers.append(qMakePair(name, value));
}

static ApiError makeError(int status, const QByteArray &code, const QString &message, const QString &details = {})
{
    ApiError e;
    e.status = status;
    e.code = code;
    e.message = message;
    e.details = details;
    return e;
}

bool Routes::originAllowed(const QByteArray &origin) const
{
    return m_config.corsAllowedOrigins.contains(QStringLiteral("*"))
        || m_config.corsAllowedOrigins.contains(QString::fromUtf8(origin));
}

void Routes::decorate(const HttpRequest &request, HttpResponse &response) const
{
    // Browsers may read answers only for the origins the operator allowed.
    const QByteArray origin = request.header("Origin");
    if (origin.isEmpty() || !originAllowed(origin))
        return;
    addHeader(response, "Access-Control-Allow-Origin", origin);
    addHeader(response, "Vary", "Origin");
    addHeader(response, "Access-Control-Expose-Headers",
              "Content-Range, Content-Location, Preference-Applied, Aiodata-Snapshot, Idempotent-Replayed");
    if (request.method == "OPTIONS") {
        addHeader(response, "Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
        addHeader(response, "Access-Control-Allow-Headers",
                  "Authorization, Content-Type, Accept, Accept-Profile, Content-Profile, Prefer, Range, Range-Unit, "
                  "Idempotency-Key, X-Client-Info");
        addHeader(response, "Access-Control-Max-Age", "86400");
    }
}

void Routes::handle(const HttpRequest &request, const HttpResponder &responder)
{
    qCDebug(lcHttp) << request.method << request.target;
    const QByteArray origin = request.header("Origin");
    if (request.method == "OPTIONS") {
        // CORS preflight: answered for allowed origins (decorate() adds the rest).
        if (!origin.isEmpty() && !originAllowed(origin)) {
            responder.send(makeError(403, "AIODATA004", QStringLiteral("Origin %1 is not allowed").arg(QString::fromUtf8(origin)),
                                     QStringLiteral("see server-cors-allowed-origins"))
                               .toResponse());
            return;
        }
        HttpResponse r;
        r.status = 204;
        addHeader(r, "Allow", "GET, HEAD, POST, PATCH, DELETE, OPTIONS");
        responder.send(r);
        return;
    }
    if (request.isWebSocketUpgrade() && !origin.isEmpty() && !originAllowed(origin)) {
        // Browsers send Origin with every WebSocket; without this check any web
        // page could subscribe (cross-site WebSocket hijacking).
        responder.send(makeError(403, "AIODATA004", QStringLiteral("Origin %1 is not allowed").arg(QString::fromUtf8(origin)),
                                 QStringLiteral("see server-cors-allowed-origins"))
                           .toResponse());
        return;
    }
    const QByteArray &path = request.path;
    const bool isRoot = path == "/" || path.isEmpty();
    const bool isQuery = path.startsWith("/query/");
    const bool isState = path == "/state";
    if (!isRoot && !isQuery && !isState) {
        responder.send(makeError(404, "PGRST125", QStringLiteral("Invalid path specified in request URL")).toResponse());
        return;
    }
    if ((isRoot || isState) && request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = makeError(405, "PGRST117",
                                   QStringLiteral("Unsupported HTTP method: %1").arg(QString::fromLatin1(request.method)))
                             .toResponse();
        addHeader(r, "Allow", "GET, HEAD");
        responder.send(r);
        return;
    }
    if (isState && !request.isWebSocketUpgrade()) {
        HttpResponse r = makeError(426, "AIODATA003", QStringLiteral("/state is a WebSocket: send an upgrade request")).toResponse();
        addHeader(r, "Upgrade", "websocket");
        responder.send(r);
        return;
    }

    ApiError error;
    const std::optional<Identity> identity = authenticate(request, &error);
    if (!identity) {
        HttpResponse r = error.toResponse();
        if (error.status == 401) {
            // RFC 6750, as PostgREST answers.
            QByteArray challenge = "Bearer";
            if (!error.message.isEmpty() && error.code != "PGRST302")
                challenge += " error=\"invalid_token\", error_description=\"" + error.message.toUtf8().replace('"', '\'') + '"';
            addHeader(r, "WWW-Authenticate", challenge);
        }
        responder.send(r);
        return;
    }
    if (isRoot)
        describe(request, responder, *identity);
    else if (isQuery)
        query(request, QByteArrayView(path).sliced(7), responder, *identity);
    else
        subscribe(request, responder, *identity);
}

std::optional<Routes::Identity> Routes::authenticate(const HttpRequest &request, ApiError *error) const
{
    QByteArray token;
    const QByteArray authorization = request.header("Authorization");
    if (!authorization.isEmpty()) {
        if (!authorization.startsWith("Bearer ") && !authorization.startsWith("bearer ")) {
            *error = makeError(401, "PGRST301", QStringLiteral("Authorization must be a Bearer token"));
            return std::nullopt;
        }
        token = authorization.mid(7).trimmed();
    } else if (request.path == "/state") {
        // Browsers' WebSocket API cannot set headers: accept ?token= there.
        const QUrlQuery q(QString::fromUtf8(request.query));
        token = q.queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded).toUtf8();
    }

    Identity identity;
    if (token.isEmpty()) {
        if (m_config.dbAnonRole.isEmpty()) {
            *error = makeError(401, "PGRST302", QStringLiteral("Anonymous access is disabled"));
            return std::nullopt;
        }
        identity.role = m_config.dbAnonRole;
        QJsonObject claims;
        claims.insert(QLatin1String("role"), identity.role);
        identity.claimsJson = QJsonDocument(claims).toJson(QJsonDocument::Compact);
        return identity;
    }
    const JwtVerifier::Result result = m_jwt.verify(token);
    if (!result.isValid()) {
        *error = makeError(result.httpStatus, result.code, result.message, result.details);
        return std::nullopt;
    }
    identity.authenticated = true;
    identity.role = result.role.value_or(QString());
    if (identity.role.isEmpty())
        identity.role = m_config.dbAnonRole;
    if (identity.role.isEmpty()) {
        *error = makeError(401, "PGRST302", QStringLiteral("The JWT has no role claim and anonymous access is disabled"));
        return std::nullopt;
    }
    identity.claimsJson = result.claimsJson;
    identity.expiresAt = result.expiresAt;
    return identity;
}

PgStatement Routes::roleStatement(const Identity &identity)
{
    return PgSql::roleStatement(identity.role, identity.claimsJson);
}

// Maps a failed job to the answer; a failure to take on the role is an
// authentication problem (401/403), not a bad request.
static ApiError jobError(const QList<PgResult> &results, const PgError &firstError, bool authenticated)
{
    ApiError e = ApiError::fromPg(firstError, authenticated);
    if (!results.isEmpty() && !results.first().ok && !results.first().error.isNull()
        && firstError.sqlState.left(2) != "08")
        e.status = authenticated ? 403 : 401;
    return e;
}

// A read's total for Content-Range; -1 when not asked for (or not known).
static qint64 readTotal(const ApiRequest &r, qint64 answered, const PgResult &read, const PgResult &planned)
{
    const QByteArray counted = read.value(0, 2);
    switch (r.count) {
    case ApiRequest::Count::None:
        return -1;
    case ApiRequest::Count::Exact:
        return counted.toLongLong();
    case ApiRequest::Count::Planned:
    case ApiRequest::Count::Estimated: {
        const qint64 exact = counted.toLongLong(); // estimated: at most one past the bound
        if (r.count == ApiRequest::Count::Estimated && exact <= ApiRequest::EstimatedExactUpTo)
            return exact;
        // An answer no limit cut short ends at the last row: that is the total.
        if ((r.limit < 0 || answered < r.limit) && (answered > 0 || r.offset == 0))
            return r.offset + answered;
        // The planner's figure, but never below what was counted or is in the answer.
        const qint64 plannedRows = SqlBuilder::plannedRows(planned.value(0, 0));
        return plannedRows < 0 ? -1 : qMax(qMax(exact, plannedRows), r.offset + answered);
    }
    }
    return -1;
}

void Routes::describe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity)
{
    const QByteArray profile = request.header("Accept-Profile");
    const QString schema = profile.isEmpty() ? m_config.dbSchemas.value(0) : QString::fromUtf8(profile);
    if (!m_config.dbSchemas.contains(schema)) {
        responder.send(makeError(406, "PGRST106", QStringLiteral("The schema must be one of the following: %1")
                                                      .arg(m_config.dbSchemas.join(QLatin1String(", "))))
                           .toResponse());
        return;
    }
    PgJob job;
    QJsonArray known;
    for (const QString &name : m_schema->tableNames(schema))
        known.append(name);
    job.statements = {roleStatement(identity),
                      PgStatement{SchemaCache::describeSql(),
                                  {schema.toUtf8(), "true", QJsonDocument(known).toJson(QJsonDocument::Compact)}}};
    const bool authenticated = identity.authenticated;
    job.done = [responder, authenticated](const QList<PgResult> &results, const PgError &error) {
        if (!error.isNull()) {
            responder.send(jobError(results, error, authenticated).toResponse());
            return;
        }
        responder.send(HttpResponse::json(200, results.value(1).value(0, 0)));
    };
    m_pool->execute(std::move(job));
}

void Routes::query(const HttpRequest &request, QByteArrayView pathTail, const HttpResponder &responder,
                   const Identity &identity)
{
    ApiError error;
    const std::optional<ApiRequest> api = ApiRequest::parse(request, pathTail, m_config.dbSchemas, &error);
    if (!api) {
        responder.send(error.toResponse());
        return;
    }
    const TableInfo *table = m_schema->table(api->schema, api->table);
    if (!table) {
        responder.send(makeError(404, "PGRST205",
                                 QStringLiteral("Could not find the table '%1.%2' in the schema cache").arg(api->schema, api->table))
                           .toResponse());
        return;
    }
    const bool isWrite = api->operation != ApiRequest::Operation::Read;
    // Own-writes events are made of the written rows; in wal mode the rows
    // come from the WAL, so an answer without a body needs none.
    const bool rowsNeeded = !isWrite || api->returnRepresentation || m_ownWrites;
    const std::optional<PgStatement> statement = SqlBuilder::build(
        *api, *table, &error, rowsNeeded ? SqlBuilder::Rows::Needed : SqlBuilder::Rows::NotNeeded);
    if (!statement) {
        responder.send(error.toResponse());
        return;
    }

    PgJob job;
    job.statements = {roleStatement(identity), *statement};
    if (isWrite && m_ownWrites) {
        // The writing transaction's id: clients compare it with snapshots.
        job.statements.append(PgStatement{QByteArrayLiteral("SELECT pg_current_xact_id()::text"), {}});
    }
    if (!isWrite && (api->count == ApiRequest::Count::Planned || api->count == ApiRequest::Count::Estimated)) {
        // Same WHERE as the read, so it cannot fail where the read built.
        if (const auto planned = SqlBuilder::buildPlannedCount(*api, *table, &error))
            job.statements.append(*planned); // results[2]
    }
    const bool authenticated = identity.authenticated;
    const ApiRequest r = *api;
    QPointer<OwnWritesSource> ownWrites = m_ownWrites;
    // A write with an Idempotency-Key runs once; a resend gets its answer.
    QByteArray idempotencyKey;
    const QByteArray requestKey = request.header("Idempotency-Key");
    if (isWrite && !requestKey.isEmpty()) {
        idempotencyKey = identity.claimsJson + '\n' + request.method + ' ' + request.target + '\n' + requestKey;
        if (m_idempotency.begin(idempotencyKey, responder) != IdempotencyCache::Outcome::Run)
            return;
    }
    IdempotencyCache *idempotency = &m_idempotency;
    auto answer = [responder, idempotencyKey, idempotency](const HttpResponse &response) {
        if (!idempotencyKey.isEmpty())
            idempotency->finish(idempotencyKey, response);
        responder.send(response);
    };
    job.done = [answer, authenticated, r, ownWrites](const QList<PgResult> &results, const PgError &pgError) {
        if (!pgError.isNull()) {
            answer(jobError(results, pgError, authenticated).toResponse());
            return;
        }
        // Committed: only now does the change become an event.
        const PgResult &result = results.at(1);
        QByteArray rows = result.value(0, 0);
        const qint64 count = result.columns ? result.value(0, 1).toLongLong() : result.affected;
        if (r.operation != ApiRequest::Operation::Read && count > 0 && ownWrites) {
            Change change;
            change.action = r.operation == ApiRequest::Operation::Create ? Change::Action::Create
                : r.operation == ApiRequest::Operation::Update           ? Change::Action::Update
                                                                         : Change::Action::Delete;
            change.schema = r.schema;
            change.table = r.table;
            change.rows = rows;
            if (r.operation == ApiRequest::Operation::Update)
                change.oldRows = result.value(0, 2);
            change.completeOldRows = true; // whole rows from the statement itself
            ownWrites->record(change, quint32(results.value(2).value(0, 0).toULongLong()));
        }

        HttpResponse response;
        // Literals: static data, no allocation for every answer.
        addHeader(response, QByteArrayLiteral("Content-Type"), kJsonType);
        if (r.operation == ApiRequest::Operation::Read) {
            const qint64 total = readTotal(r, count, result, results.value(2));
            const QByteArray totalText = total < 0 ? QByteArray("*") : QByteArray::number(total);
            const QByteArray range = count > 0
                ? QByteArray(QByteArray::number(r.offset) + '-' + QByteArray::number(r.offset + count - 1) + '/' + totalText)
                : QByteArray("*/" + totalText);
            addHeader(response, QByteArrayLiteral("Content-Range"), range);
            if (total > r.offset + count)
                response.status = 206;
            addHeader(response, QByteArrayLiteral("Aiodata-Snapshot"), result.value(0, 3));
        } else {
            response.status = r.operation == ApiRequest::Operation::Create ? 201 : 200;
            addHeader(response, QByteArrayLiteral("Content-Range"), "*/" + QByteArray::number(count));
            QByteArray applied = r.returnRepresentation ? QByteArrayLiteral("return=representation") : QByteArrayLiteral("return=minimal");
            if (r.operation == ApiRequest::Operation::Create && (r.mergeDuplicates || r.ignoreDuplicates))
                applied += r.mergeDuplicates ? ", resolution=merge-duplicates" : ", resolution=ignore-duplicates";
            addHeader(response, QByteArrayLiteral("Preference-Applied"), applied);
            if (!r.returnRepresentation) {
                if (r.operation != ApiRequest::Operation::Create)
                    response.status = 204;
                answer(response);
                return;
            }
            // select= on a write shapes the answer (column 3), as PostgREST
            // does; the events above keep the full rows.
            if (!r.select.isEmpty())
                rows = result.value(0, 3);
        }
        if (r.singleObject) {
            if (count != 1 && r.operation == ApiRequest::Operation::Read) {
                answer(makeError(406, "PGRST116", QStringLiteral("JSON object requested, multiple (or no) rows returned"),
                                         QStringLiteral("The result contains %1 rows").arg(count))
                                   .toResponse());
                return;
            }
            if (count == 1) {
                // json_agg's "[{...}]" -> "{...}"
                rows = rows.trimmed();
                rows = rows.mid(1, rows.size() - 2);
            }
        }
        response.body = rows;
        answer(response);
    };
    m_pool->execute(std::move(job));
}

void Routes::subscribe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity)
{
    const QUrlQuery q(QString::fromUtf8(request.query));
    QString schema = q.queryItemValue(QStringLiteral("schema"), QUrl::FullyDecoded);
    if (schema.isEmpty())
        schema = QString::fromUtf8(request.header("Accept-Profile"));
    if (schema.isEmpty())
        schema = m_config.dbSchemas.value(0);
    if (!m_config.dbSchemas.contains(schema)) {
        responder.send(makeError(406, "PGRST106", QStringLiteral("The schema must be one of the following: %1")
                                                      .arg(m_config.dbSchemas.join(QLatin1String(", "))))
                           .toResponse());
        return;
    }
    if (m_fanout->subscriberCount() >= m_config.maxSubscribers) {
        responder.send(makeError(503, "AIODATA005", QStringLiteral("Too many subscribers on this server"),
                                 QStringLiteral("limit %1 (AIODATA_MAX_SUBSCRIBERS)").arg(m_config.maxSubscribers))
                           .toResponse());
        return;
    }
    if (identity.authenticated && m_fanout->subscriberCount(identity.claimsJson) >= m_config.maxSubscribersPerToken) {
        responder.send(makeError(429, "AIODATA006", QStringLiteral("Too many subscribers with this token"),
                                 QStringLiteral("limit %1 (AIODATA_MAX_SUBSCRIBERS_PER_TOKEN)").arg(m_config.maxSubscribersPerToken))
                           .toResponse());
        return;
    }
    // Decided when it subscribes and again at each schema reload: which
    // tables its role may read.
    PgJob job;
    job.statements = {roleStatement(identity), PgStatement{SchemaCache::readableTablesSql(), {schema.toUtf8()}}};
    const Identity who = identity;
    // ?since=<seq>&epoch=<epoch>: resume after the client's last applied transaction.
    const QString since = q.queryItemValue(Protocol::StateQuery::Since);
    const QString epoch = q.queryItemValue(Protocol::StateQuery::Epoch, QUrl::FullyDecoded);
    job.done = [responder, who, schema, since, epoch](const QList<PgResult> &results, const PgError &error) {
        if (!error.isNull()) {
            responder.send(jobError(results, error, who.authenticated).toResponse());
            return;
        }
        SubscriberContext context;
        context.resume = !since.isEmpty();
        context.since = since.toULongLong();
        context.sinceEpoch = epoch;
        context.role = who.role;
        context.claimsJson = who.claimsJson;
        context.schema = schema;
        context.expiresAt = who.expiresAt;
        const QJsonArray tables = QJsonDocument::fromJson(results.at(1).value(0, 0)).array();
        for (const QJsonValue &t : tables)
            context.readableTables.insert(t.toString());
        context.privileges = results.at(1).value(0, 1);
        responder.acceptWebSocket(QVariant::fromValue(context));
    };
    m_pool->execute(std::move(job));
}

} // namespace Aiodata::Server
