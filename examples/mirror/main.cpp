// aiodata-mirror: one table of an aiodata server on stdout as JSON lines,
// or one write to it, over the public Aiodata::Client API. See --help and
// docs/mirror.md.

#include "commandline.h"
#include "exitcode.h"
#include "mirror.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTimer>

#include <clocale>
#include <cstdio>
#include <cstring>
#include <langinfo.h>

using namespace Aiodata::Mirror;

static int usageError(const QString &message)
{
    std::fprintf(stderr, "aiodata-mirror: %s\nTry 'aiodata-mirror --help'.\n", qPrintable(message));
    return Usage;
}

int main(int argc, char *argv[])
{
    // Without a UTF-8 locale (a container, a cron job without LANG) Qt 6.5+
    // switches LC_CTYPE to C.UTF-8 and warns on stderr, which scripts read
    // for the tool's own messages. Make the same switch quietly, as the
    // server does.
    std::setlocale(LC_ALL, "");
    if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
        qputenv("LC_CTYPE", "C.UTF-8");
        std::setlocale(LC_CTYPE, "C.UTF-8");
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("aiodata-mirror"));
    // The library's warnings repeat what the tool says on stderr;
    // QT_LOGGING_RULES (read after these rules) brings them back.
    QLoggingCategory::setFilterRules(QStringLiteral("aiodata.*.warning=false"));

    CommandLine commandLine;
    if (!commandLine.parse(app.arguments(), qEnvironmentVariable("AIODATA_TOKEN")))
        return usageError(commandLine.errorText());
    if (commandLine.helpRequested()) {
        std::fputs(qPrintable(commandLine.helpText()), stdout);
        return Done;
    }
    if (!commandLine.checkSupported())
        return usageError(commandLine.errorText());

    Mirror mirror(commandLine.options());
    QObject::connect(&mirror, &Mirror::finished, &app, &QCoreApplication::exit, Qt::QueuedConnection);
    QTimer::singleShot(0, &mirror, &Mirror::start);
    return app.exec();
}
