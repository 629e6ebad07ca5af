// qmlviewer: every table of an aiodata server in a tab, live and editable,
// written in QML on top of the Aiodata module.
//
//   qmlviewer [--url http://localhost:4000] [--token JWT] [--quit-after-load]

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QTimer>

#include <cstdio>

using namespace Aiodata;

namespace {

// --quit-after-load: once the client is ready and the current tab shows all
// of its table's rows, print what is shown and exit 0; exit 1 on the first
// error, or if that takes longer than `timeoutMs`.
void quitAfterLoad(QObject *window, Client *client, int timeoutMs)
{
    const auto fail = [](const QString &message) {
        std::fprintf(stderr, "qmlviewer: %s\n", qPrintable(message));
        QCoreApplication::exit(1);
    };
    QObject::connect(client, &Client::errorOccurred, client,
                     [fail](Client::Error, const QString &errorString) { fail(errorString); });
    QTimer::singleShot(timeoutMs, client, [fail] { fail(QCoreApplication::translate("main", "Timed out loading.")); });

    // TableView takes its rows on the next frames: poll until they are there.
    auto *poll = new QTimer(client);
    poll->setInterval(20);
    QObject::connect(poll, &QTimer::timeout, client, [window, client, poll] {
        const QString table = window->property("currentTable").toString();
        TableModel *model = client->table(table);
        const int shown = window->property("shownRows").toInt();
        if (model && shown != model->rowCount())
            return;
        poll->stop();
        std::printf("qmlviewer: ready: %lld table(s)", qlonglong(client->tableNames().size()));
        if (model)
            std::printf("; %s: %d row(s) shown", qPrintable(table), shown);
        std::printf("\n");
        std::fflush(stdout);
        QCoreApplication::exit(0);
    });
    QObject::connect(client, &Client::ready, poll, qOverload<>(&QTimer::start));
}

} // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("qmlviewer"));
    Client::installTranslator();

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate("main", "Shows the tables of an aiodata server, live."));
    parser.addHelpOption();
    const QCommandLineOption urlOption(QStringLiteral("url"),
                                       QCoreApplication::translate("main", "Server URL; connects at once."),
                                       QCoreApplication::translate("main", "url"));
    const QCommandLineOption tokenOption(QStringLiteral("token"),
                                         QCoreApplication::translate("main", "JWT to write with (none: read only)."),
                                         QCoreApplication::translate("main", "token"));
    const QCommandLineOption quitOption(QStringLiteral("quit-after-load"),
                                        QCoreApplication::translate("main", "Exit once loaded (0), or on an error (1)."));
    const QCommandLineOption cacheOption(QStringLiteral("cache"),
                                         QCoreApplication::translate("main", "Keep the tables in this folder: they open from it at the next start, also without a server."),
                                         QCoreApplication::translate("main", "folder"));
    parser.addOptions({urlOption, tokenOption, cacheOption, quitOption});
    parser.process(app);

    QQmlApplicationEngine engine;
    // In the build tree the module is in build/qml, beside build/bin;
    // installed, it is in Qt's QML directory, which the engine knows.
    const QString buildTreeImports = QCoreApplication::applicationDirPath() + QStringLiteral("/../qml");
    if (QFileInfo::exists(buildTreeImports + QStringLiteral("/Aiodata/qmldir")))
        engine.addImportPath(QDir::cleanPath(buildTreeImports));

    QVariantMap initial{{QStringLiteral("connectAtStart"), parser.isSet(urlOption)}};
    if (parser.isSet(urlOption))
        initial.insert(QStringLiteral("initialUrl"), QUrl::fromUserInput(parser.value(urlOption)).toString());
    if (parser.isSet(tokenOption))
        initial.insert(QStringLiteral("initialToken"), parser.value(tokenOption));
    if (parser.isSet(cacheOption))
        initial.insert(QStringLiteral("cacheDirectory"), parser.value(cacheOption));
    engine.setInitialProperties(initial);

    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed, &app,
                     [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/QmlViewer/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;

    if (parser.isSet(quitOption)) {
        QObject *window = engine.rootObjects().constFirst();
        auto *client = qobject_cast<Client *>(window->property("client").value<QObject *>());
        if (!client || !parser.isSet(urlOption)) {
            std::fprintf(stderr, "qmlviewer: %s\n",
                         qPrintable(QCoreApplication::translate("main", "--quit-after-load needs --url.")));
            return 1;
        }
        quitAfterLoad(window, client, 30000);
    }
    return app.exec();
}
