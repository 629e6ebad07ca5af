// viewer: every table of an aiodata server in a tab, live and editable.
//
//   viewer [--url http://localhost:4000] [--token JWT | --read-only] [--lang de]
//
// Without a URL and a token (or --read-only) it asks in a connect dialog.

#include "commandline.h"
#include "mainwindow.h"
#include "translations.h"

#include <QApplication>
#include <QTextStream>

using namespace Aiodata::Viewer;

// Prints help or a command-line error in the --lang language and returns
// the exit code, or -1 to go on. Needs no display, so it runs before QApplication.
static int answerCommandLine(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    CommandLine languagePass;
    languagePass.parse(QCoreApplication::arguments());
    CommandLine commandLine;
    if (commandLine.parse(QCoreApplication::arguments()) && !commandLine.helpRequested())
        return -1;
    installTranslations(languagePass.locale());
    CommandLine translated; // option descriptions are translated when constructed
    if (!translated.parse(QCoreApplication::arguments())) {
        QTextStream(stderr) << translated.errorText() << '\n';
        return 2;
    }
    QTextStream(stdout) << translated.helpText();
    return 0;
}

int main(int argc, char *argv[])
{
    if (const int code = answerCommandLine(argc, argv); code >= 0)
        return code;

    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("aiodata"));
    QApplication::setApplicationName(QStringLiteral("viewer"));

    CommandLine commandLine;
    commandLine.parse(QApplication::arguments()); // checked above
    if (commandLine.hasLanguage())
        QLocale::setDefault(commandLine.locale());
    installTranslations(commandLine.locale());

    const ConnectionSettings remembered = ConnectionSettings::load();
    MainWindow window;
    window.show();
    if (commandLine.connectsDirectly()) {
        const ConnectionSettings settings = commandLine.settings(remembered);
        // Remember where, not the token given on the command line.
        ConnectionSettings toRemember = remembered;
        toRemember.url = settings.url;
        toRemember.readOnly = settings.readOnly;
        toRemember.save();
        window.connectTo(settings);
    } else {
        window.showConnectDialog();
    }
    return app.exec();
}
