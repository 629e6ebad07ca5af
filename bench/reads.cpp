// Benchmarks 5, 6 and 7: reading a whole table over HTTP, filling a
// Client's model from it, and what the cached rows cost in memory.

#include "benchmarks.h"
#include "benchsupport.h"
#include "throttledrelay.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>
#include <Aiodata/tableschema.h>

#include "tablemodel_p.h" // snapshots and events applied as Client does

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace Bench {

namespace {

const QString ReadDb = QStringLiteral("bench_read");
constexpr qint64 GigabitBytesPerSecond = 125000000;
constexpr qint64 WanOneWayDelayUs = 10000; // a server 20 ms of round trip away

QString sizeName(qint64 rows)
{
    if (rows >= 1000000 && rows % 1000000 == 0)
        return QString::number(rows / 1000000) + QLatin1Char('M');
    if (rows >= 1000 && rows % 1000 == 0)
        return QString::number(rows / 1000) + QLatin1Char('k');
    return QString::number(rows);
}

int iterationsFor(qint64 rows)
{
    if (options().smoke)
        return 1;
    return rows >= 1000000 ? 1 : 3;
}

// Runs this executable as a worker: a fresh process, so that its heap and
// caches start empty. Its last stdout line is a JSON object.
QJsonObject fillWorkerRun(const QString &mode, quint16 port, QString *error, qint64 linkBytesPerSecond = 0,
                          qint64 oneWayDelayUs = 0)
{
    QStringList args{QStringLiteral("--port"), QString::number(port)};
    if (linkBytesPerSecond > 0)
        args << QStringLiteral("--link") << QString::number(linkBytesPerSecond);
    if (oneWayDelayUs > 0)
        args << QStringLiteral("--delay-us") << QString::number(oneWayDelayUs);
    return runWorker(mode, args, error, 300000);
}

} // namespace

void benchRead(const QList<qint64> &sizes)
{
    const Options &o = options();
    for (qint64 rows : sizes) {
        QString error;
        if (!createDatabase(ReadDb, rows, &error)) {
            results().error(QStringLiteral("read: ") + error);
            return;
        }
        Server server;
        if (!server.start(ReadDb, QStringLiteral("wal"), &error)) {
            results().error(QStringLiteral("read: ") + error);
            return;
        }
        const QString n = sizeName(rows);
        const int iterations = iterationsFor(rows);
        const QString note = QStringLiteral("GET /query/t on a new connection vs psql -c \"COPY (SELECT json_agg(t) FROM api.t t) "
                                            "TO STDOUT\" incl. psql start-up; %1 per run").arg(iterations);
        Figure &time = results().figure(QStringLiteral("5 read %1 rows").arg(n), QStringLiteral("ms"), Figure::Target::RatioAtMost, 1.5, note);
        Figure &rate = results().figure(QStringLiteral("5 read %1 rows, rows/s").arg(n), QStringLiteral("rows/s"), Figure::Target::None, 0, note);
        Figure &bytes = results().figure(QStringLiteral("5 read %1 rows, MB/s").arg(n), QStringLiteral("MB/s"), Figure::Target::None, 0, note);
        const QStringList psqlArgs{QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-d"),
                                   databaseUri(o.adminUri, QStringLiteral("postgres"), ReadDb), QStringLiteral("-c"),
                                   QStringLiteral("COPY (SELECT json_agg(t) FROM api.t t) TO STDOUT")};
        for (int run = 0; run < o.runs; ++run) {
            QList<double> ours, base;
            qint64 oursBytes = 0;
            qint64 baseBytes = 0;
            for (int i = 0; i < iterations; ++i) {
                QByteArray out;
                double ms = 0;
                if (runProgram(QDir(o.pgBin).filePath(QStringLiteral("psql")), psqlArgs, &out, &ms) != 0) {
                    results().error(QStringLiteral("read: psql failed"));
                    return;
                }
                base.append(ms);
                baseBytes = out.size();
                out.clear();

                HttpClient client(server.port());
                const qint64 start = nowNs();
                const HttpClient::Response r = client.request("GET", "/query/t", QByteArray(), QByteArray(), 300000);
                const double oursMs = double(nowNs() - start) / 1e6;
                if (r.status != 200) {
                    results().error(QStringLiteral("read: GET answered %1").arg(r.status));
                    return;
                }
                ours.append(oursMs);
                oursBytes = r.body.size();
            }
            const double oursMs = median(ours);
            const double baseMs = median(base);
            time.ours.append(oursMs);
            time.baseline.append(baseMs);
            rate.ours.append(double(rows) / oursMs * 1000);
            rate.baseline.append(double(rows) / baseMs * 1000);
            bytes.ours.append(double(oursBytes) / oursMs / 1000);
            bytes.baseline.append(double(baseBytes) / baseMs / 1000);
            std::printf("  read %lld rows run %d: GET %.1f ms (%lld bytes), psql COPY %.1f ms (%lld bytes)\n", rows, run + 1,
                        oursMs, oursBytes, baseMs, baseBytes);
            std::fflush(stdout);
        }
    }
}

void benchFill(const QList<qint64> &sizes)
{
    const Options &o = options();
    for (qint64 rows : sizes) {
        QString error;
        if (!createDatabase(ReadDb, rows, &error)) {
            results().error(QStringLiteral("fill: ") + error);
            return;
        }
        Server server;
        if (!server.start(ReadDb, QStringLiteral("wal"), &error)) {
            results().error(QStringLiteral("fill: ") + error);
            return;
        }
        const QString n = sizeName(rows);
        const int iterations = iterationsFor(rows);
        Figure &fill = results().figure(QStringLiteral("6 initial fill %1 rows").arg(n), QStringLiteral("ms"),
                                        Figure::Target::RatioAtMost, 1.5,
                                        QStringLiteral("Client::start() until ready vs QNetworkAccessManager GET of the same JSON, "
                                                       "fresh processes, %1 per run").arg(iterations));
        Figure &parse = results().figure(QStringLiteral("6 JSON parse only %1 rows").arg(n), QStringLiteral("ms"),
                                         Figure::Target::None, 0,
                                         QStringLiteral("QJsonDocument::fromJson of the body; baseline: fetching it"));
        Figure &build = results().figure(QStringLiteral("6 model build only %1 rows").arg(n), QStringLiteral("ms"),
                                         Figure::Target::None, 0,
                                         QStringLiteral("TableModel::replaceRows of the parsed snapshot into an empty model; baseline: fetching it"));
        Figure &direct = results().figure(QStringLiteral("6 snapshot read into the model only %1 rows").arg(n), QStringLiteral("ms"),
                                          Figure::Target::None, 0,
                                          QStringLiteral("TableModel::replaceRowsFromJson of the body into an empty model (what Client does); "
                                                         "baseline: fetching it"));
        Figure &memory = results().figure(QStringLiteral("7 memory per cached row, %1 rows").arg(n), QStringLiteral("bytes"),
                                          Figure::Target::RatioAtMost, 2,
                                          QStringLiteral("client RSS the rows hold (RSS when ready minus RSS after the model "
                                                         "drops them, malloc_trim before each) / rows vs JSON bytes / rows"));
        // The same over a 1 Gbit/s link: there the transfer takes longer than
        // reading the rows, which the client does while the body arrives.
        Figure &linked = results().figure(QStringLiteral("6 initial fill %1 rows, 1 Gbit/s link").arg(n), QStringLiteral("ms"),
                                          Figure::Target::None, 0,
                                          QStringLiteral("as above, both through a relay that passes the server's bytes at 125 MB/s"));
        Figure &wan = results().figure(QStringLiteral("6 initial fill %1 rows, 1 Gbit/s link, 20 ms round trip").arg(n),
                                       QStringLiteral("ms"), Figure::Target::None, 0,
                                       QStringLiteral("as above, the relay also delaying bytes 10 ms each way and new "
                                                      "connections by a round trip (a TCP handshake)"));
        Figure &growth = results().figure(QStringLiteral("7 client RSS growth per row, %1 rows").arg(n), QStringLiteral("bytes"),
                                          Figure::Target::None, 0,
                                          QStringLiteral("RSS when ready minus RSS before Client::start(), incl. fixed costs, / rows"));
        for (int run = 0; run < o.runs; ++run) {
            QList<double> model, raw, parsing, building, reading, perRow, growthPerRow, jsonPerRow, modelLinked, rawLinked,
                modelWan, rawWan;
            for (int i = 0; i < iterations; ++i) {
                const QJsonObject m = fillWorkerRun(QStringLiteral("fill-model"), server.port(), &error);
                const QJsonObject r = fillWorkerRun(QStringLiteral("fill-raw"), server.port(), &error);
                const QJsonObject ml = fillWorkerRun(QStringLiteral("fill-model"), server.port(), &error, GigabitBytesPerSecond);
                const QJsonObject rl = fillWorkerRun(QStringLiteral("fill-raw"), server.port(), &error, GigabitBytesPerSecond);
                const QJsonObject mw = fillWorkerRun(QStringLiteral("fill-model"), server.port(), &error, GigabitBytesPerSecond,
                                                 WanOneWayDelayUs);
                const QJsonObject rw = fillWorkerRun(QStringLiteral("fill-raw"), server.port(), &error, GigabitBytesPerSecond,
                                                 WanOneWayDelayUs);
                if (m.isEmpty() || r.isEmpty() || ml.isEmpty() || rl.isEmpty() || mw.isEmpty() || rw.isEmpty()) {
                    results().error(QStringLiteral("fill: ") + error);
                    return;
                }
                for (const QJsonObject *worker : {&m, &r, &ml, &rl, &mw, &rw}) {
                    const qint64 got = worker->value(QLatin1String("rows")).toInteger();
                    if (got != rows) {
                        results().error(QStringLiteral("fill: expected %1 rows, a worker got %2").arg(rows).arg(got));
                        return;
                    }
                }
                modelLinked.append(ml.value(QLatin1String("ms")).toDouble());
                rawLinked.append(rl.value(QLatin1String("ms")).toDouble());
                modelWan.append(mw.value(QLatin1String("ms")).toDouble());
                rawWan.append(rw.value(QLatin1String("ms")).toDouble());
                model.append(m.value(QLatin1String("ms")).toDouble());
                raw.append(r.value(QLatin1String("ms")).toDouble());
                parsing.append(r.value(QLatin1String("parseMs")).toDouble());
                building.append(r.value(QLatin1String("buildMs")).toDouble());
                reading.append(r.value(QLatin1String("readMs")).toDouble());
                perRow.append(m.value(QLatin1String("rssRows")).toDouble() / double(rows));
                growthPerRow.append(m.value(QLatin1String("rssGrowth")).toDouble() / double(rows));
                jsonPerRow.append(r.value(QLatin1String("bytes")).toDouble() / double(rows));
            }
            fill.ours.append(median(model));
            fill.baseline.append(median(raw));
            linked.ours.append(median(modelLinked));
            linked.baseline.append(median(rawLinked));
            wan.ours.append(median(modelWan));
            wan.baseline.append(median(rawWan));
            parse.ours.append(median(parsing));
            parse.baseline.append(median(raw));
            build.ours.append(median(building));
            build.baseline.append(median(raw));
            direct.ours.append(median(reading));
            direct.baseline.append(median(raw));
            memory.ours.append(median(perRow));
            memory.baseline.append(median(jsonPerRow));
            growth.ours.append(median(growthPerRow));
            growth.baseline.append(median(jsonPerRow));
            std::printf("  fill %lld rows run %d: model %.1f ms, fetch %.1f ms, parse %.1f ms, build %.1f ms, read into model %.1f ms; "
                        "%.0f bytes/row cached, %.0f JSON bytes/row; over 1 Gbit/s: model %.1f ms, fetch %.1f ms; "
                        "and 20 ms round trips: model %.1f ms, fetch %.1f ms\n",
                        rows, run + 1, median(model), median(raw), median(parsing), median(building), median(reading), median(perRow),
                        median(jsonPerRow), median(modelLinked), median(rawLinked), median(modelWan), median(rawWan));
            std::fflush(stdout);
        }
    }
}

// --- worker processes ------------------------------------------------------------

static void printJson(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

int fillWorker(const QString &mode, quint16 port, qint64 linkBytesPerSecond, qint64 oneWayDelayUs)
{
    std::unique_ptr<ThrottledRelay> relay;
    if (linkBytesPerSecond > 0) {
        relay = std::make_unique<ThrottledRelay>(port, linkBytesPerSecond, oneWayDelayUs);
        port = relay->port();
        if (!port) {
            printJson({{QLatin1String("error"), QStringLiteral("the relay cannot listen")}});
            return 1;
        }
    }
    const QUrl url(QStringLiteral("http://127.0.0.1:%1").arg(port));
    QJsonObject result;
    if (mode == QLatin1String("fill-model")) {
        // Everything a Client needs exists before the first RSS reading.
        auto *client = new Aiodata::Client(qApp);
        client->setUrl(url);
        trimHeap();
        const qint64 rssBefore = rssBytes();
        qint64 start = 0;
        QObject::connect(client, &Aiodata::Client::ready, qApp, [&] {
            result.insert(QLatin1String("ms"), double(nowNs() - start) / 1e6);
            Aiodata::TableModel *model = client->table(QStringLiteral("t"));
            result.insert(QLatin1String("rows"), model ? model->count() : -1);
            // The replies and their buffers are freed once the loop runs again.
            QTimer::singleShot(300, qApp, [&, model] {
                trimHeap();
                const qint64 rssReady = rssBytes();
                result.insert(QLatin1String("rssGrowth"), double(rssReady - rssBefore));
                // What the rows alone cost: the memory dropping them gives back.
                if (model)
                    Aiodata::TableModelPrivate::get(model)->replaceRows(QJsonArray());
                trimHeap();
                result.insert(QLatin1String("rssRows"), double(rssReady - rssBytes()));
                qApp->quit();
            });
        });
        QObject::connect(client, &Aiodata::Client::errorOccurred, qApp, [&](Aiodata::Client::Error, const QString &message) {
            result.insert(QLatin1String("error"), message);
            qApp->quit();
        });
        start = nowNs();
        client->start();
        QCoreApplication::exec();
        printJson(result);
        return result.contains(QLatin1String("error")) ? 1 : 0;
    }
    if (mode == QLatin1String("fill-raw")) {
        QNetworkAccessManager network;
        QNetworkRequest request(QUrl(url.toString() + QStringLiteral("/query/t")));
        request.setRawHeader("Accept", "application/json");
        const qint64 start = nowNs();
        QNetworkReply *reply = network.get(request);
        QObject::connect(reply, &QNetworkReply::finished, qApp, [&] {
            const QByteArray body = reply->readAll();
            result.insert(QLatin1String("ms"), double(nowNs() - start) / 1e6);
            result.insert(QLatin1String("bytes"), double(body.size()));
            if (reply->error() != QNetworkReply::NoError)
                result.insert(QLatin1String("error"), reply->errorString());
            const qint64 parseStart = nowNs();
            const QJsonDocument doc = QJsonDocument::fromJson(body);
            result.insert(QLatin1String("parseMs"), double(nowNs() - parseStart) / 1e6);
            result.insert(QLatin1String("rows"), doc.array().size());
            // The model's own share: what Client does with the parsed snapshot.
            Aiodata::TableModel model(Aiodata::TableSchema::fromJson(QJsonDocument::fromJson(tableSchemaJson()).object()));
            const qint64 buildStart = nowNs();
            Aiodata::TableModelPrivate::get(&model)->replaceRows(doc.array());
            result.insert(QLatin1String("buildMs"), double(nowNs() - buildStart) / 1e6);
            // What Client does instead: the body straight into packed rows.
            Aiodata::TableModel direct(model.schema());
            const qint64 readStart = nowNs();
            Aiodata::TableModelPrivate::get(&direct)->replaceRowsFromJson(body);
            result.insert(QLatin1String("readMs"), double(nowNs() - readStart) / 1e6);
            qApp->quit();
        });
        QCoreApplication::exec();
        printJson(result);
        return result.contains(QLatin1String("error")) ? 1 : 0;
    }
    printJson({{QLatin1String("error"), QStringLiteral("unknown worker mode")}});
    return 2;
}

} // namespace Bench
