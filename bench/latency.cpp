// Benchmarks 1 and 2: how long a committed write takes to reach clients.

#include "benchmarks.h"
#include "benchsupport.h"

#include <Aiodata/client.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QVariantMap>
#include <QWebSocket>

#include <libpq-fe.h>

#include <poll.h>

namespace Bench {

namespace {

const QString LatencyDb = QStringLiteral("bench_latency");
const QString BaselineDb = QStringLiteral("bench_notify");
constexpr int Warmup = 20;          // writes before measuring: plans, connections, caches
constexpr int EventTimeoutMs = 10000;

QByteArray authHeaders()
{
    return "Authorization: Bearer " + token("auth") + "\r\nPrefer: return=minimal\r\n";
}

QByteArray rowBody(const QString &name, int i)
{
    QJsonObject row;
    row.insert(QLatin1String("name"), name);
    row.insert(QLatin1String("value"), i * 0.5);
    row.insert(QLatin1String("flag"), true);
    return QJsonDocument(row).toJson(QJsonDocument::Compact);
}

// Reads what the writer connection received; true (results freed) once its
// statement is answered.
bool takeAnswer(Pg &writer)
{
    PQconsumeInput(writer.handle());
    if (PQisBusy(writer.handle()))
        return false;
    while (PGresult *r = PQgetResult(writer.handle()))
        PQclear(r);
    return true;
}

// Baseline: one libpq connection INSERTs and NOTIFYs in one transaction, a
// second one LISTENs; the time until the notification is read. The same
// commit-to-other-connection path with nothing of ours in it.
QList<double> notifyLatency(int writes, QString *error, QList<double> *answers = nullptr)
{
    const QString uri = databaseUri(options().adminUri, QStringLiteral("postgres"), BaselineDb);
    Pg writer(uri);
    Pg listener(uri);
    if (!writer.isOk() || !listener.isOk() || !listener.exec("LISTEN bench")) {
        *error = writer.error() + listener.error();
        return {};
    }
    QList<double> ms;
    const int socket = PQsocket(listener.handle());
    for (int i = -Warmup; i < writes; ++i) {
        const qint64 start = nowNs();
        if (!PQsendQuery(writer.handle(), "INSERT INTO api.t (name, value, flag) VALUES ('notify', 1.5, true); NOTIFY bench")) {
            *error = QString::fromUtf8(PQerrorMessage(writer.handle()));
            return {};
        }
        qint64 received = 0;
        qint64 answered = 0;
        while (!received || !answered) {
            pollfd p[2] = {{socket, POLLIN, 0}, {PQsocket(writer.handle()), POLLIN, 0}};
            if (::poll(p, 2, EventTimeoutMs) <= 0) {
                *error = QStringLiteral("no notification within %1 ms").arg(EventTimeoutMs);
                return {};
            }
            PQconsumeInput(listener.handle());
            while (PGnotify *n = PQnotifies(listener.handle())) {
                received = nowNs();
                PQfreemem(n);
            }
            if (!answered && takeAnswer(writer))
                answered = nowNs();
        }
        if (i >= 0) {
            ms.append(double(received - start) / 1e6);
            if (answers)
                answers->append(double(answered - start) / 1e6);
        }
    }
    return ms;
}

// The floor of logical decoding: one libpq connection INSERTs, a raw
// replication connection streams pgoutput from a temporary slot; the time
// until the transaction's COMMIT message is read. This is the part of wal
// mode that is PostgreSQL's (walsender wake-up, decoding, sending), with
// nothing of ours in it. Like our server, it answers only the pings that ask
// for a reply.
QList<double> walFloorLatency(int writes, QString *error)
{
    const QString uri = databaseUri(options().adminUri, QStringLiteral("postgres"), BaselineDb);
    Pg writer(uri);
    Pg stream(uri + QStringLiteral("?replication=database"));
    if (!writer.isOk() || !stream.isOk()) {
        *error = writer.error() + stream.error();
        return {};
    }
    PGconn *conn = stream.handle();
    auto command = [&](const char *sql, ExecStatusType expected) {
        PGresult *r = PQexec(conn, sql);
        const bool ok = PQresultStatus(r) == expected;
        if (!ok)
            *error = QString::fromUtf8(PQresultErrorMessage(r));
        PQclear(r);
        return ok;
    };
    if (!command("CREATE_REPLICATION_SLOT \"bench_floor\" TEMPORARY LOGICAL \"pgoutput\" NOEXPORT_SNAPSHOT", PGRES_TUPLES_OK)
        || !command("START_REPLICATION SLOT \"bench_floor\" LOGICAL 0/0 (proto_version '1', publication_names 'aiodata')",
                    PGRES_COPY_BOTH)) {
        return {};
    }
    PQsetnonblocking(conn, 1);
    QList<double> ms;
    for (int i = -Warmup; i < writes; ++i) {
        const qint64 start = nowNs();
        if (!PQsendQuery(writer.handle(), "INSERT INTO api.t (name, value, flag) VALUES ('floor', 1.5, true)")) {
            *error = QString::fromUtf8(PQerrorMessage(writer.handle()));
            return {};
        }
        qint64 received = 0;
        bool answered = false;
        while (!received || !answered) {
            pollfd p[2] = {{PQsocket(conn), POLLIN, 0}, {PQsocket(writer.handle()), POLLIN, 0}};
            if (::poll(p, 2, EventTimeoutMs) <= 0) {
                *error = QStringLiteral("no COMMIT from the replication stream within %1 ms").arg(EventTimeoutMs);
                return {};
            }
            PQconsumeInput(conn);
            char *buffer = nullptr;
            int n;
            while ((n = PQgetCopyData(conn, &buffer, 1)) > 0) {
                if (buffer[0] == 'w' && n > 25 && buffer[25] == 'C')
                    received = nowNs();
                else if (buffer[0] == 'k' && n >= 18 && buffer[17]) {
                    char reply[34] = {'r'}; // positions 0: "nothing flushed"; enough to stay connected
                    PQputCopyData(conn, reply, sizeof reply);
                    PQflush(conn);
                }
                PQfreemem(buffer);
            }
            if (n < -1) {
                *error = QString::fromUtf8(PQerrorMessage(conn));
                return {};
            }
            if (!answered)
                answered = takeAnswer(writer);
        }
        if (i >= 0)
            ms.append(double(received - start) / 1e6);
    }
    return ms;
}

// Ours: POST one row, until a ready Aiodata::Client emits created for it.
QList<double> clientLatency(const Server &server, int writes, QString *error, QList<double> *answers = nullptr)
{
    Aiodata::Client client;
    client.setUrl(server.url());
    client.setToken(QString::fromLatin1(token("auth")));
    bool ready = false;
    QObject::connect(&client, &Aiodata::Client::ready, [&] { ready = true; });
    client.start();
    if (!spinUntil([&] { return ready; }, 30000)) {
        *error = QStringLiteral("client not ready: ") + client.errorString();
        return {};
    }
    QString expected;
    qint64 received = 0;
    QObject::connect(&client, &Aiodata::Client::created, [&](const QString &, const QVariantList &rows) {
        for (const QVariant &row : rows) {
            if (row.toMap().value(QStringLiteral("name")).toString() == expected)
                received = nowNs();
        }
    });
    HttpClient writer(server.port());
    const QByteArray headers = authHeaders();
    QList<double> ms;
    for (int i = -Warmup; i < writes; ++i) {
        expected = QStringLiteral("lat %1").arg(i);
        received = 0;
        int status = -1;
        const QByteArray body = rowBody(expected, i);
        const qint64 start = nowNs();
        qint64 answered = 0;
        writer.send("POST", "/query/t", body, headers, [&](const HttpClient::Response &r) {
            status = r.status;
            answered = nowNs();
        });
        if (!spinUntil([&] { return status >= 0 && received; }, EventTimeoutMs)) {
            *error = status == 201 ? QStringLiteral("event %1 not received within %2 ms").arg(i).arg(EventTimeoutMs)
                                   : QStringLiteral("POST answered %1").arg(status);
            return {};
        }
        if (i >= 0) {
            ms.append(double(received - start) / 1e6);
            if (answers)
                answers->append(double(answered - start) / 1e6);
        }
    }
    return ms;
}

struct FanoutRun
{
    QList<double> ms;              // write until the last client has the event
    QList<double> firstMs;         // write until the first client has it
    qint64 dropped = 0;            // events some client never received
    double serverCpuUs = 0;        // server CPU time per event
    double clientsCpuUs = 0;       // this process's CPU time per event (the receiving clients and the writer)
};

// Ours with N raw WebSocket subscribers in this process: each only looks
// for the write's marker (no JSON parsing), so the figure is the server's
// fan-out plus the kernel's, not N models'.
FanoutRun fanoutLatency(const Server &server, int clients, int writes, QString *error)
{
    FanoutRun run;
    QList<QWebSocket *> sockets;
    QList<int> counts(clients, 0);
    int hellos = 0;
    int received = 0;
    qint64 firstAt = 0;
    qint64 lastAt = 0;
    QString marker;
    bool measuring = false;
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/state").arg(server.port()));
    auto cleanup = qScopeGuard([&] {
        for (QWebSocket *s : std::as_const(sockets)) {
            s->disconnect();
            s->abort();
            delete s;
        }
    });
    // In waves: a burst of 1,000 connects would overflow the listen backlog.
    constexpr int Wave = 50;
    for (int first = 0; first < clients; first += Wave) {
        const int last = qMin(clients, first + Wave);
        for (int k = first; k < last; ++k) {
            auto *socket = new QWebSocket;
            sockets.append(socket);
            QObject::connect(socket, &QWebSocket::textMessageReceived, [&, k](const QString &message) {
                if (message.contains(QLatin1String("\"type\":\"hello\""))) {
                    ++hellos;
                    return;
                }
                if (!measuring || !message.contains(marker))
                    return;
                ++counts[k];
                if (!received)
                    firstAt = nowNs();
                if (++received == clients)
                    lastAt = nowNs();
            });
            socket->open(url);
        }
        if (!spinUntil([&] { return hellos >= last; }, 30000)) {
            *error = QStringLiteral("only %1 of %2 subscribers connected").arg(hellos).arg(last);
            return run;
        }
    }
    HttpClient writer(server.port());
    const QByteArray headers = authHeaders();
    measuring = true;
    double serverCpu = 0;
    double ownCpu = 0;
    int timeouts = 0;
    for (int i = -Warmup; i < writes; ++i) {
        if (i == 0) {
            serverCpu = server.cpuSeconds();
            ownCpu = cpuSeconds();
        }
        const QString name = QStringLiteral("fan %1 x").arg(i);
        marker = QLatin1Char('"') + name + QLatin1Char('"');
        received = 0;
        firstAt = lastAt = 0;
        int status = -1;
        const qint64 start = nowNs();
        writer.send("POST", "/query/t", rowBody(name, i), headers, [&](const HttpClient::Response &r) { status = r.status; });
        if (!spinUntil([&] { return status >= 0 && received >= clients; }, EventTimeoutMs)) {
            if (status != 201) {
                *error = QStringLiteral("POST answered %1").arg(status);
                return run;
            }
            run.dropped += clients - received;  // and go on: the figure says so
            if (++timeouts > 3) {
                // Bounded: a stream that keeps losing events is an error, not a figure.
                *error = QStringLiteral("events missing after %1 writes, giving up").arg(timeouts);
                return run;
            }
            continue;
        }
        if (i >= 0) {
            run.ms.append(double(lastAt - start) / 1e6);
            run.firstMs.append(double(firstAt - start) / 1e6);
        }
    }
    run.serverCpuUs = (server.cpuSeconds() - serverCpu) / writes * 1e6;
    run.clientsCpuUs = (cpuSeconds() - ownCpu) / writes * 1e6;
    measuring = false;
    // Late deliveries would show here; a drop is a client short of events.
    spinFor(200);
    qint64 missing = 0;
    for (int c : std::as_const(counts))
        missing += (writes + Warmup) - c;
    run.dropped = qMax(run.dropped, missing);
    return run;
}

} // namespace

void benchLatency()
{
    const Options &o = options();
    const int writes = o.smoke ? 50 : 2000;
    QString error;
    if (!createDatabase(LatencyDb, 0, &error) || !createDatabase(BaselineDb, 0, &error)) {
        results().error(QStringLiteral("latency: ") + error);
        return;
    }
    const QString note = QStringLiteral("%1 writes per run, one at a time").arg(writes);
    for (const QString &events : {QStringLiteral("wal"), QStringLiteral("own")}) {
        Server server;
        if (!server.start(LatencyDb, events, &error)) {
            results().error(QStringLiteral("latency: ") + error);
            return;
        }
        const QString suffix = events == QLatin1String("wal") ? QString() : QStringLiteral(" (--events own)");
        Figure &p50 = results().figure(QStringLiteral("1 write->event p50, 1 client") + suffix, QStringLiteral("ms"),
                                       Figure::Target::RatioAtMost, 2, note);
        Figure &p99 = results().figure(QStringLiteral("1 write->event p99, 1 client") + suffix, QStringLiteral("ms"),
                                       Figure::Target::OursAtMost, 10, note);
        Figure &answer = results().figure(QStringLiteral("1 POST until its answer p50") + suffix, QStringLiteral("ms"),
                                          Figure::Target::None, 0,
                                          note + QStringLiteral("; baseline: until libpq has the INSERT + NOTIFY result"));
        const bool wal = events == QLatin1String("wal");
        Figure *floor = wal ? &results().figure(QStringLiteral("1 write->event p50, 1 client, against the WAL floor"),
                                                QStringLiteral("ms"), Figure::Target::None, 0,
                                                note + QStringLiteral("; baseline: libpq INSERT until a raw pgoutput stream "
                                                                      "(temporary slot) has its COMMIT"))
                            : nullptr;
        Figure *floorVsNotify = wal ? &results().figure(QStringLiteral("1 WAL floor p50 against INSERT+NOTIFY"), QStringLiteral("ms"),
                                                        Figure::Target::None, 0,
                                                        note + QStringLiteral("; ours: the WAL floor; what logical decoding adds"))
                                    : nullptr;
        for (int run = 0; run < o.runs; ++run) {
            // Baseline and ours alternate, so drift hits both.
            QList<double> baseAnswers, oursAnswers;
            const QList<double> base = notifyLatency(writes, &error, &baseAnswers);
            if (base.isEmpty()) {
                results().error(QStringLiteral("latency baseline: ") + error);
                return;
            }
            const QList<double> ours = clientLatency(server, writes, &error, &oursAnswers);
            if (ours.isEmpty()) {
                results().error(QStringLiteral("latency (%1): ").arg(events) + error);
                return;
            }
            if (floor) {
                const QList<double> walFloor = walFloorLatency(writes, &error);
                if (walFloor.isEmpty()) {
                    results().error(QStringLiteral("latency WAL floor: ") + error);
                    return;
                }
                floor->baseline.append(percentile(walFloor, 50));
                floor->ours.append(percentile(ours, 50));
                floorVsNotify->baseline.append(percentile(base, 50));
                floorVsNotify->ours.append(percentile(walFloor, 50));
                std::printf("  WAL floor run %d: p50 %.3f ms, p99 %.3f ms\n", run + 1, percentile(walFloor, 50),
                            percentile(walFloor, 99));
            }
            p50.baseline.append(percentile(base, 50));
            p99.baseline.append(percentile(base, 99));
            p50.ours.append(percentile(ours, 50));
            p99.ours.append(percentile(ours, 99));
            answer.baseline.append(percentile(baseAnswers, 50));
            answer.ours.append(percentile(oursAnswers, 50));
            std::printf("  latency %s run %d: p50 %.3f ms (NOTIFY %.3f), p99 %.3f ms (NOTIFY %.3f)\n", qPrintable(events),
                        run + 1, percentile(ours, 50), percentile(base, 50), percentile(ours, 99), percentile(base, 99));
            std::fflush(stdout);
        }
    }
}

void benchFanout(const QList<int> &clientCounts)
{
    const Options &o = options();
    QString error;
    if (!createDatabase(LatencyDb, 0, &error)) {
        results().error(QStringLiteral("fanout: ") + error);
        return;
    }
    Server server;
    if (!server.start(LatencyDb, QStringLiteral("wal"), &error)) {
        results().error(QStringLiteral("fanout: ") + error);
        return;
    }
    // The server's event loop with Qt's own dispatcher instead of glib's
    // (whose socket bookkeeping grows with the number of sockets): what the
    // one-line change proposed in docs/performance.md would give.
    // Started only for its own measurement: an idle second server would
    // still decode every write.
    const bool compareDispatcher = !o.smoke && clientCounts.contains(1000);
    for (int clients : clientCounts) {
        // Fewer writes for more clients keep a run bounded (each write waits for all).
        const int writes = o.smoke ? 50 : clients >= 1000 ? 500 : 1000;
        const QString note = QStringLiteral("%1 writes per run; raw QWebSocket subscribers in one process, baseline: 1 subscriber").arg(writes);
        const QString n = QString::number(clients);
        Figure &p50 = results().figure(QStringLiteral("2 write->last of %1 clients p50").arg(n), QStringLiteral("ms"),
                                       Figure::Target::None, 0, note);
        Figure &p99 = results().figure(QStringLiteral("2 write->last of %1 clients p99").arg(n), QStringLiteral("ms"),
                                       clients >= 1000 ? Figure::Target::OursAtMost : Figure::Target::None, 50, note);
        Figure &first = results().figure(QStringLiteral("2 write->first of %1 clients p50").arg(n), QStringLiteral("ms"),
                                         Figure::Target::None, 0, note);
        Figure &serverCpu = results().figure(QStringLiteral("2 server CPU per event, %1 clients").arg(n), QStringLiteral("us"),
                                             Figure::Target::None, 0,
                                             QStringLiteral("server process user+system time / writes (/proc), baseline: 1 subscriber"));
        Figure &clientsCpu = results().figure(QStringLiteral("2 receivers' CPU per event, %1 clients").arg(n), QStringLiteral("us"),
                                              Figure::Target::None, 0,
                                              QStringLiteral("bench process (all subscribers and the writer) user+system time / writes"));
        Figure &dropped = results().figure(QStringLiteral("2 events dropped, %1 clients").arg(n), QStringLiteral("events"),
                                           Figure::Target::OursAtMost, 0, note);
        for (int run = 0; run < o.runs; ++run) {
            const FanoutRun one = fanoutLatency(server, 1, writes, &error);
            if (!error.isEmpty()) {
                results().error(QStringLiteral("fanout 1 client: ") + error);
                return;
            }
            const FanoutRun many = fanoutLatency(server, clients, writes, &error);
            if (!error.isEmpty()) {
                results().error(QStringLiteral("fanout %1 clients: ").arg(clients) + error);
                return;
            }
            p50.baseline.append(percentile(one.ms, 50));
            p99.baseline.append(percentile(one.ms, 99));
            first.baseline.append(percentile(one.firstMs, 50));
            first.ours.append(percentile(many.firstMs, 50));
            serverCpu.baseline.append(one.serverCpuUs);
            serverCpu.ours.append(many.serverCpuUs);
            clientsCpu.baseline.append(one.clientsCpuUs);
            clientsCpu.ours.append(many.clientsCpuUs);
            p50.ours.append(percentile(many.ms, 50));
            p99.ours.append(percentile(many.ms, 99));
            dropped.ours.append(double(many.dropped));
            std::printf("  fanout %d clients run %d: p50 %.3f ms, p99 %.3f ms (1 client: %.3f, %.3f), first p50 %.3f ms, "
                        "server CPU %.0f us/event (1 client: %.0f), receivers %.0f us/event, dropped %lld\n",
                        clients, run + 1, percentile(many.ms, 50), percentile(many.ms, 99), percentile(one.ms, 50),
                        percentile(one.ms, 99), percentile(many.firstMs, 50), many.serverCpuUs, one.serverCpuUs,
                        many.clientsCpuUs, many.dropped);
            std::fflush(stdout);
            if (compareDispatcher && clients == 1000) {
                Server noGlib;
                noGlib.environment = QStringList{QStringLiteral("QT_NO_GLIB=1")};
                if (!noGlib.start(LatencyDb, QStringLiteral("wal"), &error)) {
                    results().error(QStringLiteral("fanout: ") + error);
                    return;
                }
                const FanoutRun alt = fanoutLatency(noGlib, clients, writes, &error);
                noGlib.stop();
                if (!error.isEmpty()) {
                    results().error(QStringLiteral("fanout %1 clients, QT_NO_GLIB=1: ").arg(clients) + error);
                    return;
                }
                const QString altNote = QStringLiteral("server started with QT_NO_GLIB=1; baseline: the default server above");
                Figure &altP99 = results().figure(QStringLiteral("2 write->last of 1000 clients p99, server QT_NO_GLIB=1"),
                                                  QStringLiteral("ms"), Figure::Target::OursAtMost, 50, altNote);
                Figure &altCpu = results().figure(QStringLiteral("2 server CPU per event, 1000 clients, QT_NO_GLIB=1"),
                                                  QStringLiteral("us"), Figure::Target::None, 0, altNote);
                Figure &altDropped = results().figure(QStringLiteral("2 events dropped, 1000 clients, QT_NO_GLIB=1"),
                                                      QStringLiteral("events"), Figure::Target::OursAtMost, 0, altNote);
                altP99.ours.append(percentile(alt.ms, 99));
                altP99.baseline.append(percentile(many.ms, 99));
                altCpu.ours.append(alt.serverCpuUs);
                altCpu.baseline.append(many.serverCpuUs);
                altDropped.ours.append(double(alt.dropped));
                std::printf("  fanout %d clients run %d, server QT_NO_GLIB=1: p50 %.3f ms, p99 %.3f ms, server CPU %.0f us/event, "
                            "dropped %lld\n",
                            clients, run + 1, percentile(alt.ms, 50), percentile(alt.ms, 99), alt.serverCpuUs, alt.dropped);
                std::fflush(stdout);
            }
        }
    }
}

} // namespace Bench
