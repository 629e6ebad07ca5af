// Benchmarks 3 and 4: write throughput, single rows and one bulk insert.

#include "benchmarks.h"
#include "benchsupport.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QWebSocket>

#include <sched.h>
#include <unistd.h>

namespace Bench {

namespace {

const QString WriteDb = QStringLiteral("bench_write");
constexpr int Connections = 8;

QString writeUri()
{
    return databaseUri(options().adminUri, QStringLiteral("postgres"), WriteDb);
}

bool truncate(QString *error)
{
    Pg db(writeUri());
    if (!db.exec("TRUNCATE api.t RESTART IDENTITY; CHECKPOINT")) {
        *error = db.error();
        return false;
    }
    return true;
}

// pgbench's tps on 8 connections: the same single-row INSERT (insert.sql),
// or the server's own SQL for it (server-insert.sql, -M extended/prepared).
double pgbenchRate(int seconds, QString *error, const QString &script = QStringLiteral("insert.sql"),
                   const QString &mode = QStringLiteral("simple"))
{
    QByteArray out;
    const int rc = runProgram(QDir(options().pgBin).filePath(QStringLiteral("pgbench")),
                              {QStringLiteral("-n"), QStringLiteral("-c"), QString::number(Connections), QStringLiteral("-j"),
                               QStringLiteral("2"), QStringLiteral("-T"), QString::number(seconds), QStringLiteral("-M"), mode,
                               QStringLiteral("-f"), QStringLiteral(AIODATA_BENCH_SOURCE_DIR "/") + script, writeUri()},
                              &out, nullptr);
    static const QRegularExpression tps(QStringLiteral("tps = ([0-9.]+)"));
    const QRegularExpressionMatch match = tps.match(QString::fromUtf8(out));
    if (rc != 0 || !match.hasMatch()) {
        *error = QStringLiteral("pgbench failed: ") + QString::fromUtf8(out);
        return 0;
    }
    return match.captured(1).toDouble();
}

// Ours: POST one row per request on 8 keep-alive connections, each sending
// its next request as soon as the previous is answered.
double postRate(const Server &server, int seconds, QString *error, double *serverCpuUs = nullptr, bool keyed = false)
{
    PostLoad load(server.port(), Connections, keyed);
    // Warm-up: connections open, plans cached.
    spinFor(500);
    const qint64 counted = load.created();
    const double cpuBefore = server.cpuSeconds();
    const qint64 start = nowNs();
    spinUntil([&] { return nowNs() - start >= qint64(seconds) * 1000000000; }, seconds * 1000 + 1000);
    const double elapsed = double(nowNs() - start) / 1e9;
    const qint64 rows = load.created() - counted;
    if (serverCpuUs && rows > 0)
        *serverCpuUs = (server.cpuSeconds() - cpuBefore) / double(rows) * 1e6;
    load.stop();
    if (load.failed()) {
        *error = QStringLiteral("%1 POSTs failed (last status %2)").arg(load.failed()).arg(load.lastFailedStatus());
        return 0;
    }
    return double(rows) / elapsed;
}

// Pins PostgreSQL (the postmaster, so every new backend, and its current
// children) to one core and this process (the load generator, pgbench and
// servers it starts) to the other, or undoes it. On a 2-core machine this
// answers "is the server the bottleneck in front of PostgreSQL?" without
// the server and PostgreSQL taking CPU from each other.
bool pinPostgresApart(bool apart, QString *error)
{
    // Not QThread::idealThreadCount(): it counts this thread's allowed cores,
    // which is one while pinned, and undoing the pinning must still work.
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        *error = QStringLiteral("needs 2 cores");
        return false;
    }
    Pg db(writeUri());
    const QByteArray backend = db.value("SELECT pg_backend_pid()");
    QFile status(QStringLiteral("/proc/%1/status").arg(QString::fromLatin1(backend)));
    qint64 postmaster = 0;
    if (status.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("PPid:"))
                postmaster = line.mid(5).trimmed().toLongLong();
        }
    }
    if (postmaster <= 1) {
        *error = QStringLiteral("cannot find the postmaster");
        return false;
    }
    cpu_set_t all, first, second;
    CPU_ZERO(&all);
    CPU_ZERO(&first);
    CPU_ZERO(&second);
    CPU_SET(0, &all);
    CPU_SET(1, &all);
    CPU_SET(0, &first);
    CPU_SET(1, &second);
    QList<qint64> pids{postmaster};
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile s(QStringLiteral("/proc/%1/status").arg(entry));
        if (entry.toLongLong() > 0 && s.open(QIODevice::ReadOnly) && s.readAll().contains(QByteArray("\nPPid:\t" + QByteArray::number(postmaster) + '\n')))
            pids.append(entry.toLongLong());
    }
    for (qint64 pid : std::as_const(pids)) {
        if (sched_setaffinity(pid_t(pid), sizeof(cpu_set_t), apart ? &first : &all) != 0 && pid == postmaster) {
            *error = QStringLiteral("sched_setaffinity: ") + QString::fromLocal8Bit(strerror(errno));
            return false;
        }
    }
    if (sched_setaffinity(0, sizeof(cpu_set_t), apart ? &second : &all) != 0) {
        *error = QStringLiteral("sched_setaffinity: ") + QString::fromLocal8Bit(strerror(errno));
        return false;
    }
    return true;
}

