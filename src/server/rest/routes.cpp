#include "rest/routes.h"

#include "rest/apirequest.h"
#include "rest/apiresponse.h"
#include "rest/embedplan.h"
#include "fanout/fanout.h"
#include "rest/idempotencycache.h"
#include "rest/idempotencystore.h"
#include "base/logging.h"
#include "capture/ownwritessource.h"
#include "pg/pgpool.h"
#include "rest/rpcplan.h"
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

Routes::Routes(const Config &config, JwtVerifier jwt, const SchemaCache *schema, PgPool *pool,
               OwnWritesSource *ownWrites, Fanout *fanout, HttpServer *http, const IdempotencyStore *keys,
               QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_schema(schema)
    , m_pool(pool)
    , m_ownWrites(ownWrites)
    , m_fanout(fanout)
    , m_jwt(std::move(jwt))
    // Never longer than the database keeps a key: a resend past that runs
    // again on every instance alike.
    , m_idempotency(10000, qMin<qint64>(10 * 60, config.idempotencySeconds) * 1000)
    , m_keys(keys)
{
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
            responder.send(ApiError::originNotAllowed(origin).toResponse());
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
        responder.send(ApiError::originNotAllowed(origin).toResponse());
        return;
    }
    const QByteArray &path = request.path;
    const bool isRoot = path == "/" || path.isEmpty();
    const bool isQuery = path.startsWith("/query/");
    const bool isState = path == "/state";
    if (!isRoot && !isQuery && !isState) {
        responder.send(ApiError::invalidPath().toResponse());
        return;
    }
    if ((isRoot || isState) && request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = ApiError::unsupportedMethod(request.method).toResponse();
        addHeader(r, "Allow", "GET, HEAD");
        responder.send(r);
        return;
    }
    if (isState && !request.isWebSocketUpgrade()) {
        HttpResponse r = ApiError::webSocketRequired().toResponse();
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
            *error = ApiError::notBearer();
            return std::nullopt;
        }
        token = authorization.mid(7).trimmed();
        if (token.isEmpty()) {
            *error = ApiError::emptyToken();
            return std::nullopt;
        }
    } else if (request.path == "/state") {
        // Browsers' WebSocket API cannot set headers: accept ?token= there.
        const QUrlQuery q(QString::fromUtf8(request.query));
        token = q.queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded).toUtf8();
    }

    if (token.isEmpty()) {
        if (m_config.dbAnonRole.isEmpty()) {
            *error = ApiError::anonymousDisabled();
            return std::nullopt;
        }
        Identity identity;
        identity.role = m_config.dbAnonRole;
        QJsonObject claims;
        claims.insert(QLatin1String("role"), identity.role);
        identity.claimsJson = QJsonDocument(claims).toJson(QJsonDocument::Compact);
        return identity;
    }
    return identityOf(token, error);
}

std::optional<Routes::Identity> Routes::identityOf(const QByteArray &token, ApiError *error) const
{
    const JwtVerifier::Result result = m_jwt.verify(token);
    if (!result.isValid()) {
        *error = ApiError::fromJwt(result);
        return std::nullopt;
    }
    Identity identity;
    identity.authenticated = true;
    identity.token = token;
    identity.role = result.role.value_or(QString());
    if (identity.role.isEmpty())
        identity.role = m_config.dbAnonRole;
    if (identity.role.isEmpty()) {
        *error = ApiError::anonymousDisabled(QStringLiteral("The JWT has no role claim and db-anon-role is not set"));
        return std::nullopt;
    }
    identity.claimsJson = result.claimsJson;
    identity.expiresAt = result.expiresAt;
    return identity;
}

void Routes::setJwtVerifier(JwtVerifier jwt)
{
    m_jwt = std::move(jwt);
    // Checked as a new subscription would be: the same role, or closed.
    const int closed = m_fanout->closeSubscribers([this](const SubscriberContext &context) {
        if (context.token.isEmpty())
            return QString();
        ApiError error;
        const std::optional<Identity> identity = identityOf(context.token, &error);
        if (!identity)
            return error.message;
        if (identity->role != context.role)
            return QStringLiteral("JWT role changed");
        return QString();
    });
    if (closed > 0)
        qCInfo(lcServer) << "closed" << closed << "subscriber(s) whose token the new JWT settings refuse";
}

bool Routes::rollsBack(const ApiRequest &request) const
{
    // PostgREST's db-tx-end: tx= is only there when an override is allowed.
    const bool rollbackByDefault =
        m_config.dbTxEnd == Config::TxEnd::Rollback || m_config.dbTxEnd == Config::TxEnd::RollbackAllowOverride;
    return rollbackByDefault ? request.tx != ApiRequest::Tx::Commit : request.tx == ApiRequest::Tx::Rollback;
}

