// Benchmark 10: a reconnect storm. N subscribers are connected, the server is
// killed (-9), transactions commit while it is down, it starts again and
// every subscriber comes back. Ours: a permanent slot, so they resume with
// the transactions they missed. Baseline, the same run: a temporary slot
// (the behaviour before issue 19), so each re-snapshots the table with
// GET /query/t. Time until the last subscriber is caught up, and the bytes
// each one fetched.

#include "benchmarks.h"
#include "benchsupport.h"

#include <QScopeGuard>
#include <QUrlQuery>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

namespace Bench {

namespace {

const QString ReconnectDb = QStringLiteral("bench_reconnect");
const QString SlotName = QStringLiteral("aiodata_bench_storm");

struct StormRun
{
    double ms = 0;             // restart answered -> last subscriber caught up
    double bytesPerClient = 0; // WebSocket messages + snapshot bodies
    int resumed = 0;
};

struct Subscriber
{
    std::unique_ptr<QWebSocket> socket;
    std::unique_ptr<HttpClient> http;
    quint64 since = 0;
    QString epoch;
    int events = 0;            // created rows seen since the restart
    qint64 bytes = 0;
    bool hello = false;
    bool caughtUp = false;
};

quint64 seqOf(const QString &message)
{
    const qsizetype at = message.indexOf(QLatin1String("\"seq\":"));
    if (at < 0)
        return 0;
    qsizetype end = at + 6;
    while (end < message.size() && message.at(end).isDigit())
        ++end;
    return message.mid(at + 6, end - at - 6).toULongLong();
}

QString epochOf(const QString &message)
{
    const qsizetype at = message.indexOf(QLatin1String("\"epoch\":\""));
    if (at < 0)
        return QString();
    const qsizetype end = message.indexOf(QLatin1Char('"'), at + 9);
    return message.mid(at + 9, end - at - 9);
}

// Connects every subscriber (in waves: a burst of 1,000 connects would
// overflow the listen backlog) and waits for their hellos.
bool connectAll(std::vector<Subscriber> &subs, quint16 port, bool resume, const std::function<void(Subscriber &, const QString &)> &onMessage,
                QString *error)
{
    constexpr int Wave = 50;
    for (size_t first = 0; first < subs.size(); first += Wave) {
        const size_t last = qMin(subs.size(), first + Wave);
        for (size_t k = first; k < last; ++k) {
            Subscriber &s = subs[k];
            s.socket = std::make_unique<QWebSocket>();
            s.hello = false;
            QObject::connect(s.socket.get(), &QWebSocket::textMessageReceived, [&s, onMessage](const QString &m) {
                s.bytes += m.toUtf8().size();
                if (!s.hello && m.contains(QLatin1String("\"type\":\"hello\"")))
                    s.hello = true;
                onMessage(s, m);
            });
            QUrl url(QStringLiteral("ws://127.0.0.1:%1/state").arg(port));
            if (resume) {
                QUrlQuery q;
                q.addQueryItem(QStringLiteral("since"), QString::number(s.since));
                q.addQueryItem(QStringLiteral("epoch"), s.epoch);
                url.setQuery(q);
            }
            s.socket->open(url);
        }
        const auto hellos = [&] {
            return std::count_if(subs.begin(), subs.begin() + last, [](const Subscriber &s) { return s.hello; });
        };
        if (!spinUntil([&] { return hellos() >= qsizetype(last); }, 60000)) {
            *error = QStringLiteral("only %1 of %2 subscribers got hello").arg(hellos()).arg(last);
            return false;
        }
    }
    return true;
}

StormRun storm(bool permanentSlot, int clients, int missed, QString *error)
{
    StormRun run;
    Server server;
    server.environment = {QStringLiteral("AIODATA_MAX_SUBSCRIBERS_PER_TOKEN=100000")};
    if (permanentSlot)
        server.environment.append(QStringLiteral("AIODATA_SLOT=") + SlotName);
    auto dropSlot = qScopeGuard([&] {
        server.stop();
        Pg admin(options().adminUri);
        spinUntil([&] {
            admin.exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                       + SlotName.toUtf8() + "' AND NOT active");
            return admin.value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + SlotName.toUtf8() + "'") == "0";
        }, 10000);
    });
    if (!server.start(ReconnectDb, QStringLiteral("wal"), error))
        return run;

    // Connected and up to date: each knows its position and epoch.
    std::vector<Subscriber> subs(clients);
    const auto track = [](Subscriber &s, const QString &m) {
        if (const quint64 seq = seqOf(m))
            s.since = qMax(s.since, seq);
        if (m.contains(QLatin1String("\"type\":\"hello\"")))
            s.epoch = epochOf(m);
    };
    if (!connectAll(subs, server.port(), false, track, error))
        return run;
    Pg db(databaseUri(options().adminUri, QStringLiteral("postgres"), ReconnectDb));
    db.exec("INSERT INTO api.t (name, value, flag) VALUES ('before', 0, true)");
    if (!spinUntil([&] {
            for (const Subscriber &s : subs) {
                if (s.since == 0 || s.epoch.isEmpty())
                    return false;
            }
            return true;
        }, 30000)) {
        *error = QStringLiteral("subscribers did not see the first write");
        return run;
    }

