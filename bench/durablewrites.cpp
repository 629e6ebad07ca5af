// Benchmark 13: durable writes (issue 17, part 2). Single-row creates made
// through a Client with a cache (each journaled and synced before create()
// returns, then sent one after another with its Idempotency-Key) against
// the same creates through a Client without one (sent at once, side by
// side), both until every row is in the model: what durability and order
// cost.

#include "benchmarks.h"
#include "benchsupport.h"

#include <Aiodata/client.h>
#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

namespace Bench {

namespace {

const QString JournalDb = QStringLiteral("bench_journal");

QJsonObject runWriteWorker(const QString &mode, quint16 port, const QString &dir, int writes, QString *error)
{
    return runWorker(mode,
                     {QStringLiteral("--port"), QString::number(port), QStringLiteral("--dir"), dir, QStringLiteral("--count"),
                      QString::number(writes)},
                     error);
}

} // namespace

void benchDurableWrites(int writes)
{
    QString error;
    if (!createDatabase(JournalDb, 1000, &error)) {
        results().error(QStringLiteral("durable writes: ") + error);
        return;
    }
    Server server;
    if (!server.start(JournalDb, QStringLiteral("wal"), &error)) {
        results().error(QStringLiteral("durable writes: ") + error);
        return;
    }
    Figure &rate = results().figure(QStringLiteral("13 durable writes, %1 single-row creates").arg(writes), QStringLiteral("writes/s"),
                                    Figure::Target::None, 0,
                                    QStringLiteral("through a Client with a cache (journaled, synced, sent in order with "
                                                   "their Idempotency-Keys) until pendingWrites is 0, vs a Client without a "
                                                   "cache (sent at once) until every row is in the model"));
    Figure &call = results().figure(QStringLiteral("13 durable write call (journal append + fdatasync)"), QStringLiteral("us"),
                                    Figure::Target::None, 0,
                                    QStringLiteral("median time of TableModel::create() with a cache, vs without one"));
    for (int run = 0; run < options().runs; ++run) {
        QTemporaryDir dir(QDir(options().workDir).filePath(QStringLiteral("journal-XXXXXX")));
        const QJsonObject durable = runWriteWorker(QStringLiteral("writes-durable"), server.port(), dir.path(), writes, &error);
        const QJsonObject plain = durable.isEmpty()
            ? QJsonObject()
            : runWriteWorker(QStringLiteral("writes-plain"), server.port(), dir.path(), writes, &error);
        if (plain.isEmpty()) {
            results().error(QStringLiteral("durable writes: ") + error);
            return;
        }
        const double durableRate = writes / (durable.value(QLatin1String("ms")).toDouble() / 1000);
        const double plainRate = writes / (plain.value(QLatin1String("ms")).toDouble() / 1000);
        rate.ours.append(durableRate);
        rate.baseline.append(plainRate);
        call.ours.append(durable.value(QLatin1String("callUs")).toDouble());
        call.baseline.append(plain.value(QLatin1String("callUs")).toDouble());
        std::printf("  durable writes run %d: %.0f/s journaled vs %.0f/s without a cache; create() %.0f vs %.0f us\n", run + 1,
                    durableRate, plainRate, durable.value(QLatin1String("callUs")).toDouble(),
                    plain.value(QLatin1String("callUs")).toDouble());
        std::fflush(stdout);
    }
}

int writesWorker(const QString &mode, quint16 port, const QString &dir, int writes)
{
    const bool durable = mode == QLatin1String("writes-durable");
    QJsonObject result;
    auto *client = new Aiodata::Client(qApp);
    client->setUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    client->setToken(QString::fromUtf8(token("auth")));
    if (durable)
        client->setCacheDirectory(dir);
    QList<double> callUs;
    qint64 start = 0;
    int target = 0;
    const auto done = [&] {
        if (!start || result.contains(QLatin1String("ms")))
            return;
        Aiodata::TableModel *t = client->table(QStringLiteral("t"));
        if (client->pendingWrites() > 0 || t->count() < target)
            return;
        result.insert(QLatin1String("ms"), double(nowNs() - start) / 1e6);
        result.insert(QLatin1String("callUs"), median(callUs));
        QTimer::singleShot(0, qApp, [&] {
            delete client;
            qApp->quit();
        });
    };
    QObject::connect(client, &Aiodata::Client::errorOccurred, qApp, [&](Aiodata::Client::Error, const QString &message) {
        result.insert(QLatin1String("error"), message);
        qApp->quit();
    });
    QObject::connect(client, &Aiodata::Client::writeRefused, qApp, [&](const QString &, const QVariantMap &, const QString &,
                                                                       const QString &message) {
        result.insert(QLatin1String("error"), message);
        qApp->quit();
    });
    QObject::connect(client, &Aiodata::Client::pendingWritesChanged, qApp, done);
    QObject::connect(client, &Aiodata::Client::ready, qApp, [&] {
        Aiodata::TableModel *t = client->table(QStringLiteral("t"));
        if (!t || start)
            return;
        QObject::connect(t, &Aiodata::TableModel::countChanged, qApp, done);
        target = t->count() + writes;
        start = nowNs();
        for (int i = 0; i < writes; ++i) {
            const qint64 before = nowNs();
            t->create(QVariantMap{{QStringLiteral("name"), QStringLiteral("w%1").arg(i)}});
            callUs.append(double(nowNs() - before) / 1e3);
        }
        done();
    });
    client->start();
    QCoreApplication::exec();
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return result.contains(QLatin1String("error")) || !result.contains(QLatin1String("ms")) ? 1 : 0;
}

} // namespace Bench
