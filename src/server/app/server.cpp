#include "app/server.h"

#include "app/unixsignalnotifier.h"
#include "auth/jwtverifier.h"
#include "base/logging.h"
#include "capture/ownwritessource.h"
#include "capture/walsource.h"
#include "fanout/fanout.h"
#include "fanout/rowfilter.h"
#include "fanout/subsetfilter.h"
#include "rest/subsetplanner.h"
#include "http/httpserver.h"
#include "pg/pglistener.h"
#include "rest/idempotencystore.h"
#include "pg/pgpool.h"
#include "pg/pgsql.h"
#include "rest/routes.h"
#include "schema/schemacache.h"
#include "schema/schemareloader.h"

#include <QCoreApplication>
#include <QTextStream>

#include <csignal>

#include <cstdio>
#include <utility>

namespace Aiodata::Server {

Server::Server(Config config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_pool(std::make_unique<PgPool>(m_config.dbUri.toUtf8(), m_config.dbPool))
    , m_schema(std::make_unique<SchemaCache>())
    , m_http(std::make_unique<HttpServer>())
{
    m_pool->setPreparedStatements(m_config.dbPreparedStatements);
    HttpLimits httpLimits = m_http->limits();
    httpLimits.maxBodyBytes = m_config.maxBodyBytes;
    m_http->setLimits(httpLimits);

    connect(m_pool.get(), &PgPool::failed, this, [this](const QString &message) {
        if (!m_started) // every pooled connection fails: said once
            stop(QStringLiteral("cannot connect to the database: %1").arg(message.simplified()));
        else
            qCWarning(lcServer) << "database unavailable:" << message.simplified();
    });
    connect(m_pool.get(), &PgPool::ready, this, [this] {
        m_poolReady = true;
        firstLoad();
    });

    // The schema cache: loaded once the pool is ready and LISTEN is in
    // place (so no notification falls between the two), reloaded on NOTIFY
    // (PostgREST's db-channel) and after the listener reconnects.
    SchemaReloadSteps steps;
    steps.prepare = [this](std::function<void()> ready) { prepareSchemaSwap(std::move(ready)); };
    steps.commit = [this](const QSet<QString> &changed) { commitSchemaSwap(changed); };
    m_reloader = std::make_unique<SchemaReloader>(m_schema.get(), m_pool.get(), m_config.dbSchemas, std::move(steps));
    connect(m_reloader.get(), &SchemaReloader::failed, this, [this](const QString &message) {
        if (std::exchange(m_firstResult, false))
            stop(message);
    });
    connect(m_reloader.get(), &SchemaReloader::loaded, this, [this] {
        if (std::exchange(m_firstResult, false) && !m_failed)
            prepareKeys();
    });
    if (m_config.dbChannelEnabled) {
        m_listener = std::make_unique<PgListener>(m_config.dbUri.toUtf8(), m_config.dbChannel);
        connect(m_listener.get(), &PgListener::notified, this, &Server::notified);
        connect(m_listener.get(), &PgListener::failed, this, [this] {
            // Start anyway; it keeps trying and reloads once it listens.
            m_listenerFailed = true;
            firstLoad();
        });
        connect(m_listener.get(), &PgListener::listening, this, [this](bool again) {
            if (!m_loadStarted) {
                firstLoad();
                return;
            }
            // Notifications sent while it was not listening are lost.
            qCInfo(lcServer) << (again ? "schema reload listener connected again" : "schema reload listener connected")
                             << "- reloading in case a notification was missed";
            m_reloader->requestReload();
        });
    }

    // PostgREST's signals: SIGUSR1 reloads the schema cache, SIGUSR2 the config.
    m_schemaSignal = std::make_unique<UnixSignalNotifier>(SIGUSR1);
    connect(m_schemaSignal.get(), &UnixSignalNotifier::raised, m_reloader.get(), &SchemaReloader::requestReload);
    m_configSignal = std::make_unique<UnixSignalNotifier>(SIGUSR2);
    connect(m_configSignal.get(), &UnixSignalNotifier::raised, this, &Server::reloadConfig);
}

Server::~Server()
{
    // In dependency order: the routes and the fan-out use the source, the
    // fan-out the row filter; the listener feeds the reloader.
    m_listener.reset();
    m_routes.reset();
    m_keys.reset();
    m_fanout.reset();
    m_subsetFilter.reset();
    m_rowFilter.reset();
    m_source.reset();
}

void Server::start()
{
    m_pool->start();
    if (m_listener)
        m_listener->start();
}

void Server::stop(const QString &message)
{
    if (std::exchange(m_failed, true))
        return;
    Q_EMIT failed(message);
}

void Server::notified(const QString &payload)
{
    if (payload == QLatin1String("reload config"))
        reloadConfig();
    else
        m_reloader->notify(payload);
}

void Server::reloadConfig()
{
    if (m_config.sourcePath.isEmpty())
        return;
    QString error;
    const std::optional<Config> fresh = Config::fromFile(m_config.sourcePath, &error);
    std::optional<JwtVerifier> verifier;
    if (fresh)
        verifier = JwtVerifier::fromConfig(*fresh, &error);
    if (!verifier) {
        // A half-edited file must not lock everyone out: the keys in force stay.
        qCWarning(lcServer).noquote() << "config reload refused, the current settings stay:" << error;
        return;
    }
    qCInfo(lcServer).noquote() << "config reloaded from" << m_config.sourcePath << "- JWT keys:" << verifier->keyCount();
    if (m_routes)
        m_routes->setJwtVerifier(std::move(*verifier));
}

void Server::firstLoad()
{
    if (m_loadStarted || !m_poolReady || (m_listener && !m_listener->isListening() && !m_listenerFailed))
        return;
    m_loadStarted = true;
    m_reloader->load();
}

void Server::chooseSource()
{
    // The server's version first: what it lacks is said here, once, not as
    // a syntax error later. wal_level and the publication then decide.
    PgJob job;
    job.statements = {PgStatement{QByteArrayLiteral("SELECT current_setting('server_version_num')::int, "
                                                    "current_setting('server_version'), current_setting('wal_level'), "
                                                    "EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)"),
                                  {m_config.publication.toUtf8()}}};
    job.done = [this](const QList<PgResult> &results, const PgError &error) {
        if (!error.isNull()) {
            useOwnWrites(m_config.events == Config::Events::Own ? QString() : error.message);
            return;
        }
        const PgResult &r = results.at(0);
        m_serverVersion = r.value(0, 0).toInt();
        m_serverVersionText = QString::fromUtf8(r.value(0, 1));
        if (m_serverVersion < MinimumServerVersion) {
            stop(QStringLiteral("PostgreSQL %1 is not supported: aiodata needs PostgreSQL 14 or newer").arg(m_serverVersionText));
            return;
        }
        if (m_config.events == Config::Events::Own)
            useOwnWrites(QString());
        else if (r.value(0, 2) != "logical")
            useOwnWrites(QStringLiteral("wal_level is %1, not logical").arg(QString::fromUtf8(r.value(0, 2))));
        else if (r.value(0, 3) == "t")
            startStream();
        else
            createPublication();
    };
    m_pool->execute(std::move(job));
}

void Server::createPublication()
{
    // A missing publication is created when the role may: FOR TABLES IN
    // SCHEMA needs a superuser, and PostgreSQL 15.
    if (m_serverVersion < 150000) {
        useOwnWrites(QStringLiteral("publication \"%1\" does not exist, and PostgreSQL %2 cannot publish a "
                                    "whole schema (FOR TABLES IN SCHEMA is new in 15); create it, e.g. "
                                    "CREATE PUBLICATION %1 FOR ALL TABLES")
                         .arg(m_config.publication, m_serverVersionText));
        return;
    }
    QList<QByteArray> schemas;
    for (const QString &s : m_config.dbSchemas)
        schemas.append(PgSql::quoteIdentifier(s));
    PgJob job;
    job.statements = {PgStatement{"CREATE PUBLICATION " + PgSql::quoteIdentifier(m_config.publication)
                                      + " FOR TABLES IN SCHEMA " + schemas.join(", "),
                                  {}}};
    job.done = [this](const QList<PgResult> &, const PgError &error) {
        if (!error.isNull())
            useOwnWrites(QStringLiteral("cannot create publication \"%1\": %2").arg(m_config.publication, error.message));
        else
            startStream();
    };
    m_pool->execute(std::move(job));
}

void Server::startStream()
{
    auto *wal = new WalSource(m_config.replicationUri.toUtf8(), m_config.publication, m_config.dbSchemas, m_pool.get(),
                              m_config.replicationSlot);
    m_source.reset(wal);
    connect(wal, &WalSource::started, this, &Server::serve);
    connect(wal, &WalSource::failed, this, [this](const QString &message) {
        m_source.release()->deleteLater();
        useOwnWrites(message);
    });
    wal->start();
}

void Server::useOwnWrites(const QString &reason)
{
    if (m_config.events == Config::Events::Wal) {
        stop(QStringLiteral("logical replication unavailable: %1").arg(reason));
        return;
    }
    if (!reason.isEmpty()) {
        // Said once, so operators know why psql writes do not show up.
        std::fprintf(stderr, "aiodata: logical replication unavailable (%s); events come from writes through this server only\n",
                     qUtf8Printable(reason.simplified()));
    }
    m_source = std::make_unique<OwnWritesSource>();
    serve();
}

void Server::prepareKeys()
{
    // Before the change source starts: a slot replays what was committed
    // while the server was down as soon as the stream starts, and serve()
    // must then make the fan-out at once, or those transactions are lost.
    // No keyed write is served before it is known where its key goes.
    const bool served = m_config.dbSchemas.contains(QLatin1String(IdempotencyStore::Schema));
    m_keys = std::make_unique<IdempotencyStore>(m_pool.get(), m_config.idempotencySeconds, served);
    m_keys->prepare([this] {
        if (!m_failed)
            chooseSource();
    });
}

void Server::serve()
{
    m_rowFilter = std::make_unique<RowFilter>(m_schema.get(), m_pool.get());
    if (qobject_cast<WalSource *>(m_source.get()))
        m_rowFilter->reportReplicaIdentities(m_config.dbSchemas);
    m_fanout = std::make_unique<Fanout>(m_source.get(), m_rowFilter.get());
    m_fanout->setMaxBufferedBytes(m_config.maxSendBufferBytes);
    m_fanout->setMaxHistoryBytes(m_config.historyBytes);
    m_fanout->setMaxHistoryAge(qint64(m_config.historySeconds) * 1000);
    if (const int ms = qEnvironmentVariableIntValue("AIODATA_POSITION_INTERVAL_MS"); ms > 0)
        m_fanout->setPositionInterval(ms); // tests
    m_subsetFilter = std::make_unique<SubsetFilter>(m_pool.get());
    m_fanout->setMaxSubscriptions(m_config.maxSubscriptions);
    const SchemaCache *schema = m_schema.get();
    m_fanout->setSubsets(
        [schema](const SubscriberContext &subscriber, const QString &id, const QString &table, const QByteArray &query)
            -> std::variant<Subset, SubsetRefusal> {
            ApiError error;
            if (auto subset = SubsetPlanner::plan(*schema, subscriber, id, table, query, &error))
                return *std::move(subset);
            return SubsetPlanner::refusal(error);
        },
        m_subsetFilter.get());
    QString jwtError;
    std::optional<JwtVerifier> jwt = JwtVerifier::fromConfig(m_config, &jwtError);
    if (!jwt) { // not reached from main: CommandLine refused the same Config already
        stop(jwtError);
        return;
    }
    m_routes = std::make_unique<Routes>(m_config, std::move(*jwt), m_schema.get(), m_pool.get(),
                                        qobject_cast<OwnWritesSource *>(m_source.get()), m_fanout.get(), m_http.get(),
                                        m_keys.get());
    if (!m_http->listen(m_config.listenAddress, m_config.listenPort)) {
        stop(QStringLiteral("cannot listen on %1:%2: %3")
                 .arg(m_config.listenAddress.toString())
                 .arg(m_config.listenPort)
                 .arg(m_http->errorString()));
        return;
    }
    m_started = true;
    const QString host = m_config.listenAddress.protocol() == QAbstractSocket::IPv6Protocol
        ? QLatin1Char('[') + m_config.listenAddress.toString() + QLatin1Char(']')
        : m_config.listenAddress.toString();
    // Tests and scripts read this line for the port.
    QTextStream(stdout) << "aiodata: serving " << m_config.dbSchemas.join(QLatin1String(", ")) << " on http://" << host
                        << ':' << m_http->serverPort() << " (events: " << m_source->name() << ")" << Qt::endl;
}

void Server::prepareSchemaSwap(std::function<void()> ready)
{
    // What every subscribed role may read under the new schema, asked
    // before anything is swapped.
    if (!m_fanout) {
        ready();
        return;
    }
    m_rowFilter->readTables(m_fanout->subscriberRoles(),
                            [this, ready = std::move(ready)](const QHash<QString, ReadableTables> &readable) {
                                m_nextReadable = readable;
                                ready();
                            });
}

void Server::commitSchemaSwap(const QSet<QString> &changedSchemas)
{
    if (m_routes)
        m_routes->schemaReloaded();
    if (!m_fanout)
        return;
    m_fanout->schemaReloaded(std::exchange(m_nextReadable, {}), changedSchemas);
    m_rowFilter->schemaReloaded(m_config.dbSchemas);
}

} // namespace Aiodata::Server
