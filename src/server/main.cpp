// aiodata: serves the tables of a PostgreSQL schema as a PostgREST-compatible
// REST API plus a WebSocket of committed changes. Reads PostgREST's config.

#include "app/config.h"
#include "fanout/fanout.h"
#include "http/httpserver.h"
#include "app/logging.h"
#include "capture/ownwritessource.h"
#include "pg/pglistener.h"
#include "pg/pgpool.h"
#include "rest/routes.h"
#include "fanout/rowfilter.h"
#include "rest/sqlbuilder.h"
#include "schema/schemacache.h"
#include "schema/schemareloader.h"
#include "capture/walsource.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <clocale>
#include <cstdio>
#include <cstring>
#include <functional>
#include <langinfo.h>
#include <memory>
#include <utility>

using namespace Aiodata::Server;

// The oldest PostgreSQL served (server_version_num): pg_current_snapshot()
// and libpq's pipeline are 13+ and 14+, and 14 is the oldest major still
// supported by the PostgreSQL project.
static constexpr int MinimumServerVersion = 140000;

static int fatal(const QString &message, int code = 1)
{
    // One clear line, no stack of warnings.
    std::fprintf(stderr, "aiodata: %s\n", qUtf8Printable(message));
    std::fflush(stderr);
    return code;
}