    // The crash, and writes while the server is down.
    server.kill();
    for (Subscriber &s : subs) {
        s.socket->disconnect();
        s.socket->abort();
    }
    for (int i = 0; i < missed; ++i)
        db.exec("INSERT INTO api.t (name, value, flag) VALUES ('missed " + QByteArray::number(i) + "', " + QByteArray::number(i) + ", false)");

    if (!server.start(ReconnectDb, QStringLiteral("wal"), error))
        return run;
    const qint64 start = nowNs();
    int caughtUp = 0;
    const QByteArray headers = "Accept: application/json\r\n";
    for (Subscriber &s : subs) {
        s.bytes = 0;
        s.events = 0;
        s.caughtUp = false;
    }
    const auto onMessage = [&](Subscriber &s, const QString &m) {
        if (s.caughtUp)
            return;
        if (m.contains(QLatin1String("\"type\":\"hello\""))) {
            if (m.contains(QLatin1String("\"resumed\":true"))) {
                ++run.resumed;
                if (missed == 0) {
                    s.caughtUp = true;
                    ++caughtUp;
                }
                return;
            }
            // Not resumed: what a client does then, fetch the table again.
            s.http = std::make_unique<HttpClient>(server.port());
            s.http->send("GET", "/query/t", QByteArray(), headers, [&s, &caughtUp](const HttpClient::Response &r) {
                s.bytes += r.body.size();
                if (r.status == 200 && !s.caughtUp) {
                    s.caughtUp = true;
                    ++caughtUp;
                }
            });
            return;
        }
        if (m.contains(QLatin1String("\"missed "))) {
            s.events += int(m.count(QLatin1String("\"missed ")));
            if (s.events >= missed) {
                s.caughtUp = true;
                ++caughtUp;
            }
        }
    };
    if (!connectAll(subs, server.port(), true, onMessage, error))
        return run;
    if (!spinUntil([&] { return caughtUp >= clients; }, 120000)) {
        *error = QStringLiteral("only %1 of %2 subscribers caught up").arg(caughtUp).arg(clients);
        return run;
    }
    run.ms = double(nowNs() - start) / 1e6;
    qint64 bytes = 0;
    for (const Subscriber &s : subs)
        bytes += s.bytes;
    run.bytesPerClient = double(bytes) / clients;
    for (Subscriber &s : subs) {
        s.socket->disconnect();
        s.socket->abort();
    }
    return run;
}

} // namespace

void benchReconnect(int clients)
{
    const Options &o = options();
    const qint64 rows = o.smoke ? 1000 : 10000;
    const int missed = o.smoke ? 20 : 100;
    QString error;
    if (!createDatabase(ReconnectDb, rows, &error)) {
        results().error(QStringLiteral("reconnect: ") + error);
        return;
    }
    const QString note = QStringLiteral("%1 raw WebSocket subscribers in one process, a %2-row table, %3 transactions "
                                        "while the server is down (kill -9); baseline: temporary slot, each re-snapshots")
                             .arg(clients)
                             .arg(rows)
                             .arg(missed);
    const QString n = QString::number(clients);
    Figure &time = results().figure(QStringLiteral("10 reconnect storm, %1 clients: restart -> all caught up").arg(n),
                                    QStringLiteral("ms"), Figure::Target::RatioAtMost, 1, note);
    Figure &bytes = results().figure(QStringLiteral("10 reconnect storm, %1 clients: bytes fetched per client").arg(n),
                                     QStringLiteral("B"), Figure::Target::RatioAtMost, 0.1, note);
    Figure &resumed = results().figure(QStringLiteral("10 reconnect storm, %1 clients: resumed").arg(n),
                                       QStringLiteral("clients"), Figure::Target::OursAtLeast, clients, note);
    for (int run = 0; run < o.runs; ++run) {
        const StormRun ours = storm(true, clients, missed, &error);
        if (!error.isEmpty()) {
            results().error(QStringLiteral("reconnect (permanent slot): ") + error);
            return;
        }
        const StormRun base = storm(false, clients, missed, &error);
        if (!error.isEmpty()) {
            results().error(QStringLiteral("reconnect (temporary slot): ") + error);
            return;
        }
        time.ours.append(ours.ms);
        time.baseline.append(base.ms);
        bytes.ours.append(ours.bytesPerClient);
        bytes.baseline.append(base.bytesPerClient);
        resumed.ours.append(ours.resumed);
        resumed.baseline.append(base.resumed);
        std::printf("  reconnect run %d: resumed %d/%d in %.0f ms, %.0f B each; re-snapshot (resumed %d) %.0f ms, %.0f B each\n",
                    run, ours.resumed, clients, ours.ms, ours.bytesPerClient, base.resumed, base.ms, base.bytesPerClient);
        std::fflush(stdout);
    }
}

} // namespace Bench
