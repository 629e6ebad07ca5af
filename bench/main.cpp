// aiodata_bench: the benchmark suite. Every figure is ours next to a
// baseline measured in the same run on the same machine (see
// docs/performance.md). Started by bench/run, which provides the PostgreSQL
// cluster (AIODATA_BENCH_ADMIN_URI) and cleans up after it.

#include "benchmarks.h"
#include "benchsupport.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cstdio>

using namespace Bench;

int main(int argc, char *argv[])
{
    // Qt's own poll() event dispatcher: less overhead than glib's, and the
    // same for every figure.
    const bool setNoGlib = qEnvironmentVariableIsEmpty("QT_NO_GLIB");
    if (setNoGlib)
        qputenv("QT_NO_GLIB", "1");
    // Worker processes need no GUI; decide before any application object exists.
    for (int i = 1; i + 1 < argc; ++i) {
        if (qstrcmp(argv[i], "--worker") == 0) {
            QCoreApplication app(argc, argv);
            const QStringList args = app.arguments();
            const qsizetype at = args.indexOf(QStringLiteral("--worker"));
            const qsizetype portAt = args.indexOf(QStringLiteral("--port"));
            const qsizetype linkAt = args.indexOf(QStringLiteral("--link"));
            const qsizetype delayAt = args.indexOf(QStringLiteral("--delay-us"));
            const qsizetype dirAt = args.indexOf(QStringLiteral("--dir"));
            if (args.value(at + 1).startsWith(QLatin1String("writes-")))
                return writesWorker(args.value(at + 1), portAt > 0 ? args.value(portAt + 1).toUShort() : 0, args.value(dirAt + 1),
                                    args.value(args.indexOf(QStringLiteral("--count")) + 1).toInt());
            if (args.value(at + 1).startsWith(QLatin1String("cache-")))
                return cacheWorker(args.value(at + 1), portAt > 0 ? args.value(portAt + 1).toUShort() : 0, args.value(dirAt + 1));
            return fillWorker(args.value(at + 1), portAt > 0 ? args.value(portAt + 1).toUShort() : 0,
                              linkAt > 0 ? args.value(linkAt + 1).toLongLong() : 0,
                              delayAt > 0 ? args.value(delayAt + 1).toLongLong() : 0);
        }
    }

    // Benchmark 8 shows a QTableView: offscreen unless told otherwise.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("aiodata_bench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "aiodata's benchmarks against baselines measured in the same run. Run through bench/run, which starts "
        "the PostgreSQL cluster; needs AIODATA_BENCH_ADMIN_URI."));
    parser.addHelpOption();
    const QCommandLineOption smokeOption(QStringLiteral("smoke"), QStringLiteral("Tiny sizes, one run: checks that everything works."));
    const QCommandLineOption scalingOption(QStringLiteral("scaling"),
                                           QStringLiteral("Growth series: read, fill and memory at 10k/100k/1M rows, fan-out to 10/100/1000 clients."));
    const QCommandLineOption runsOption(QStringLiteral("runs"), QStringLiteral("Runs per figure (median; default 3, smoke 1)."), QStringLiteral("n"));
    const QCommandLineOption onlyOption(QStringLiteral("only"),
                                        QStringLiteral("Comma-separated subset of: latency, fanout, rate, bulk, read, fill, events, instructions, reconnect, subsets, cache, durable."),
                                        QStringLiteral("names"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Where to write the results (JSON)."), QStringLiteral("file"));
    parser.addOptions({smokeOption, scalingOption, runsOption, onlyOption, jsonOption});
    parser.process(app);

    Options o;
    o.smoke = parser.isSet(smokeOption);
    o.scaling = parser.isSet(scalingOption);
    o.runs = parser.isSet(runsOption) ? qMax(1, parser.value(runsOption).toInt()) : o.smoke ? 1 : 3;
    if (parser.isSet(onlyOption))
        o.only = parser.value(onlyOption).split(QLatin1Char(','), Qt::SkipEmptyParts);
    o.adminUri = qEnvironmentVariable("AIODATA_BENCH_ADMIN_URI");
    o.workDir = qEnvironmentVariable("AIODATA_BENCH_DIR", QDir::current().filePath(QStringLiteral("bench-work")));
    o.jsonPath = parser.isSet(jsonOption) ? parser.value(jsonOption) : QDir(o.workDir).filePath(QStringLiteral("results.json"));
    o.selfBin = QCoreApplication::applicationFilePath();
    o.setNoGlib = setNoGlib;
    o.serverBin = qEnvironmentVariable("AIODATA_SERVER_BIN",
                                       QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("aiodata")));
    // bench/run finds the installed PostgreSQL's binaries (any major) as scripts/devdb does.
    o.pgBin = qEnvironmentVariable("AIODATA_PG_BIN");
    if (o.adminUri.isEmpty() || o.pgBin.isEmpty()) {
        std::fprintf(stderr, "aiodata_bench: AIODATA_BENCH_ADMIN_URI or AIODATA_PG_BIN is not set; run bench/run\n");
        return 2;
    }
    if (!QFileInfo(o.serverBin).isExecutable()) {
        std::fprintf(stderr, "aiodata_bench: server binary %s not found (AIODATA_SERVER_BIN)\n", qPrintable(o.serverBin));
        return 2;
    }
    QDir().mkpath(o.workDir);
    setOptions(o);

    // Sizes: the targets' sizes; the growth series with --scaling.
    QList<int> clients = o.smoke ? QList<int>{10} : QList<int>{100, 1000};
    QList<qint64> sizes = o.smoke ? QList<qint64>{10000} : QList<qint64>{100000};
    if (o.scaling) {
        clients = o.smoke ? QList<int>{2, 5, 10} : QList<int>{10, 100, 1000};
        sizes = o.smoke ? QList<qint64>{1000, 5000, 10000} : QList<qint64>{10000, 100000, 1000000};
        if (o.only.isEmpty())
            o.only = QStringList{QStringLiteral("fanout"), QStringLiteral("read"), QStringLiteral("fill")};
        setOptions(o);
    }

    struct Step
    {
        const char *name;
        std::function<void()> run;
    };
    const QList<Step> steps{
        {"latency", [] { benchLatency(); }},
        {"fanout", [&] { benchFanout(clients); }},
        {"rate", [] { benchInsertRate(); }},
        {"bulk", [] { benchBulkInsert(); }},
        {"read", [&] { benchRead(sizes); }},
        {"fill", [&] { benchFill(sizes); }},
        {"events", [] { benchEvents(); }},
        {"instructions", [] { benchInstructions(); }},
        {"reconnect", [&] { benchReconnect(options().smoke ? 50 : 1000); }},
        {"subsets", [&] { options().smoke ? benchSubsets(5, 20, 50) : benchSubsets(100, 100, 1000); }},
        {"cache", [] { benchCache(options().smoke ? 10000 : 1000000); }},
        {"durable", [] { benchDurableWrites(options().smoke ? 50 : 1000); }},
    };
    for (const Step &step : steps) {
        if (!o.wants(QString::fromLatin1(step.name)))
            continue;
        std::printf("== %s\n", step.name);
        std::fflush(stdout);
        const qint64 start = nowNs();
        step.run();
        std::printf("   (%.1f s)\n", double(nowNs() - start) / 1e9);
        std::fflush(stdout);
    }

    results().print();
    if (!results().writeJson(o.jsonPath)) {
        std::fprintf(stderr, "aiodata_bench: cannot write %s\n", qPrintable(o.jsonPath));
        return 1;
    }
    std::printf("results: %s\n", qPrintable(o.jsonPath));
    return results().errors() ? 1 : 0;
}