// pgbench's rate on an emptied table; 0 and *error on failure.
double baselineRate(int seconds, QString *error, const QString &script = QStringLiteral("insert.sql"),
                    const QString &mode = QStringLiteral("simple"))
{
    return truncate(error) ? pgbenchRate(seconds, error, script, mode) : 0;
}

// Our rate through a fresh server in `events` mode on an emptied table.
double serverRate(const QString &events, int seconds, QString *error, double *serverCpuUs = nullptr, bool keyed = false)
{
    Server server;
    if (!truncate(error) || !server.start(WriteDb, events, error, Connections))
        return 0;
    const double rate = postRate(server, seconds, error, serverCpuUs, keyed);
    if (rate <= 0)
        error->prepend(QStringLiteral("(%1) ").arg(events));
    return rate;
}

} // namespace

void benchInsertRate()
{
    const Options &o = options();
    const int seconds = o.smoke ? 2 : 10;
    QString error;
    auto failed = [&error] { results().error(QStringLiteral("insert rate: ") + error); };
    if (!createDatabase(WriteDb, 0, &error))
        return failed();
    const QString note = QStringLiteral("%1 s per run, %2 connections; baseline pgbench -n -c 8 -j 2 -T %1 -f bench/insert.sql")
                             .arg(seconds).arg(Connections);
    const QStringList modes{QStringLiteral("wal"), QStringLiteral("own")};
    auto suffix = [](const QString &events) {
        return events == QLatin1String("wal") ? QString() : QStringLiteral(" (--events own)");
    };
    for (int run = 0; run < o.runs; ++run) {
        // The baseline runs without a server, so no WAL decoding competes with it.
        const double base = baselineRate(seconds, &error);
        if (base <= 0)
            return failed();
        // Where the gap comes from: the server's SQL for one POST, without
        // HTTP and without the server, as sent (unnamed statements) and prepared.
        for (const QString &mode : {QStringLiteral("extended"), QStringLiteral("prepared")}) {
            Figure &f = results().figure(QStringLiteral("3 the server's SQL per POST in pgbench, -M ") + mode, QStringLiteral("rows/s"),
                                         Figure::Target::None, 0,
                                         QStringLiteral("pgbench -M %1 -f bench/server-insert.sql, no server; baseline: insert.sql").arg(mode));
            const double rate = baselineRate(seconds, &error, QStringLiteral("server-insert.sql"), mode);
            if (rate <= 0)
                return failed();
            f.ours.append(rate);
            f.baseline.append(base);
            std::printf("  server SQL in pgbench -M %s run %d: %.0f rows/s\n", qPrintable(mode), run + 1, rate);
        }
        // What change capture itself costs PostgreSQL: the same pgbench while
        // an idle wal-mode server decodes its inserts (walsender + server CPU).
        // Not a target: it shows how much of the wal-mode gap no HTTP server
        // in front of PostgreSQL could close on this machine.
        double decodedBase = 0;
        {
            Server decoder;
            if (!truncate(&error) || !decoder.start(WriteDb, QStringLiteral("wal"), &error, Connections))
                return failed();
            decodedBase = pgbenchRate(seconds, &error);
            if (decodedBase <= 0)
                return failed();
            Figure &f = results().figure(QStringLiteral("3 pgbench while a wal-mode server decodes its inserts"), QStringLiteral("rows/s"),
                                         Figure::Target::None, 0, note + QStringLiteral("; ours: the same pgbench with an idle --events wal server attached"));
            f.ours.append(decodedBase);
            f.baseline.append(base);
            std::printf("  pgbench while a wal-mode server decodes, run %d: %.0f rows/s (without %.0f)\n", run + 1, decodedBase, base);
        }
        for (const QString &events : modes) {
            Figure &f = results().figure(QStringLiteral("3 single-row inserts, 8 connections") + suffix(events), QStringLiteral("rows/s"),
                                         Figure::Target::RatioAtLeast, 0.5, note);
            double cpuUs = 0;
            const double ours = serverRate(events, seconds, &error, &cpuUs);
            if (ours <= 0)
                return failed();
            f.baseline.append(base);
            f.ours.append(ours);
            if (events == QLatin1String("wal")) {
                Figure &decoded = results().figure(QStringLiteral("3 single-row inserts against pgbench with the same decoding"),
                                                   QStringLiteral("rows/s"), Figure::Target::None, 0,
                                                   QStringLiteral("baseline: pgbench while a wal-mode server decodes its inserts"));
                decoded.ours.append(ours);
                decoded.baseline.append(decodedBase);
            }
            results().figure(QStringLiteral("3 server CPU per POST") + suffix(events), QStringLiteral("us"), Figure::Target::None, 0,
                             QStringLiteral("server process CPU time / rows during the run (incl. WAL decoding in wal mode)"))
                .ours.append(cpuUs);
            std::printf("  insert rate %s run %d: %.0f rows/s (pgbench %.0f), server CPU %.0f us per POST\n", qPrintable(events),
                        run + 1, ours, base, cpuUs);
            std::fflush(stdout);
        }

        // Each POST with an Idempotency-Key (as the client library sends
        // every write): the key and the result recorded in the write's
        // transaction (aiodata.idempotency_keys), same round trip. Baseline:
        // the unkeyed POSTs just measured.
        for (const QString &events : modes) {
            const Figure &plain = results().figure(QStringLiteral("3 single-row inserts, 8 connections") + suffix(events), QStringLiteral("rows/s"));
            Figure &f = results().figure(QStringLiteral("3 single-row inserts with an Idempotency-Key") + suffix(events),
                                         QStringLiteral("rows/s"), Figure::Target::None, 0,
                                         QStringLiteral("%1 s per run, %2 connections; baseline: the same without keys").arg(seconds).arg(Connections));
            double cpuUs = 0;
            const double ours = serverRate(events, seconds, &error, &cpuUs, true);
            if (ours <= 0)
                return failed();
            f.ours.append(ours);
            f.baseline.append(plain.ours.isEmpty() ? 0 : plain.ours.last());
            results().figure(QStringLiteral("3 server CPU per POST with an Idempotency-Key") + suffix(events), QStringLiteral("us"),
                             Figure::Target::None, 0, QStringLiteral("server process CPU time / rows during the run"))
                .ours.append(cpuUs);
            std::printf("  keyed insert rate %s run %d: %.0f rows/s, server CPU %.0f us per POST\n", qPrintable(events), run + 1,
                        ours, cpuUs);
            std::fflush(stdout);
        }

        // The same with PostgreSQL on core 0 and everything else on core 1
        // (also in the smoke run, so pinning and its undo cannot rot).
        if (!pinPostgresApart(true, &error)) {
            std::printf("  (no pinned run: %s)\n", qPrintable(error));
            continue;
        }
        auto unpin = qScopeGuard([] {
            QString unpinError;
            if (!pinPostgresApart(false, &unpinError))
                results().error(QStringLiteral("insert rate: cannot undo the pinning: ") + unpinError);
        });
        const double pinnedBase = baselineRate(seconds, &error);
        if (pinnedBase <= 0)
            return failed();
        for (const QString &events : modes) {
            Figure &f = results().figure(QStringLiteral("3 single-row inserts, PostgreSQL on a core of its own") + suffix(events),
                                         QStringLiteral("rows/s"), Figure::Target::None, 0,
                                         note + QStringLiteral("; PostgreSQL pinned to core 0; server, load generator and pgbench to core 1"));
            const double ours = serverRate(events, seconds, &error);
            if (ours <= 0)
                return failed();
            f.baseline.append(pinnedBase);
            f.ours.append(ours);
            std::printf("  insert rate %s, PostgreSQL on its own core, run %d: %.0f rows/s (pgbench %.0f)\n", qPrintable(events),
                        run + 1, ours, pinnedBase);
            std::fflush(stdout);
        }
    }
}