// A server started with no UTF-8 locale (a container, a systemd unit without
// LANG): Qt switches LC_CTYPE to C.UTF-8 itself, and says so in a warning
// that would come before every start-up error. Make the same switch quietly.
static void useUtf8Locale()
{
    std::setlocale(LC_ALL, "");
    if (std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
        return;
    qputenv("LC_CTYPE", "C.UTF-8");
    std::setlocale(LC_CTYPE, "C.UTF-8");
}

int main(int argc, char *argv[])
{
    useUtf8Locale();
    // Qt's glib event dispatcher walks every socket when one is added or
    // removed: with 1,000 subscribers each event costs 2.5x the CPU
    // (docs/performance.md). The plain Unix dispatcher has no such cost.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("aiodata"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AIODATA_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Serves a PostgreSQL schema as a PostgREST-compatible REST API under /query, its description at /,\n"
        "and every committed change as events on the WebSocket /state. Reads a PostgREST config file\n"
        "(db-uri, db-schemas, db-anon-role, jwt-secret, jwt-secret-is-base64, jwt-aud, db-pool, db-prepared-statements,\n"
        "db-channel, db-channel-enabled). NOTIFY pgrst, 'reload schema' reloads the schema cache."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("config"), QStringLiteral("PostgREST config file, e.g. postgrest.conf"));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"),
        QStringLiteral("Address to serve on, HOST:PORT (default 127.0.0.1:4000; environment AIODATA_LISTEN). Port 0 picks a free port."),
        QStringLiteral("host:port"));
    parser.addOption(listenOption);
    const QCommandLineOption eventsOption(
        QStringLiteral("events"),
        QStringLiteral("Where events come from: wal (logical replication: every writer), own (writes through this server only) "
                       "or auto (wal when the database allows it, else own; the default; environment AIODATA_EVENTS)."),
        QStringLiteral("auto|wal|own"));
    const QCommandLineOption publicationOption(
        QStringLiteral("publication"),
        QStringLiteral("Publication to stream in wal mode (default aiodata; created FOR TABLES IN SCHEMA when missing and "
                       "allowed; environment AIODATA_PUBLICATION)."),
        QStringLiteral("name"));
    const QCommandLineOption replicationUriOption(
        QStringLiteral("replication-uri"),
        QStringLiteral("Connection for the replication stream, as a role with REPLICATION (default: db-uri; environment "
                       "AIODATA_REPLICATION_URI)."),
        QStringLiteral("uri"));
    parser.addOptions({eventsOption, publicationOption, replicationUriOption});
    parser.process(app);
    auto setting = [&parser](const QCommandLineOption &option, const char *env, const QString &fallback) {
        if (parser.isSet(option))
            return parser.value(option);
        const QString value = qEnvironmentVariable(env);
        return value.isEmpty() ? fallback : value;
    };
    const QString events = setting(eventsOption, "AIODATA_EVENTS", QStringLiteral("auto"));
    if (events != QLatin1String("auto") && events != QLatin1String("wal") && events != QLatin1String("own"))
        return fatal(QStringLiteral("--events takes auto, wal or own, not \"%1\"").arg(events), 2);
    const QString publication = setting(publicationOption, "AIODATA_PUBLICATION", QStringLiteral("aiodata"));

    const QStringList args = parser.positionalArguments();
    if (args.size() != 1)
        return fatal(QStringLiteral("usage: aiodata [--listen HOST:PORT] postgrest.conf (see --help)"), 2);

    QString error;
    std::optional<Config> config = Config::fromFile(args.first(), &error);
    if (!config)
        return fatal(error, 2);
    const QString listen = parser.isSet(listenOption) ? parser.value(listenOption)
                                                      : qEnvironmentVariable("AIODATA_LISTEN");
    if (!listen.isEmpty() && !config->setListen(listen))
        return fatal(QStringLiteral("invalid listen address \"%1\", expected HOST:PORT").arg(listen), 2);

    const QString replicationUri = setting(replicationUriOption, "AIODATA_REPLICATION_URI", config->dbUri);
    if (!config->applyLimitsFromEnvironment(&error))
        return fatal(error, 2);

    PgPool pool(config->dbUri.toUtf8(), config->dbPool);
    pool.setPreparedStatements(config->dbPreparedStatements);
    SchemaCache schema;
    HttpServer http;
    HttpLimits httpLimits = http.limits();
    httpLimits.maxBodyBytes = config->maxBodyBytes;
    http.setLimits(httpLimits);
    // Chosen at start-up, once the database is known (see chooseSource).
    std::unique_ptr<ChangeSource> source;
    std::unique_ptr<Fanout> fanout;
    std::unique_ptr<RowFilter> rowFilter;
    std::unique_ptr<Routes> routes;

    int exitCode = 0;
    bool started = false;
    std::function<void()> serve;
    std::function<void()> chooseSource;
    auto stop = [&](const QString &message) {
        exitCode = fatal(message);
        QCoreApplication::exit(exitCode);
    };

    QObject::connect(&pool, &PgPool::failed, &app, [&](const QString &message) {
        if (!started) {
            if (!exitCode) // every pooled connection fails: say it once
                stop(QStringLiteral("cannot connect to the database: %1").arg(message.simplified()));
        } else {
            qCWarning(lcServer) << "database unavailable:" << message.simplified();
        }
    });
    // The schema cache: loaded once the pool is ready and LISTEN is in
    // place (so no notification falls between the two), reloaded on NOTIFY
    // (PostgREST's db-channel) and after the listener reconnects.
    SchemaReloader reloader(&schema, &pool, config->dbSchemas);
    std::unique_ptr<PgListener> listener;
    bool poolReady = false;
    bool listenerFailed = false;
    bool loadStarted = false;
    auto firstLoad = [&] {
        if (loadStarted || !poolReady || (listener && !listener->isListening() && !listenerFailed))
            return;
        loadStarted = true;
        reloader.load();
    };
    if (config->dbChannelEnabled) {
        listener = std::make_unique<PgListener>(config->dbUri.toUtf8(), config->dbChannel);
        QObject::connect(listener.get(), &PgListener::notified, &reloader, &SchemaReloader::notify);
        QObject::connect(listener.get(), &PgListener::failed, &app, [&] {
            // Start anyway; it keeps trying and reloads once it listens.
            listenerFailed = true;
            firstLoad();
        });
        QObject::connect(listener.get(), &PgListener::listening, &reloader, [&](bool again) {
            if (!loadStarted) {
                firstLoad();
                return;
            }
            // Notifications sent while it was not listening are lost.
            qCInfo(lcServer) << (again ? "schema reload listener connected again" : "schema reload listener connected")
                             << "- reloading in case a notification was missed";
            reloader.requestReload();
        });
    }
    bool firstResult = true;
    QObject::connect(&reloader, &SchemaReloader::failed, &app, [&](const QString &message) {
        if (std::exchange(firstResult, false) && !exitCode)
            stop(message);
    });
    QObject::connect(&reloader, &SchemaReloader::loaded, &app, [&] {
        if (std::exchange(firstResult, false) && !exitCode)
            chooseSource();
    });
    QObject::connect(&pool, &PgPool::ready, &app, [&] {
        poolReady = true;
        firstLoad();
    });

    serve = [&] {
        fanout = std::make_unique<Fanout>(source.get());
        fanout->setMaxBufferedBytes(config->maxSendBufferBytes);
        rowFilter = std::make_unique<RowFilter>(&schema, &pool);
        fanout->setRowFilter(rowFilter.get());
        reloader.setFanout(fanout.get());
        reloader.setRowFilter(rowFilter.get());
        if (qobject_cast<WalSource *>(source.get()))
            rowFilter->reportReplicaIdentities(config->dbSchemas);
        routes = std::make_unique<Routes>(*config, &schema, &pool, qobject_cast<OwnWritesSource *>(source.get()),
                                          fanout.get(), &http);
        if (!http.listen(config->listenAddress, config->listenPort)) {
            stop(QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(config->listenAddress.toString())
                     .arg(config->listenPort)
                     .arg(http.errorString()));
            return;
        }
        started = true;
        const QString host = config->listenAddress.protocol() == QAbstractSocket::IPv6Protocol
            ? QLatin1Char('[') + config->listenAddress.toString() + QLatin1Char(']')
            : config->listenAddress.toString();
        // Tests and scripts read this line for the port.
        QTextStream(stdout) << "aiodata: serving " << config->dbSchemas.join(QLatin1String(", "))
                            << " on http://" << host << ':' << http.serverPort()
                            << " (events: " << source->name() << ")" << Qt::endl;
    };
    auto useOwnWrites = [&](const QString &reason) {
        if (events == QLatin1String("wal")) {
            stop(QStringLiteral("logical replication unavailable: %1").arg(reason));
            return;
        }
        if (!reason.isEmpty()) {
            // Said once, so operators know why psql writes do not show up.
            std::fprintf(stderr, "aiodata: logical replication unavailable (%s); events come from writes through this server only\n",
                         qUtf8Printable(reason.simplified()));
        }
        source = std::make_unique<OwnWritesSource>();
        serve();
    };
    chooseSource = [&] {
        // The server's version first: what it lacks is said here, once, not
        // as a syntax error later. wal_level and the publication then decide;
        // a missing publication is created when the role may (FOR TABLES IN
        // SCHEMA needs a superuser, and PostgreSQL 15).
        QList<QByteArray> schemas;
        for (const QString &s : std::as_const(config->dbSchemas))
            schemas.append(SqlBuilder::quoteIdentifier(s));
        const QByteArray create = "CREATE PUBLICATION " + SqlBuilder::quoteIdentifier(publication)
            + " FOR TABLES IN SCHEMA " + schemas.join(", ");
        PgJob job;
        job.statements = {PgStatement{QByteArrayLiteral("SELECT current_setting('server_version_num')::int, "
                                                        "current_setting('server_version'), current_setting('wal_level'), "
                                                        "EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)"),
                                      {publication.toUtf8()}}};
        job.done = [&, create](const QList<PgResult> &results, const PgError &error) {
            if (!error.isNull()) {
                useOwnWrites(events == QLatin1String("own") ? QString() : error.message);
                return;
            }
            const PgResult &r = results.at(0);
            const int version = r.value(0, 0).toInt();
            if (version < MinimumServerVersion) {
                stop(QStringLiteral("PostgreSQL %1 is not supported: aiodata needs PostgreSQL 14 or newer")
                         .arg(QString::fromUtf8(r.value(0, 1))));
                return;
            }
            if (events == QLatin1String("own")) {
                useOwnWrites(QString());
                return;
            }
            if (r.value(0, 2) != "logical") {
                useOwnWrites(QStringLiteral("wal_level is %1, not logical").arg(QString::fromUtf8(r.value(0, 2))));
                return;
            }
            auto startStream = [&] {
                auto *wal = new WalSource(replicationUri.toUtf8(), publication, config->dbSchemas, &pool);
                source.reset(wal);
                QObject::connect(wal, &WalSource::started, &app, [&] { serve(); });
                QObject::connect(wal, &WalSource::failed, &app, [&](const QString &message) {
                    source.release()->deleteLater();
                    useOwnWrites(message);
                });
                wal->start();
            };
            if (r.value(0, 3) == "t") {
                startStream();
                return;
            }
            if (version < 150000) {
                useOwnWrites(QStringLiteral("publication \"%1\" does not exist, and PostgreSQL %2 cannot publish a "
                                            "whole schema (FOR TABLES IN SCHEMA is new in 15); create it, e.g. "
                                            "CREATE PUBLICATION %1 FOR ALL TABLES")
                                 .arg(publication, QString::fromUtf8(r.value(0, 1))));
                return;
            }
            PgJob createJob;
            createJob.statements = {PgStatement{create, {}}};
            createJob.done = [&, startStream](const QList<PgResult> &, const PgError &createError) {
                if (!createError.isNull())
                    useOwnWrites(QStringLiteral("cannot create publication \"%1\": %2").arg(publication, createError.message));
                else
                    startStream();
            };
            pool.execute(std::move(createJob));
        };
        pool.execute(std::move(job));
    };

    pool.start();
    if (listener)
        listener->start();
    const int rc = app.exec();
    // Destroy in dependency order: routes and fan-out use the source.
    listener.reset();
    reloader.setFanout(nullptr);
    reloader.setRowFilter(nullptr);
    routes.reset();
    fanout.reset();
    rowFilter.reset();
    source.reset();
    return exitCode ? exitCode : rc;
}
