// Benchmark 11: live subsets (issue 18). 10,000 subscriptions over 100
// WebSockets, 1,000 distinct filters on api.t, and a probe subscription
// whose filter every row matches. Measured in the same run:
//   - write -> probe event p50 with all subscriptions against the same with
//     the probe alone (the single-subscriber figure);
//   - row changes per second judged against every subscription: a burst of
//     multi-row INSERTs, UPDATEs and DELETEs, until the probe has the last;
//     baseline: the same burst with the probe alone;
//   - server memory per subscription (VmRSS before and after subscribing).

#include "benchmarks.h"
#include "benchsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QWebSocket>

#include <cstdio>
#include <memory>
#include <vector>

namespace Bench {

namespace {

const QString SubsetsDb = QStringLiteral("bench_subsets");

qint64 serverRss(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return 0;
}

QString subscribeMessage(const QString &id, const QString &query)
{
    const QJsonObject m{{QStringLiteral("type"), QStringLiteral("subscribe")},
                        {QStringLiteral("id"), id},
                        {QStringLiteral("table"), QStringLiteral("t")},
                        {QStringLiteral("query"), query}};
    return QString::fromUtf8(QJsonDocument(m).toJson(QJsonDocument::Compact));
}

// A selective stream with its subscriptions; counts the answers and the
// probe's changes (rows of subset "probe").
struct Stream
{
    std::unique_ptr<QWebSocket> socket = std::make_unique<QWebSocket>();
    int subscribed = 0;
    int refused = 0;
    bool hello = false;
    bool isProbe = false;
    qint64 probeRows = 0;      // rows in the probe's changes
    qint64 probeAt = 0;        // when the last probe change came (nowNs)
};

bool openStream(Stream &s, quint16 port, QString *error)
{
    QObject::connect(s.socket.get(), &QWebSocket::textMessageReceived, [&s](const QString &m) {
        if (!s.hello && m.contains(QLatin1String("\"type\":\"hello\"")))
            s.hello = true;
        else if (m.contains(QLatin1String("\"type\":\"subscribed\"")))
            ++s.subscribed;
        else if (m.contains(QLatin1String("\"type\":\"subscriptionError\"")))
            ++s.refused;
        else if (s.isProbe && m.contains(QLatin1String("\"subset\":"))) {
            // The probe's rows: of its own changes and of those for every subset ("*").
            const QJsonObject message = QJsonDocument::fromJson(m.toUtf8()).object();
            const QJsonArray changes = message.contains(QLatin1String("events"))
                                           ? message.value(QLatin1String("events")).toArray()
                                           : QJsonArray{message};
            for (const QJsonValue &c : changes) {
                const QString subset = c[QLatin1String("subset")].toString();
                if (subset == QLatin1String("probe") || subset == QLatin1String("*"))
                    s.probeRows += c[QLatin1String("rows")].toArray().size();
            }
            s.probeAt = nowNs();
        }
    });
    s.socket->open(QUrl(QStringLiteral("ws://127.0.0.1:%1/state?tables=").arg(port)));
    if (!spinUntil([&s] { return s.hello; }, 10000)) {
        *error = QStringLiteral("no hello");
        return false;
    }
    return true;
}

struct SubsetRun
{
    QList<double> latencyMs;   // write -> probe event
    double rowsPerSecond = 0;  // burst rows changed / time until the probe had them all
};

// Single-row writes one at a time (insert, update, delete in turn), then
// the burst; the probe stream sees every row change.
SubsetRun measure(Stream &probe, Pg &writer, int writes, int burstTransactions, int rowsPerTransaction, int *nextId,
                  QString *error)
{
    SubsetRun run;
    for (int i = -20; i < writes; ++i) {
        const int id = (*nextId)++;
        const qint64 before = probe.probeRows;
        const qint64 start = nowNs();
        QByteArray sql;
        switch ((i + 20) % 3) {
        case 0: sql = "INSERT INTO api.t (id, name, value, flag) VALUES (" + QByteArray::number(id) + ", 'n" + QByteArray::number(id % 1000) + "', 1, true)"; break;
        case 1: sql = "UPDATE api.t SET value = value + 1 WHERE id = " + QByteArray::number(id - 1); break;
        default: sql = "DELETE FROM api.t WHERE id = " + QByteArray::number(id - 2); break;
        }
        if (!writer.exec(sql)) {
            *error = writer.error();
            return run;
        }
        if (!spinUntil([&] { return probe.probeRows > before; }, 10000)) {
            *error = QStringLiteral("the probe missed a change");
            return run;
        }
        if (i >= 0)
            run.latencyMs.append(double(probe.probeAt - start) / 1e6);
    }
    // The burst: inserts, then an update and a delete of each row, in
    // transactions of rowsPerTransaction rows, sent without waiting.
    const qint64 before = probe.probeRows;
    const int first = *nextId;
    const qint64 start = nowNs();
    QByteArray script;
    for (int t = 0; t < burstTransactions; ++t) {
        const int from = first + t * rowsPerTransaction;
        const int to = from + rowsPerTransaction - 1;
        switch (t % 3) {
        case 0:
            script = "INSERT INTO api.t (id, name, value, flag) SELECT g, 'n' || (g % 1000), 1, true FROM generate_series("
                     + QByteArray::number(from) + ", " + QByteArray::number(to) + ") g";
            break;
        case 1:
            script = "UPDATE api.t SET value = value + 1 WHERE id BETWEEN " + QByteArray::number(from - rowsPerTransaction)
                     + " AND " + QByteArray::number(to - rowsPerTransaction);
            break;
        default:
            script = "DELETE FROM api.t WHERE id BETWEEN " + QByteArray::number(from - 2 * rowsPerTransaction) + " AND "
                     + QByteArray::number(to - 2 * rowsPerTransaction);
            break;
        }
        if (!writer.exec(script)) {
            *error = writer.error();
            return run;
        }
    }
    *nextId = first + burstTransactions * rowsPerTransaction;
    const qint64 expected = qint64(burstTransactions) * rowsPerTransaction;
    if (!spinUntil([&] { return probe.probeRows - before >= expected; }, 300000)) {
        *error = QStringLiteral("the probe saw %1 of %2 burst rows").arg(probe.probeRows - before).arg(expected);
        return run;
    }
    run.rowsPerSecond = double(expected) / (double(probe.probeAt - start) / 1e9);
    return run;
}

} // namespace

void benchSubsets(int streams, int perStream, int distinctFilters)
{
    const Options &o = options();
    QString error;
    if (!createDatabase(SubsetsDb, 0, &error)) {
        results().error(QStringLiteral("subsets: ") + error);
        return;
    }
    Server server;
    server.environment.append(QStringLiteral("AIODATA_MAX_SUBSCRIPTIONS=%1").arg(perStream + 1));
    if (!server.start(SubsetsDb, QStringLiteral("wal"), &error)) {
        results().error(QStringLiteral("subsets: ") + error);
        return;
    }
    const QString uri = databaseUri(o.adminUri, QStringLiteral("postgres"), SubsetsDb);
    Pg writer(uri);
    if (!writer.isOk()) {
        results().error(QStringLiteral("subsets: ") + writer.error());
        return;
    }
    const int writes = o.smoke ? 30 : 600;
    const int burst = o.smoke ? 6 : 60;
    const int rowsPerTransaction = 100;
    const int total = streams * perStream;
    const QString note = QStringLiteral("%1 subscriptions over %2 WebSockets, %3 distinct filters (name=eq.nK); "
                                        "%4 single-row writes (insert/update/delete); baseline: the probe alone")
                             .arg(total).arg(streams).arg(distinctFilters).arg(writes);
    Figure &p50 = results().figure(QStringLiteral("11 write->subset event p50, %1 subscriptions").arg(total),
                                   QStringLiteral("ms"), Figure::Target::RatioAtMost, 3, note);
    Figure &rate = results().figure(QStringLiteral("11 row changes/s judged against %1 subscriptions").arg(total),
                                    QStringLiteral("rows/s"), Figure::Target::OursAtLeast, 5000,
                                    QStringLiteral("%1 transactions of %2 rows (insert, update, delete); baseline: the probe alone")
                                        .arg(burst).arg(rowsPerTransaction));
    Figure &memory = results().figure(QStringLiteral("11 server memory per subscription"), QStringLiteral("bytes"),
                                      Figure::Target::None, 0,
                                      QStringLiteral("server VmRSS after subscribing minus before, / subscriptions"));
    int nextId = 1;
    for (int run = 0; run < o.runs; ++run) {
        // Baseline: the probe alone.
        Stream probe;
        probe.isProbe = true;
        if (!openStream(probe, server.port(), &error)) {
            results().error(QStringLiteral("subsets probe: ") + error);
            return;
        }
        probe.socket->sendTextMessage(subscribeMessage(QStringLiteral("probe"), QStringLiteral("value=gte.0")));
        spinUntil([&] { return probe.subscribed == 1; }, 10000);
        const SubsetRun alone = measure(probe, writer, writes, burst, rowsPerTransaction, &nextId, &error);
        if (!error.isEmpty()) {
            results().error(QStringLiteral("subsets (probe alone): ") + error);
            return;
        }
        // Then every subscription.
        const qint64 rssBefore = serverRss(server.pid());
        std::vector<std::unique_ptr<Stream>> many;
        for (int s = 0; s < streams; ++s) {
            many.push_back(std::make_unique<Stream>());
            if (!openStream(*many.back(), server.port(), &error)) {
                results().error(QStringLiteral("subsets stream %1: ").arg(s) + error);
                return;
            }
            for (int k = 0; k < perStream; ++k) {
                const int filter = (s * perStream + k) % distinctFilters;
                many.back()->socket->sendTextMessage(
                    subscribeMessage(QString::number(k), QStringLiteral("name=eq.n%1").arg(filter)));
            }
        }
        if (!spinUntil([&] {
                int n = 0;
                for (const auto &s : many)
                    n += s->subscribed + s->refused;
                return n == total;
            }, 120000)) {
            results().error(QStringLiteral("subsets: not every subscription was answered"));
            return;
        }
        for (const auto &s : many) {
            if (s->refused) {
                results().error(QStringLiteral("subsets: %1 subscriptions refused").arg(s->refused));
                return;
            }
        }
        spinFor(500);
        const qint64 rssAfter = serverRss(server.pid());
        const SubsetRun all = measure(probe, writer, writes, burst, rowsPerTransaction, &nextId, &error);
        if (!error.isEmpty()) {
            results().error(QStringLiteral("subsets (all): ") + error);
            return;
        }
        p50.baseline.append(percentile(alone.latencyMs, 50));
        p50.ours.append(percentile(all.latencyMs, 50));
        rate.baseline.append(alone.rowsPerSecond);
        rate.ours.append(all.rowsPerSecond);
        memory.ours.append(double(rssAfter - rssBefore) / total);
        std::printf("  subsets run %d: p50 %.3f ms (probe alone %.3f), p99 %.3f ms (%.3f), %.0f rows/s (probe alone %.0f), "
                    "%.0f bytes per subscription\n",
                    run + 1, percentile(all.latencyMs, 50), percentile(alone.latencyMs, 50), percentile(all.latencyMs, 99),
                    percentile(alone.latencyMs, 99), all.rowsPerSecond, alone.rowsPerSecond,
                    double(rssAfter - rssBefore) / total);
        std::fflush(stdout);
        for (auto &s : many)
            s->socket->close();
        probe.socket->close();
        spinFor(500);
    }
}

} // namespace Bench
