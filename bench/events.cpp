// Benchmark 8: how many events per second reach a model that a view shows.

#include "benchmarks.h"
#include "benchsupport.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>
#include <Aiodata/tableschema.h>

#include "tablemodel_p.h" // snapshots and events applied as Client does

#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTableView>

#include <memory>
#include <vector>

namespace Bench {

namespace {

// The bench table's schema, for models made without a Client.
Aiodata::TableSchema tableSchema()
{
    return Aiodata::TableSchema::fromJson(QJsonDocument::fromJson(tableSchemaJson()).object());
}

QJsonObject row(qint64 id)
{
    QJsonObject r;
    r.insert(QLatin1String("id"), id);
    r.insert(QLatin1String("name"), QStringLiteral("row %1").arg(id));
    r.insert(QLatin1String("value"), double(id) * 0.5);
    r.insert(QLatin1String("flag"), id % 2 == 0);
    r.insert(QLatin1String("created"), QStringLiteral("2025-11-25T21:00:00.123456+00:00"));
    return r;
}

// Event messages exactly as the server sends them (one row each), as the
// QString QWebSocket hands to the Client.
QStringList eventMessages(qint64 firstId, int count)
{
    QStringList messages;
    messages.reserve(count);
    for (int i = 0; i < count; ++i) {
        const qint64 id = firstId + i;
        const QByteArray rows = QJsonDocument(QJsonArray{row(id)}).toJson(QJsonDocument::Compact);
        messages.append(QString::fromUtf8("{\"type\":\"event\",\"seq\":" + QByteArray::number(1000 + id) + ",\"xid\":"
                                          + QByteArray::number(700 + id)
                                          + ",\"action\":\"create\",\"schema\":\"api\",\"table\":\"t\",\"rows\":" + rows + '}'));
    }
    return messages;
}

// The view repaints at display rate (60 Hz): a real event loop under a
// stream coalesces updates the same way, reading more messages per turn
// while it paints.
constexpr qint64 PaintIntervalNs = 16666666;

// What Client does with a message, parsing included; applied = also into the model.
double rate(const QStringList &messages, Aiodata::TableModel *model)
{
    const qint64 start = nowNs();
    qint64 lastPaint = start;
    for (const QString &message : messages) {
        const QJsonObject m = QJsonDocument::fromJson(message.toUtf8()).object();
        if (m.value(QLatin1String("type")).toString() != QLatin1String("event")
            || m.value(QLatin1String("table")).toString() != QLatin1String("t"))
            continue;
        const QJsonArray rows = m.value(QLatin1String("rows")).toArray();
        const QString action = m.value(QLatin1String("action")).toString();
        if (model && action == QLatin1String("create"))
            Aiodata::TableModelPrivate::get(model)->applyCreated(rows);
        if (nowNs() - lastPaint >= PaintIntervalNs) {
            QCoreApplication::processEvents();
            lastPaint = nowNs();
        }
    }
    QCoreApplication::processEvents();
    return double(messages.size()) / (double(nowNs() - start) / 1e9);
}

// End to end: 8 writers POST single rows through a wal server while a
// Client, a view on its model, counts the rows that arrive.
struct EndToEnd
{
    double applied = 0;            // rows/s that reached the model
    double committed = 0;          // rows/s the POSTs committed
};

EndToEnd endToEnd(const Server &server, int seconds, QString *error)
{
    EndToEnd e;
    Aiodata::Client client;
    client.setUrl(server.url());
    bool ready = false;
    QObject::connect(&client, &Aiodata::Client::ready, [&] { ready = true; });
    client.start();
    if (!spinUntil([&] { return ready; }, 30000)) {
        *error = QStringLiteral("client not ready: ") + client.errorString();
        return e;
    }
    QTableView view;
    view.setModel(client.table(QStringLiteral("t")));
    view.resize(1000, 700);
    view.show();
    qint64 applied = 0;
    QObject::connect(client.table(QStringLiteral("t")), &QAbstractItemModel::rowsInserted,
                     [&](const QModelIndex &, int first, int last) { applied += last - first + 1; });

    const QByteArray headers = "Authorization: Bearer " + token("auth") + "\r\nPrefer: return=minimal\r\n";
    const QByteArray body = R"({"name":"stream","value":0.5,"flag":true})";
    std::vector<std::unique_ptr<HttpClient>> writers;
    bool running = true;
    int inFlight = 0;
    qint64 committed = 0;
    std::function<void(HttpClient *)> next = [&](HttpClient *c) {
        ++inFlight;
        c->send("POST", "/query/t", body, headers, [&, c](const HttpClient::Response &r) {
            --inFlight;
            if (r.status == 201)
                ++committed;
            if (running && r.status)
                next(c);
        });
    };
    for (int i = 0; i < 8; ++i) {
        writers.push_back(std::make_unique<HttpClient>(server.port()));
        next(writers.back().get());
    }
    spinFor(500);
    const qint64 applied0 = applied;
    const qint64 committed0 = committed;
    const qint64 start = nowNs();
    spinFor(seconds * 1000);
    const double elapsed = double(nowNs() - start) / 1e9;
    e.applied = double(applied - applied0) / elapsed;
    e.committed = double(committed - committed0) / elapsed;
    running = false;
    spinUntil([&] { return inFlight == 0; }, 10000);
    // Everything committed must arrive.
    const qint64 total = committed;
    if (!spinUntil([&] { return applied >= total; }, 10000))
        *error = QStringLiteral("%1 of %2 committed rows never reached the model").arg(total - applied).arg(total);
    return e;
}

} // namespace

void benchEvents()
{
    const Options &o = options();
    const int count = o.smoke ? 2000 : 50000;
    const qint64 prefill = o.smoke ? 1000 : 10000;
    const QString note = QStringLiteral("%1 one-row create events (server's format) parsed as Client does and fed to "
                                        "TableModel::applyCreated, model pre-filled with %2 rows, QTableView shown "
                                        "(offscreen) and repainted at 60 Hz; baseline: parsing only")
                             .arg(count).arg(prefill);
    Figure &applied = results().figure(QStringLiteral("8 events/s applied to model + QTableView"), QStringLiteral("events/s"),
                                       Figure::Target::OursAtLeast, 20000, note);
    Figure &modelOnly = results().figure(QStringLiteral("8 events/s applied to model, no view"), QStringLiteral("events/s"),
                                         Figure::Target::None, 0, QStringLiteral("as above without a view; baseline: parsing only"));
    const QStringList messages = eventMessages(prefill + 1, count);
    QJsonArray initial;
    for (qint64 id = 1; id <= prefill; ++id)
        initial.append(row(id));
    for (int run = 0; run < o.runs; ++run) {
        const double parseOnly = rate(messages, nullptr);
        {
            Aiodata::TableModel bare(tableSchema());
            Aiodata::TableModelPrivate::get(&bare)->replaceRows(initial);
            modelOnly.ours.append(rate(messages, &bare));
            modelOnly.baseline.append(parseOnly);
        }
        Aiodata::TableModel model(tableSchema());
        Aiodata::TableModelPrivate::get(&model)->replaceRows(initial);
        QTableView view;
        view.setModel(&model);
        view.resize(1000, 700);
        view.show();
        QCoreApplication::processEvents();
        const double ours = rate(messages, &model);
        if (model.count() != prefill + count) {
            results().error(QStringLiteral("events: model has %1 rows, expected %2").arg(model.count()).arg(prefill + count));
            return;
        }
        applied.ours.append(ours);
        applied.baseline.append(parseOnly);
        std::printf("  events run %d: %.0f events/s applied with a view, %.0f without, %.0f parsed only\n", run + 1, ours,
                    modelOnly.ours.last(), parseOnly);
        std::fflush(stdout);
    }

    // The same, end to end through PostgreSQL (which bounds it).
    QString error;
    if (!createDatabase(QStringLiteral("bench_events"), 0, &error)) {
        results().error(QStringLiteral("events end to end: ") + error);
        return;
    }
    Server server;
    if (!server.start(QStringLiteral("bench_events"), QStringLiteral("wal"), &error)) {
        results().error(QStringLiteral("events end to end: ") + error);
        return;
    }
    const int seconds = o.smoke ? 2 : 5;
    Figure &e2e = results().figure(QStringLiteral("8 events/s end to end (8 writers, bounded by PostgreSQL)"),
                                   QStringLiteral("events/s"), Figure::Target::None, 0,
                                   QStringLiteral("%1 s: rows reaching a Client's model (QTableView shown) vs rows the POSTs committed").arg(seconds));
    for (int run = 0; run < o.runs; ++run) {
        const EndToEnd e = endToEnd(server, seconds, &error);
        if (!error.isEmpty()) {
            results().error(QStringLiteral("events end to end: ") + error);
            return;
        }
        e2e.ours.append(e.applied);
        e2e.baseline.append(e.committed);
        std::printf("  events end to end run %d: %.0f rows/s applied, %.0f rows/s committed\n", run + 1, e.applied, e.committed);
        std::fflush(stdout);
    }
}

} // namespace Bench
