// Benchmark 9 (info): instructions per single-row POST, counted by
// callgrind. Unlike the timed figures, the count does not move with what
// else the machine is doing, so a change's cost on the hot path shows
// without the noise of a shared 2-core machine.

#include "benchmarks.h"
#include "benchsupport.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QWebSocket>

namespace Bench {

namespace {

const QString InstructionsDb = QStringLiteral("bench_instructions");
constexpr int Connections = 8;

// The program's total instructions from callgrind's output file.
qint64 callgrindTotal(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("no callgrind output %1").arg(path);
        return 0;
    }
    qint64 total = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        if (line.startsWith("summary:") || line.startsWith("totals:"))
            total = qMax(total, line.mid(line.indexOf(':') + 1).trimmed().split(' ').value(0).toLongLong());
    }
    if (total <= 0)
        *error = QStringLiteral("no totals in %1").arg(path);
    return total;
}

// Everything the server executed in its life under callgrind, from start
// to exit: start-up, at least `posts` POSTs and their events to one
// subscriber. *posted is the exact number of POSTs answered.
qint64 serverInstructions(const QString &valgrind, const QString &events, int posts, qint64 *posted, QString *error)
{
    const QString out = QDir(options().workDir).filePath(QStringLiteral("callgrind.server.out"));
    QFile::remove(out);
    Server server;
    server.wrapper = {valgrind, QStringLiteral("-q"), QStringLiteral("--tool=callgrind"), QStringLiteral("--callgrind-out-file=") + out};
    if (!server.start(InstructionsDb, events, error, Connections))
        return 0;
    QWebSocket subscriber;
    bool hello = false;
    qint64 created = 0;
    QObject::connect(&subscriber, &QWebSocket::textMessageReceived, [&](const QString &m) {
        if (m.contains(QLatin1String("\"type\":\"hello\"")))
            hello = true;
        else if (m.contains(QLatin1String("\"action\":\"create\"")))
            ++created;
    });
    subscriber.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/state").arg(server.port())));
    if (!spinUntil([&] { return hello; }, 60000)) {
        *error = QStringLiteral("no subscription");
        return 0;
    }
    PostLoad load(server.port(), Connections);
    spinUntil([&] { return load.created() + load.failed() >= posts; }, 600000);
    load.stop();
    if (load.failed() || load.created() < posts) {
        *error = QStringLiteral("%1 of %2 POSTs failed (last status %3)").arg(load.failed()).arg(posts).arg(load.lastFailedStatus());
        return 0;
    }
    *posted = load.created();
    // Every event delivered, so their cost is in the count.
    if (!spinUntil([&] { return created >= *posted; }, 120000)) {
        *error = QStringLiteral("%1 of %2 events arrived").arg(created).arg(*posted);
        return 0;
    }
    subscriber.close();
    server.stop(); // SIGTERM: callgrind writes its file as the server exits
    return callgrindTotal(out, error);
}

// pgbench's instructions for `transactions` prepared INSERTs (insert.sql,
// a multiple of 8) on 8 connections: what a bare libpq client spends per row.
qint64 pgbenchInstructions(const QString &valgrind, int transactions, QString *error)
{
    const QString out = QDir(options().workDir).filePath(QStringLiteral("callgrind.pgbench.out"));
    QFile::remove(out);
    QByteArray output;
    const int rc = runProgram(valgrind,
                              {QStringLiteral("-q"), QStringLiteral("--tool=callgrind"), QStringLiteral("--callgrind-out-file=") + out,
                               QDir(options().pgBin).filePath(QStringLiteral("pgbench")), QStringLiteral("-n"), QStringLiteral("-c"),
                               QString::number(Connections), QStringLiteral("-j"), QStringLiteral("2"), QStringLiteral("-t"),
                               QString::number(transactions / Connections), QStringLiteral("-M"), QStringLiteral("prepared"),
                               QStringLiteral("-f"), QStringLiteral(AIODATA_BENCH_SOURCE_DIR "/insert.sql"),
                               databaseUri(options().adminUri, QStringLiteral("postgres"), InstructionsDb)},
                              &output, nullptr);
    if (rc != 0) {
        *error = QStringLiteral("pgbench under valgrind failed: ") + QString::fromUtf8(output.right(500));
        return 0;
    }
    return callgrindTotal(out, error);
}

} // namespace

#if defined(__SANITIZE_ADDRESS__)
#define AIODATA_BENCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIODATA_BENCH_SANITIZED 1
#endif
#endif

void benchInstructions()
{
#ifdef AIODATA_BENCH_SANITIZED
    // The server of this build is instrumented too, and valgrind cannot run it.
    std::printf("  (skipped: sanitizer build)\n");
    return;
#endif
    const QString valgrind = QStandardPaths::findExecutable(QStringLiteral("valgrind"));
    if (valgrind.isEmpty()) {
        std::printf("  (skipped: valgrind not found)\n");
        return;
    }
    QString error;
    auto failed = [&error] { results().error(QStringLiteral("instructions: ") + error); };
    if (!createDatabase(InstructionsDb, 0, &error))
        return failed();
    // Two lengths, so that start-up and shut-down cancel out in the difference.
    const int shortRun = options().smoke ? 80 : 1000;
    const int longRun = options().smoke ? 240 : 3000;

    const qint64 pgShort = pgbenchInstructions(valgrind, shortRun, &error);
    const qint64 pgLong = pgShort ? pgbenchInstructions(valgrind, longRun, &error) : 0;
    if (!pgLong)
        return failed();
    const double perInsert = double(pgLong - pgShort) / double(longRun - shortRun);

    for (const QString &events : {QStringLiteral("wal"), QStringLiteral("own")}) {
        qint64 postedShort = 0, postedLong = 0;
        const qint64 irShort = serverInstructions(valgrind, events, shortRun, &postedShort, &error);
        const qint64 irLong = irShort ? serverInstructions(valgrind, events, longRun, &postedLong, &error) : 0;
        if (!irLong)
            return failed();
        const double perPost = double(irLong - irShort) / double(postedLong - postedShort);
        Figure &f = results().figure(QStringLiteral("9 server instructions per POST") + (events == QLatin1String("own") ? QStringLiteral(" (--events own)") : QString()),
                                     QStringLiteral("instr"), Figure::Target::None, 0,
                                     QStringLiteral("callgrind, user space only: (server run of %1 POSTs - run of %2) / difference; "
                                                    "8 connections, one subscriber; baseline: pgbench -M prepared client per INSERT, same way")
                                         .arg(longRun).arg(shortRun));
        f.ours.append(perPost);
        f.baseline.append(perInsert);
        std::printf("  server instructions per POST (%s): %.0f (pgbench client per INSERT %.0f)\n", qPrintable(events), perPost, perInsert);
        std::fflush(stdout);
    }
}

} // namespace Bench
