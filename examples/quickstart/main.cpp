// The pets walk-through: a client with the `auth` token creates two koi and
// a dog, grooms all dogs, knocks the koi tank over, and reads its fish from
// the cache; a second client without a token watches the same events.
//
//   quickstart [--url http://localhost:4000] [--token JWT]

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

#include <functional>

using Aiodata::Client;
using Aiodata::Reply;
using Aiodata::TableModel;

// The seed's token: {"role": "auth"} signed with "reallyreallyreallyreallyverysafe".
static const char *authToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aCJ9.AWCWCzeI-tPq18nX5k6GsNsi0eIq59EmpcqjKE850Sk";

static QTextStream out(stdout);

static QString json(const QVariant &v)
{
    return QString::fromUtf8(QJsonDocument::fromVariant(v).toJson(QJsonDocument::Compact));
}

// Called upon events, like the original aiodata's callback.
static void printEvent(const QString &who, const QString &action, const QString &table, const QVariantList &entries)
{
    out << "[" << who << "] Action : " << action << "\n"
        << "[" << who << "] Table  : " << table << "\n"
        << "[" << who << "] Entries: " << json(entries) << Qt::endl;
}

// Runs `next` when the reply is done; stops the program on an error.
static void then(Reply *reply, std::function<void(const QVariantList &)> next)
{
    QObject::connect(reply, &Reply::finished, reply, [reply, next] {
        if (reply->error() != Reply::NoError) {
            out << "write failed: " << reply->errorString() << Qt::endl;
            QCoreApplication::exit(1);
            return;
        }
        next(reply->rows());
    });
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("aiodata quickstart: the pets walk-through"));
    parser.addHelpOption();
    const QCommandLineOption urlOption(QStringLiteral("url"), QStringLiteral("Server URL."), QStringLiteral("url"),
                                       QStringLiteral("http://localhost:4000"));
    const QCommandLineOption tokenOption(QStringLiteral("token"), QStringLiteral("JWT for the writing client."),
                                         QStringLiteral("jwt"), QString::fromLatin1(authToken));
    parser.addOptions({urlOption, tokenOption});
    parser.process(app);

    // Connects to the server using the auth token; a second client reads anonymously.
    Client client;
    client.setUrl(QUrl(parser.value(urlOption)));
    client.setToken(parser.value(tokenOption));
    Client watcher;
    watcher.setUrl(client.url());

    QObject::connect(&client, &Client::event, &app, [](const QString &a, const QString &t, const QVariantList &e) {
        printEvent(QStringLiteral("auth"), a, t, e);
    });
    int watcherDeletes = 0;
    QObject::connect(&watcher, &Client::event, &app, [&](const QString &a, const QString &t, const QVariantList &e) {
        printEvent(QStringLiteral("anon"), a, t, e);
        if (a == QLatin1String("delete"))
            ++watcherDeletes;
    });
    for (Client *c : {&client, &watcher}) {
        QObject::connect(c, &Client::errorOccurred, &app, [](Client::Error, const QString &message) {
            out << "client error: " << message << Qt::endl;
        });
    }

    auto finish = [&] {
        TableModel *pets = client.table(QStringLiteral("pets"));
        // Get all our fish, from the cache (not async).
        const QVariantList fish = pets->get({QStringLiteral("Fish")});
        out << "Fish left: " << json(fish) << Qt::endl;
        // The anonymous client may only read.
        Reply *refused = watcher.table(QStringLiteral("pets"))->remove({QStringLiteral("Dog")});
        QObject::connect(refused, &Reply::finished, &app, [&, refused] {
            out << "anon write: " << (refused->error() == Reply::NoError ? QStringLiteral("accepted?!") : refused->errorString())
                << Qt::endl;
            client.stop();
            watcher.stop();
            QCoreApplication::exit(fish.isEmpty() && refused->error() != Reply::NoError ? 0 : 1);
        });
    };

    auto walkThrough = [&] {
        TableModel *pets = client.table(QStringLiteral("pets"));
        if (!pets) {
            out << "the server has no table pets" << Qt::endl;
            QCoreApplication::exit(1);
            return;
        }
        // We got some new fish and a dog.
        Reply *created = pets->create(QList<QVariantMap>{
            pets->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Aqui")}),
            pets->makeRow({QStringLiteral("Fish"), QStringLiteral("Koi"), QStringLiteral("Luna")}),
            pets->makeRow({QStringLiteral("Dog"), QStringLiteral("Shiba Inu")},
                          {{QStringLiteral("name"), QStringLiteral("Munch")}, {QStringLiteral("color"), 16766362}}),
        });
        then(created, [&, pets](const QVariantList &rows) {
            const QVariantMap munch = rows.value(2).toMap();
            out << "Is munch groomed? " << (munch.value(QStringLiteral("groomed")).toBool() ? "yes" : "no") << Qt::endl;
            // Might as well groom all of our dogs.
            then(pets->update({QStringLiteral("Dog")}, {{QStringLiteral("groomed"), true}}), [&, pets](const QVariantList &) {
                // Oh no! We knocked the koi tank over.
                then(pets->remove({QStringLiteral("Fish"), QStringLiteral("Koi")}), [&](const QVariantList &) {
                    // Wait to see all events (at most 5 s), then read the cache.
                    auto *poll = new QTimer(&app);
                    int waited = 0;
                    QObject::connect(poll, &QTimer::timeout, &app, [&, poll, waited]() mutable {
                        waited += 20;
                        if (watcherDeletes > 0 || waited > 5000) {
                            poll->deleteLater();
                            finish();
                        }
                    });
                    poll->start(20);
                });
            });
        });
    };

    int readyCount = 0;
    for (Client *c : {&client, &watcher}) {
        QObject::connect(c, &Client::ready, &app, [&] {
            if (++readyCount == 2)
                walkThrough();
        });
        c->start();
    }
    // A walk-through that cannot finish should say so rather than hang.
    QTimer::singleShot(30000, &app, [] {
        out << "timed out" << Qt::endl;
        QCoreApplication::exit(2);
    });
    return app.exec();
}
