#include "app/commandline.h"

#include "auth/jwtverifier.h"

#include <QCommandLineParser>
#include <QRegularExpression>
#include <QCoreApplication>

#include <clocale>
#include <cstring>
#include <langinfo.h>

namespace Aiodata::Server {

void CommandLine::prepareProcess()
{
    // A server started with no UTF-8 locale (a container, a systemd unit
    // without LANG): Qt switches LC_CTYPE to C.UTF-8 itself, and says so in a
    // warning that would come before every start-up error. Make the same
    // switch quietly.
    std::setlocale(LC_ALL, "");
    if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
        qputenv("LC_CTYPE", "C.UTF-8");
        std::setlocale(LC_CTYPE, "C.UTF-8");
    }
    // Qt's glib event dispatcher walks every socket when one is added or
    // removed: with 1,000 subscribers each event costs 2.5x the CPU
    // (docs/performance.md). The plain Unix dispatcher has no such cost.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
}

std::optional<Config> CommandLine::parse(const QCoreApplication &app, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Serves a PostgreSQL schema as a PostgREST-compatible REST API under /query, its description at /,\n"
        "and every committed change as events on the WebSocket /state. Reads a PostgREST config file\n"
        "(db-uri, db-schemas, db-anon-role, jwt-secret, jwt-secret-is-base64, jwt-aud, jwt-role-claim-key,\n"
        "jwt-cache-max-entries, db-pool, db-prepared-statements, db-channel, db-channel-enabled).\n"
        "NOTIFY pgrst, 'reload schema' or SIGUSR1 reloads the schema cache; NOTIFY pgrst, 'reload config'\n"
        "or SIGUSR2 re-reads the JWT settings."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("config"), QStringLiteral("PostgREST config file, e.g. postgrest.conf"));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"),
        QStringLiteral("Address to serve on, HOST:PORT (default 127.0.0.1:4000; environment AIODATA_LISTEN). Port 0 picks a free port."),
        QStringLiteral("host:port"));
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
    const QCommandLineOption slotOption(
        QStringLiteral("slot"),
        QStringLiteral("A permanent replication slot for this instance (created when missing), so that clients resume "
                       "across server restarts; lowercase letters, digits and _ (default: a temporary slot per run; "
                       "environment AIODATA_SLOT). One slot per instance; see docs/configuration.md for the WAL it keeps."),
        QStringLiteral("name"));
    parser.addOptions({listenOption, eventsOption, publicationOption, replicationUriOption, slotOption});
    parser.process(app);
    // A flag wins over its variable, which wins over the default.
    auto setting = [&parser](const QCommandLineOption &option, const char *env, const QString &fallback) {
        if (parser.isSet(option))
            return parser.value(option);
        const QString value = qEnvironmentVariable(env);
        return value.isEmpty() ? fallback : value;
    };

    const QString events = setting(eventsOption, "AIODATA_EVENTS", QStringLiteral("auto"));
    static const QHash<QString, Config::Events> eventsByName = {
        {QStringLiteral("auto"), Config::Events::Auto},
        {QStringLiteral("wal"), Config::Events::Wal},
        {QStringLiteral("own"), Config::Events::Own},
    };
    if (!eventsByName.contains(events)) {
        *error = QStringLiteral("--events takes auto, wal or own, not \"%1\"").arg(events);
        return std::nullopt;
    }
    const QStringList args = parser.positionalArguments();
    if (args.size() != 1) {
        *error = QStringLiteral("usage: aiodata [--listen HOST:PORT] postgrest.conf (see --help)");
        return std::nullopt;
    }
    std::optional<Config> config = Config::fromFile(args.first(), error);
    if (!config)
        return std::nullopt;
    // A key set that cannot be used is a configuration error (exit 2), said
    // before anything connects; the server builds its verifier the same way.
    if (!JwtVerifier::fromConfig(*config, error))
        return std::nullopt;
    const QString listen = setting(listenOption, "AIODATA_LISTEN", QString());
    if (!listen.isEmpty() && !config->setListen(listen)) {
        *error = QStringLiteral("invalid listen address \"%1\", expected HOST:PORT").arg(listen);
        return std::nullopt;
    }
    config->events = eventsByName.value(events);
    config->publication = setting(publicationOption, "AIODATA_PUBLICATION", config->publication);
    config->replicationUri = setting(replicationUriOption, "AIODATA_REPLICATION_URI", config->dbUri);
    config->replicationSlot = setting(slotOption, "AIODATA_SLOT", QString());
    static const QRegularExpression slotName(QStringLiteral("^[a-z0-9_]{1,63}$"));
    if (!config->replicationSlot.isEmpty() && !slotName.match(config->replicationSlot).hasMatch()) {
        *error = QStringLiteral("the slot name \"%1\" must be 1 to 63 lowercase letters, digits or _")
                     .arg(config->replicationSlot);
        return std::nullopt;
    }
    if (!config->applyLimitsFromEnvironment(error))
        return std::nullopt;
    return config;
}

} // namespace Aiodata::Server