void benchBulkInsert()
{
    const Options &o = options();
    const int rows = o.smoke ? 1000 : 10000;
    const int iterations = o.smoke ? 1 : 3;
    QString error;
    if (!createDatabase(WriteDb, 0, &error)) {
        results().error(QStringLiteral("bulk insert: ") + error);
        return;
    }
    // The same rows as JSON for us and as CSV for COPY.
    QByteArray json = "[";
    QByteArray csv;
    for (int i = 1; i <= rows; ++i) {
        const QByteArray id = QByteArray::number(i);
        const QByteArray value = QByteArray::number(i * 0.5);
        const QByteArray flag = i % 2 ? "false" : "true";
        json += (i > 1 ? "," : "") + QByteArray("{\"id\":") + id + ",\"name\":\"bulk " + id + "\",\"value\":" + value
            + ",\"flag\":" + flag + '}';
        csv += id + ",bulk " + id + ',' + value + ',' + flag + '\n';
    }
    json += ']';
    const QString csvPath = QDir(options().workDir).filePath(QStringLiteral("bulk.csv"));
    QFile file(csvPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        results().error(QStringLiteral("bulk insert: ") + file.errorString());
        return;
    }
    file.write(csv);
    file.close();

    Server server;
    if (!server.start(WriteDb, QStringLiteral("wal"), &error)) {
        results().error(QStringLiteral("bulk insert: ") + error);
        return;
    }
    // A subscriber: each step waits until its event went out, so the WAL
    // decoding of one insert never overlaps the next measurement.
    QWebSocket subscriber;
    int hello = 0;
    int creates = 0;
    qint64 eventAt = 0;
    QObject::connect(&subscriber, &QWebSocket::textMessageReceived, [&](const QString &m) {
        if (m.contains(QLatin1String("\"type\":\"hello\"")))
            ++hello;
        else if (m.contains(QLatin1String("\"action\":\"create\""))) {
            ++creates;
            eventAt = nowNs();
        }
    });
    subscriber.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/state").arg(server.port())));
    if (!spinUntil([&] { return hello > 0; }, 10000)) {
        results().error(QStringLiteral("bulk insert: no subscription"));
        return;
    }
    auto settle = [&](int expected) { return spinUntil([&] { return creates >= expected; }, 60000); };

    const QString k = QString::number(rows / 1000) + QLatin1Char('k');
    const QString note = QStringLiteral("%1 rows, %2 per run; baseline psql -c \"COPY api.t FROM STDIN (csv)\" incl. psql start-up")
                             .arg(rows).arg(iterations);
    Figure &post = results().figure(QStringLiteral("4 bulk insert %1 rows, one POST").arg(k), QStringLiteral("ms"),
                                    Figure::Target::RatioAtMost, 3, note);
    Figure &event = results().figure(QStringLiteral("4 bulk insert %1 rows, POST until event").arg(k), QStringLiteral("ms"),
                                     Figure::Target::None, 0, note + QStringLiteral("; ours: until a subscriber has the event"));
    const QByteArray headers = "Authorization: Bearer " + token("auth") + "\r\nPrefer: return=minimal\r\n";
    const QStringList copyArgs{QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"),
                               QStringLiteral("-d"), writeUri(), QStringLiteral("-c"),
                               QStringLiteral("COPY api.t (id, name, value, flag) FROM STDIN WITH (FORMAT csv)")};
    for (int run = 0; run < o.runs; ++run) {
        QList<double> ours, until, base;
        for (int i = 0; i < iterations; ++i) {
            double ms = 0;
            if (!truncate(&error)
                || runProgram(QDir(options().pgBin).filePath(QStringLiteral("psql")), copyArgs, nullptr, &ms, csvPath) != 0) {
                results().error(QStringLiteral("bulk insert COPY failed ") + error);
                return;
            }
            base.append(ms);
            if (!settle(creates + 1) || !truncate(&error)) {
                results().error(QStringLiteral("bulk insert: COPY's event missing ") + error);
                return;
            }
            const int before = creates;
            HttpClient client(server.port());
            const qint64 start = nowNs();
            const HttpClient::Response r = client.request("POST", "/query/t", json, headers);
            const qint64 answered = nowNs();
            if (r.status != 201) {
                results().error(QStringLiteral("bulk insert: POST answered %1: %2").arg(r.status).arg(QString::fromUtf8(r.body.left(300))));
                return;
            }
            if (!settle(before + 1)) {
                results().error(QStringLiteral("bulk insert: POST's event missing"));
                return;
            }
            ours.append(double(answered - start) / 1e6);
            until.append(double(eventAt - start) / 1e6);
        }
        post.ours.append(median(ours));
        post.baseline.append(median(base));
        event.ours.append(median(until));
        event.baseline.append(median(base));
        std::printf("  bulk %d rows run %d: POST %.1f ms, until event %.1f ms (COPY via psql %.1f ms)\n", rows, run + 1,
                    median(ours), median(until), median(base));
        std::fflush(stdout);
    }
}

} // namespace Bench