PgStatement Routes::rollbackStatement()
{
    // A job is one implicit transaction up to its sync point: ROLLBACK as
    // its last statement ends it without committing (PostgreSQL warns that
    // no explicit transaction is in progress, and aborts this one), after
    // every result was read as usual.
    return PgStatement{QByteArrayLiteral("ROLLBACK"), {}, false};
}

PgStatement Routes::roleStatement(const Identity &identity)
{
    return PgSql::roleStatement(identity.role, identity.claimsJson);
}

// The own-writes event of a committed write; results as Routes::query sends
// them, [2] the writing transaction's id.
static void recordOwnWrite(OwnWritesSource *ownWrites, const ApiRequest &r, const QList<PgResult> &results)
{
    const PgResult &result = results.at(1);
    if (r.operation == ApiRequest::Operation::Read || SqlBuilder::rowCount(result) <= 0)
        return;
    Change change;
    change.action = r.operation == ApiRequest::Operation::Create ? Change::Action::Create
        : r.operation == ApiRequest::Operation::Update           ? Change::Action::Update
                                                                 : Change::Action::Delete;
    change.schema = r.schema;
    change.table = r.table;
    change.rows = result.value(0, 0);
    if (r.operation == ApiRequest::Operation::Update)
        change.oldRows = result.value(0, 2);
    change.completeOldRows = true; // whole rows from the statement itself
    ownWrites->record(change, quint32(results.value(2).value(0, 0).toULongLong()));
}

