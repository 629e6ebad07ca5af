// aiodata: serves the tables of a PostgreSQL schema as a PostgREST-compatible
// REST API plus a WebSocket of committed changes. Reads PostgREST's config.

#include "config.h"
#include "fanout.h"
#include "httpserver.h"
#include "logging.h"
#include "ownwritessource.h"
#include "pgpool.h"
#include "routes.h"
#include "schemacache.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <memory>

using namespace Aiodata::Server;

static int fatal(const QString &message, int code = 1)
{
    // One clear line, no stack of warnings.
    std::fprintf(stderr, "aiodata: %s\n", qUtf8Printable(message));
    std::fflush(stderr);
    return code;
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("aiodata"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AIODATA_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Serves a PostgreSQL schema as a PostgREST-compatible REST API under /query, its description at /,\n"
        "and every committed change as events on the WebSocket /state. Reads a PostgREST config file\n"
        "(db-uri, db-schemas, db-anon-role, jwt-secret, jwt-secret-is-base64, jwt-aud, db-pool)."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("config"), QStringLiteral("PostgREST config file, e.g. postgrest.conf"));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"),
        QStringLiteral("Address to serve on, HOST:PORT (default 127.0.0.1:4000; environment AIODATA_LISTEN). Port 0 picks a free port."),
        QStringLiteral("host:port"));
    parser.addOption(listenOption);
    parser.process(app);

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

    PgPool pool(config->dbUri.toUtf8(), config->dbPool);
    SchemaCache schema;
    OwnWritesSource ownWrites;
    Fanout fanout(&ownWrites);
    HttpServer http;
    Routes routes(*config, &schema, &pool, &ownWrites, &fanout, &http);

    int exitCode = 0;
    bool started = false;
    auto stop = [&](const QString &message) {
        exitCode = fatal(message);
        QCoreApplication::exit(exitCode);
    };

    QObject::connect(&pool, &PgPool::failed, &app, [&](const QString &message) {
        if (!started)
            stop(QStringLiteral("cannot connect to the database: %1").arg(message.simplified()));
        else
            qCWarning(lcServer) << "database unavailable:" << message.simplified();
    });
    QObject::connect(&pool, &PgPool::ready, &app, [&] {
        if (started)
            return;
        // Load every exposed schema, then serve.
        auto remaining = std::make_shared<int>(int(config->dbSchemas.size()));
        for (const QString &name : std::as_const(config->dbSchemas)) {
            PgJob job;
            job.statements = {PgStatement{SchemaCache::describeSql(), {name.toUtf8(), "false"}}};
            job.done = [&, name, remaining](const QList<PgResult> &results, const PgError &pgError) {
                if (started || exitCode)
                    return;
                QString loadError;
                if (!pgError.isNull()) {
                    stop(QStringLiteral("cannot read schema \"%1\": %2").arg(name, pgError.message));
                    return;
                }
                if (!schema.load(name, results.value(0).value(0, 0), &loadError)) {
                    stop(loadError);
                    return;
                }
                if (--*remaining > 0)
                    return;
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
                                    << " (events: " << ownWrites.name() << ")" << Qt::endl;
            };
            pool.execute(std::move(job));
        }
    });
    pool.start();
    const int rc = app.exec();
    return exitCode ? exitCode : rc;
}
