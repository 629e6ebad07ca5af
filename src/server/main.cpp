// aiodata: serves the tables of a PostgreSQL schema as a PostgREST-compatible
// REST API plus a WebSocket of committed changes. Reads PostgREST's config.
// The composition root: command line -> Config -> Server (app/server.h).

#include "app/commandline.h"
#include "app/server.h"

#include <QCoreApplication>

#include <cstdio>

using namespace Aiodata::Server;

static int fatal(const QString &message, int code)
{
    // One clear line, no stack of warnings.
    std::fprintf(stderr, "aiodata: %s\n", qUtf8Printable(message));
    std::fflush(stderr);
    return code;
}

int main(int argc, char *argv[])
{
    CommandLine::prepareProcess();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("aiodata"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AIODATA_VERSION));

    QString error;
    std::optional<Config> config = CommandLine::parse(app, &error);
    if (!config)
        return fatal(error, 2);

    Server server(std::move(*config));
    QObject::connect(&server, &Server::failed, &app, [](const QString &message) {
        QCoreApplication::exit(fatal(message, 1));
    });
    server.start();
    return app.exec();
}