void Routes::describe(const HttpRequest &request, const HttpResponder &responder, const Identity &identity)
{
    const QByteArray profile = request.header("Accept-Profile");
    const QString schema = profile.isEmpty() ? m_config.dbSchemas.value(0) : QString::fromUtf8(profile);
    if (!m_config.dbSchemas.contains(schema)) {
        responder.send(ApiError::unacceptableSchema(m_config.dbSchemas).toResponse());
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
            responder.send(ApiError::fromJob(results, error, authenticated).toResponse());
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
    const std::optional<ApiRequest> api =
        ApiRequest::parse(request, pathTail, m_config.dbSchemas, &error, m_config.txOverrideAllowed());
    if (!api) {
        responder.send(error.toResponse());
        return;
    }
    if (api->rpc) {
        call(*api, responder, identity);
        return;
    }
    const TableInfo *table = m_schema->table(api->schema, api->table);
    if (!table) {
        responder.send(ApiError::tableNotFound(api->schema, api->table).toResponse());
        return;
    }
    const bool isWrite = api->operation != ApiRequest::Operation::Read;
    // Own-writes events are made of the written rows; in wal mode the rows
    // come from the WAL, so an answer without a body needs none.
    const bool rowsNeeded = !isWrite || api->returnRepresentation || m_ownWrites;
    // Embedded resources: their relationships found before any SQL exists.
    std::optional<EmbedPlan> embeds;
    if (api->hasEmbeds()) {
        embeds = EmbedPlan::plan(*api, *m_schema, *table, &error);
        if (!embeds) {
            responder.send(error.toResponse());
            return;
        }
    }
    const EmbedPlan *plan = embeds ? &*embeds : nullptr;
    // A write with an Idempotency-Key runs once; a resend gets its answer.
    // Scoped by identity, method and URL: another token's resend is another write.
    QByteArray idempotencyKey;
    const QByteArray requestKey = isWrite ? request.header("Idempotency-Key") : QByteArray();
    if (!requestKey.isEmpty())
        idempotencyKey = identity.claimsJson + '\n' + request.method + ' ' + request.target + '\n' + requestKey;
    // Recorded in the write's transaction when the database keeps keys.
    const bool durableKey = !idempotencyKey.isEmpty() && m_keys && m_keys->durable();
    const SqlBuilder::Rows rows = durableKey ? SqlBuilder::Rows::Kept
        : rowsNeeded                         ? SqlBuilder::Rows::Needed
                                             : SqlBuilder::Rows::NotNeeded;
    const std::optional<PgStatement> statement = m_sql.build(*api, *table, &error, rows, plan);
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
    // max-affected: checked in the write's transaction, so that a write of
    // more rows rolls back (PGRST124) and changes nothing.
    qsizetype guardIndex = -1;
    if (api->maxAffectedApplies()) {
        const QList<PgStatement> guard = SqlBuilder::maxAffectedGuard(api->maxAffected);
        guardIndex = job.statements.size() + guard.size() - 1;
        job.statements.append(guard);
    }
    if (!isWrite && (api->count == ApiRequest::Count::Planned || api->count == ApiRequest::Count::Estimated)) {
        // Same WHERE as the read, so it cannot fail where the read built.
        if (const auto planned = SqlBuilder::buildPlannedCount(*api, *table, &error, plan))
            job.statements.append(*planned); // results[2]
    }
    const bool authenticated = identity.authenticated;
    const ApiRequest r = *api;
    QPointer<OwnWritesSource> ownWrites = m_ownWrites;
    if (!idempotencyKey.isEmpty() && m_idempotency.begin(idempotencyKey, responder) != IdempotencyCache::Outcome::Run)
        return;
    IdempotencyCache *idempotency = &m_idempotency;
    auto answer = [responder, idempotencyKey, idempotency](const HttpResponse &response, IdempotencyCache::Keep keep) {
        if (!idempotencyKey.isEmpty())
            idempotency->finish(idempotencyKey, response, keep);
        responder.send(response);
    };
    // A failed write: in memory only, its answer is remembered as before;
    // with the database, no key was committed, so a resend runs again
    // everywhere (here too).
    const IdempotencyCache::Keep failed = durableKey ? IdempotencyCache::Keep::Forget : IdempotencyCache::Keep::Remember;
    const bool rollback = isWrite && rollsBack(*api); // a read has nothing to undo
    auto written = [answer, authenticated, r, ownWrites, failed, guardIndex, rollback](const QList<PgResult> &results,
                                                                                      const PgError &pgError) {
        if (!pgError.isNull() && guardIndex >= 0
            && results.value(guardIndex).error.sqlState == SqlBuilder::maxAffectedSqlState) {
            answer(ApiError::maxAffectedExceeded(SqlBuilder::rowCount(results.value(1))).toResponse(), failed);
            return;
        }
        if (!pgError.isNull()) {
            answer(ApiError::fromJob(results, pgError, authenticated).toResponse(), failed);
            return;
        }
        // Committed: only now does the change become an event (a rolled
        // back one never does; nor does the WAL have it).
        if (ownWrites && !rollback)
            recordOwnWrite(ownWrites, r, results);
        answer(ApiResponse::fromResults(r, results), IdempotencyCache::Keep::Remember);
    };
    if (!durableKey) {
        if (rollback)
            job.statements.append(rollbackStatement());
        job.done = written;
        m_pool->execute(std::move(job));
        return;
    }
    const QByteArray storedKey = IdempotencyStore::storedKey(idempotencyKey);
    job.statements.prepend(IdempotencyStore::claimStatement(storedKey));
    job.statements.append(IdempotencyStore::storeStatements(storedKey));
    if (rollback)
        job.statements.append(rollbackStatement()); // the key too: nothing was done
    // Timed as the write it is, not as every keyed write's last statement.
    job.shape = statement->sql;
    auto replayed = [responder, idempotencyKey, idempotency, r](const PgResult &kept) {
        // The first answer, rebuilt as it was from the same result row.
        const HttpResponse response = ApiResponse::fromResults(r, {PgResult(), kept});
        idempotency->finish(idempotencyKey, response, IdempotencyCache::Keep::Remember);
        HttpResponse shown = response;
        addHeader(shown, "Idempotent-Replayed", "true");
        responder.send(shown);
    };
    runKeyed(std::move(job), storedKey, std::move(written), std::move(replayed));
}

void Routes::runKeyed(PgJob job, const QByteArray &storedKey, JobDone written, Replayed replayed, bool again)
{
    QPointer<Routes> self = this;
    PgPool *pool = m_pool;
    const QList<PgStatement> statements = job.statements; // shared, not copied: for a second run
    const QByteArray shape = job.shape;
    job.done = [self, pool, storedKey, statements, shape, written, replayed, again](const QList<PgResult> &results,
                                                                              const PgError &error) {
        const PgResult claim = results.value(0);
        if (IdempotencyStore::isDuplicate(claim)) {
            // Committed by an earlier run (here, before a restart, or on
            // another instance): its answer, and the write is not run.
            PgJob read;
            read.statements = {IdempotencyStore::answerStatement(storedKey)};
            read.done = [self, storedKey, statements, shape, written, replayed, again](const QList<PgResult> &rs, const PgError &e) {
                if (!e.isNull()) {
                    written({}, e);
                    return;
                }
                if (rs.value(0).rows.isEmpty()) {
                    // Deleted (retention) since the claim saw it: a new write.
                    if (self && !again) {
                        PgJob job;
                        job.statements = statements;
                        job.shape = shape;
                        self->runKeyed(std::move(job), storedKey, written, replayed, true);
                    } else {
                        written({}, PgError{QByteArrayLiteral("40001"), QStringLiteral("the Idempotency-Key expired while it was resent"), {}, {}});
                    }
                    return;
                }
                const std::optional<PgResult> kept = IdempotencyStore::keptResult(rs.value(0).value(0, 0));
                if (!kept) {
                    written({}, PgError{QByteArrayLiteral("XX000"), QStringLiteral("the Idempotency-Key's stored answer is unreadable"), {}, {}});
                    return;
                }
                replayed(*kept);
            };
            pool->execute(std::move(read));
            return;
        }
        if (!claim.ok) {
            // The claim itself failed (the connection, the table gone): as the write's error.
            written({}, error);
            return;
        }
        written(results.mid(1), error);
    };
    m_pool->execute(std::move(job));
}

void Routes::call(const ApiRequest &api, const HttpResponder &responder, const Identity &identity)
{
    ApiError error;
    const QList<FunctionInfo> overloads = m_schema->functions(api.schema, api.function);
    const std::optional<RpcCall> plan = RpcPlan::plan(api, overloads, &error);
    if (!plan) {
        responder.send(error.toResponse());
        return;
    }
    // A set of a table's rows embeds through that table's relationships.
    std::optional<EmbedPlan> embeds;
    if (api.hasEmbeds()) {
        const TableInfo *table = EmbedPlan::resultTable(plan->function, *m_schema);
        if (!table) {
            responder.send(ApiError::embedUnsupported(QStringLiteral("on results that are no table's rows")).toResponse());
            return;
        }
        embeds = EmbedPlan::plan(api, *m_schema, *table, &error);
        if (!embeds) {
            responder.send(error.toResponse());
            return;
        }
    }
    const std::optional<PgStatement> statement = SqlBuilder::buildCall(api, *plan, &error, embeds ? &*embeds : nullptr);
    if (!statement) {
        responder.send(error.toResponse());
        return;
    }
    PgJob job;
    job.statements = {roleStatement(identity)};
    if (api.operation == ApiRequest::Operation::Read) {
        // A function that writes fails here with 25006 (405), as in PostgREST.
        job.statements.append(PgStatement{QByteArrayLiteral("SELECT set_config('transaction_read_only', 'on', true)"), {}, false});
    }
    job.statements.append(*statement);
    const qsizetype callIndex = job.statements.size() - 1;
    if (rollsBack(api))
        job.statements.append(rollbackStatement());
    const bool authenticated = identity.authenticated;
    job.done = [responder, authenticated, api, call = *plan, callIndex](const QList<PgResult> &results, const PgError &pgError) {
        if (!pgError.isNull()) {
            responder.send(ApiError::fromJob(results, pgError, authenticated).toResponse());
            return;
        }
        responder.send(ApiResponse::fromCall(api, call, results.value(callIndex)));
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
        responder.send(ApiError::unacceptableSchema(m_config.dbSchemas).toResponse());
        return;
    }
    if (m_fanout->subscriberCount() >= m_config.maxSubscribers) {
        responder.send(ApiError::tooManySubscribers(m_config.maxSubscribers).toResponse());
        return;
    }
    if (identity.authenticated && m_fanout->subscriberCount(identity.claimsJson) >= m_config.maxSubscribersPerToken) {
        responder.send(ApiError::tooManySubscribersPerToken(m_config.maxSubscribersPerToken).toResponse());
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
    // ?tables=a,b: a selective stream (those whole tables, and subsets).
    const bool selective = q.hasQueryItem(Protocol::StateQuery::Tables);
    const QStringList wholeTables =
        q.queryItemValue(Protocol::StateQuery::Tables, QUrl::FullyDecoded).split(QLatin1Char(','), Qt::SkipEmptyParts);
    job.done = [responder, who, schema, since, epoch, selective, wholeTables](const QList<PgResult> &results, const PgError &error) {
        if (!error.isNull()) {
            responder.send(ApiError::fromJob(results, error, who.authenticated).toResponse());
            return;
        }
        SubscriberContext context;
        context.resume = !since.isEmpty();
        context.since = since.toULongLong();
        context.sinceEpoch = epoch;
        context.selective = selective;
        context.wholeTables = QSet<QString>(wholeTables.cbegin(), wholeTables.cend());
        context.role = who.role;
        context.token = who.token;
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
