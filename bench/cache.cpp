// Benchmark 12: the persisted cache (issue 17). Opening a table from the
// cache against filling it from the server, the cache's size against the
// JSON, and the storage engines measured on the same rows (why a file of
// packed rows and not SQLite: docs/cache.md).

#include "benchmarks.h"
#include "benchsupport.h"

#include <Aiodata/client.h>
#include <Aiodata/tablemodel.h>

#include "cache/cachefile.h"
#include "cache/cachestore.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

namespace Bench {

namespace {

const QString CacheDb = QStringLiteral("bench_cache");

qint64 folderBytes(const QString &dir)
{
    qint64 total = 0;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
    }
    return total;
}

QJsonObject runCacheWorker(const QString &mode, quint16 port, const QString &dir, QString *error)
{
    return runWorker(mode, {QStringLiteral("--port"), QString::number(port), QStringLiteral("--dir"), dir}, error);
}

void printJson(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

// The first table file under dir: what the SQLite comparison stores.
QString firstCacheFile(const QString &dir)
{
    QDirIterator it(dir, {QStringLiteral("*.cache")}, QDir::Files, QDirIterator::Subdirectories);
    return it.hasNext() ? it.next() : QString();
}

} // namespace

void benchCache(qint64 rows)
{
    QString error;
    if (!createDatabase(CacheDb, rows, &error)) {
        results().error(QStringLiteral("cache: ") + error);
        return;
    }
    Server server;
    if (!server.start(CacheDb, QStringLiteral("wal"), &error)) {
        results().error(QStringLiteral("cache: ") + error);
        return;
    }
    const QString n = rows >= 1000000 ? QStringLiteral("%1M").arg(rows / 1000000) : QStringLiteral("%1k").arg(rows / 1000);
    Figure &open = results().figure(QStringLiteral("12 open from cache %1 rows").arg(n), QStringLiteral("ms"),
                                    Figure::Target::RatioAtMost, 0.25,
                                    QStringLiteral("Client::openCache() until cacheOpened (no network call), fresh process, vs "
                                                   "Client::start() until ready from the server (no cache), fresh process"));
    Figure &openAbs = results().figure(QStringLiteral("12 open from cache %1 rows, absolute").arg(n), QStringLiteral("ms"),
                                       rows >= 1000000 ? Figure::Target::OursAtMost : Figure::Target::None, 300,
                                       QStringLiteral("the same, ours alone (the target is for 1M rows)"));
    Figure &size = results().figure(QStringLiteral("12 cache size %1 rows").arg(n), QStringLiteral("bytes/row"),
                                    Figure::Target::RatioAtMost, 1.5,
                                    QStringLiteral("the cache folder after the fill / rows, vs the JSON of GET /query/t / rows"));
    Figure &write = results().figure(QStringLiteral("12 cache write %1 rows (worker thread)").arg(n), QStringLiteral("ms"),
                                     Figure::Target::None, 0,
                                     QStringLiteral("the table's file written and synced by the cache's worker (the GUI thread only shares the rows), "
                                                    "vs the fill from the server"));
    Figure &sqliteRead = results().figure(QStringLiteral("12 storage read %1 rows: packed file vs SQLite").arg(n), QStringLiteral("ms"),
                                          Figure::Target::None, 0,
                                          QStringLiteral("the same packed rows read back: CacheFile::read of the mapped file vs "
                                                         "QtSql SELECT of one BLOB per row (rowid order) into rows"));
    Figure &sqliteWrite = results().figure(QStringLiteral("12 storage write %1 rows: packed file vs SQLite").arg(n), QStringLiteral("ms"),
                                           Figure::Target::None, 0,
                                           QStringLiteral("CacheFile::write to a QSaveFile vs one SQLite transaction of prepared INSERTs "
                                                          "(journal_mode=WAL, synchronous=NORMAL)"));
    Figure &sqliteSize = results().figure(QStringLiteral("12 storage size %1 rows: packed file vs SQLite").arg(n), QStringLiteral("bytes/row"),
                                          Figure::Target::None, 0, QStringLiteral("file sizes after the writes above"));
    for (int run = 0; run < options().runs; ++run) {
        QTemporaryDir dir(QDir(options().workDir).filePath(QStringLiteral("cache-XXXXXX")));
        const QJsonObject fill = runCacheWorker(QStringLiteral("cache-fill"), server.port(), dir.path(), &error);
        const QJsonObject opened = fill.isEmpty() ? QJsonObject()
                                                  : runCacheWorker(QStringLiteral("cache-open"), server.port(), dir.path(), &error);
        const double cacheBytes = double(folderBytes(dir.path())); // before the engines' copies
        const QJsonObject engines = opened.isEmpty() ? QJsonObject()
                                                     : runCacheWorker(QStringLiteral("cache-engines"), 0, dir.path(), &error);
        if (engines.isEmpty()) {
            results().error(QStringLiteral("cache: ") + error);
            return;
        }
        if (fill.value(QLatin1String("rows")).toInteger() != rows || opened.value(QLatin1String("rows")).toInteger() != rows) {
            results().error(QStringLiteral("cache: expected %1 rows, got %2 filled and %3 opened")
                                .arg(rows)
                                .arg(fill.value(QLatin1String("rows")).toInteger())
                                .arg(opened.value(QLatin1String("rows")).toInteger()));
            return;
        }
        HttpClient http(server.port());
        const HttpClient::Response json = http.request("GET", "/query/t", QByteArray(), QByteArray(), 300000);
        const double fillMs = fill.value(QLatin1String("ms")).toDouble();
        const double openMs = opened.value(QLatin1String("ms")).toDouble();
        open.ours.append(openMs);
        open.baseline.append(fillMs);
        openAbs.ours.append(openMs);
        size.ours.append(cacheBytes / double(rows));
        size.baseline.append(double(json.body.size()) / double(rows));
        write.ours.append(fill.value(QLatin1String("writeMs")).toDouble());
        write.baseline.append(fillMs);
        sqliteRead.ours.append(engines.value(QLatin1String("fileReadMs")).toDouble());
        sqliteRead.baseline.append(engines.value(QLatin1String("sqliteReadMs")).toDouble());
        sqliteWrite.ours.append(engines.value(QLatin1String("fileWriteMs")).toDouble());
        sqliteWrite.baseline.append(engines.value(QLatin1String("sqliteWriteMs")).toDouble());
        sqliteSize.ours.append(engines.value(QLatin1String("fileBytes")).toDouble() / double(rows));
        sqliteSize.baseline.append(engines.value(QLatin1String("sqliteBytes")).toDouble() / double(rows));
        std::printf("  cache %lld rows run %d: open %.1f ms vs fill %.1f ms; %.0f vs %.0f JSON bytes/row; write %.1f ms; "
                    "read file %.1f / SQLite %.1f ms; write file %.1f / SQLite %.1f ms\n",
                    rows, run + 1, openMs, fillMs, cacheBytes / double(rows), double(json.body.size()) / double(rows),
                    fill.value(QLatin1String("writeMs")).toDouble(), engines.value(QLatin1String("fileReadMs")).toDouble(),
                    engines.value(QLatin1String("sqliteReadMs")).toDouble(), engines.value(QLatin1String("fileWriteMs")).toDouble(),
                    engines.value(QLatin1String("sqliteWriteMs")).toDouble());
        std::fflush(stdout);
    }
}

int cacheWorker(const QString &mode, quint16 port, const QString &dir)
{
    QJsonObject result;
    if (mode == QLatin1String("cache-fill") || mode == QLatin1String("cache-open")) {
        // The same URL for both: the cache is per server. openCache() makes no network call.
        auto *client = new Aiodata::Client(qApp);
        client->setUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
        client->setCacheDirectory(dir);
        const qint64 start = nowNs();
        const auto finish = [&] {
            result.insert(QLatin1String("ms"), double(nowNs() - start) / 1e6);
            Aiodata::TableModel *model = client->table(QStringLiteral("t"));
            result.insert(QLatin1String("rows"), model ? model->count() : -1);
            // Not inside the client's own signal.
            QTimer::singleShot(0, qApp, [&] {
                const qint64 writeStart = nowNs();
                delete client; // writes the cache (fill) and waits for its worker
                result.insert(QLatin1String("writeMs"), double(nowNs() - writeStart) / 1e6);
                qApp->quit();
            });
        };
        if (mode == QLatin1String("cache-fill")) {
            // The first connection's hello tells the cache whose rows they are.
            QObject::connect(client, &Aiodata::Client::ready, qApp, finish);
            QObject::connect(client, &Aiodata::Client::errorOccurred, qApp, [&](Aiodata::Client::Error, const QString &message) {
                result.insert(QLatin1String("error"), message);
                qApp->quit();
            });
            client->start();
        } else {
            QObject::connect(client, &Aiodata::Client::cacheOpened, qApp, finish);
            client->openCache();
        }
        QCoreApplication::exec();
        printJson(result);
        return result.contains(QLatin1String("error")) ? 1 : 0;
    }
    if (mode == QLatin1String("cache-engines")) {
        const QString path = firstCacheFile(dir);
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            printJson({{QLatin1String("error"), QString(QStringLiteral("no cache file in ") + dir)}});
            return 1;
        }
        qint64 t = nowNs();
        const uchar *bytes = file.map(0, file.size());
        QString why;
        std::optional<Aiodata::Internal::CacheFile::Contents> contents = Aiodata::Internal::CacheFile::read(QByteArrayView(bytes, file.size()), &why);
        result.insert(QLatin1String("fileReadMs"), double(nowNs() - t) / 1e6);
        if (!contents) {
            printJson({{QLatin1String("error"), why}});
            return 1;
        }
        const QString copy = dir + QLatin1String("/copy.cache");
        t = nowNs();
        {
            QSaveFile out(copy);
            if (!out.open(QIODevice::WriteOnly) || !Aiodata::Internal::CacheFile::write(out, contents->header, contents->rows) || !out.commit()) {
                printJson({{QLatin1String("error"), QString(QStringLiteral("cannot write ") + copy)}});
                return 1;
            }
        }
        result.insert(QLatin1String("fileWriteMs"), double(nowNs() - t) / 1e6);
        result.insert(QLatin1String("fileBytes"), double(QFileInfo(copy).size()));

        // SQLite through QtSql, the other candidate: the same rows, one BLOB each.
        const QString dbPath = dir + QLatin1String("/rows.sqlite");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bench"));
            db.setDatabaseName(dbPath);
            if (!db.open()) {
                printJson({{QLatin1String("error"), db.lastError().text()}});
                return 1;
            }
            QSqlQuery q(db);
            q.exec(QStringLiteral("PRAGMA journal_mode=WAL"));
            q.exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
            q.exec(QStringLiteral("CREATE TABLE rows (k INTEGER PRIMARY KEY, b BLOB NOT NULL)"));
            t = nowNs();
            db.transaction();
            QSqlQuery insert(db);
            insert.prepare(QStringLiteral("INSERT INTO rows (k, b) VALUES (?, ?)"));
            qint64 k = 0;
            for (const Aiodata::Internal::PackedRow &row : std::as_const(contents->rows)) {
                insert.bindValue(0, ++k);
                insert.bindValue(1, row.bytes());
                if (!insert.exec()) {
                    printJson({{QLatin1String("error"), insert.lastError().text()}});
                    return 1;
                }
            }
            db.commit();
            q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
            result.insert(QLatin1String("sqliteWriteMs"), double(nowNs() - t) / 1e6);
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("bench"));
        result.insert(QLatin1String("sqliteBytes"), double(QFileInfo(dbPath).size()));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bench2"));
            db.setDatabaseName(dbPath);
            db.open();
            t = nowNs();
            QList<Aiodata::Internal::PackedRow> read;
            read.reserve(contents->rows.size());
            QSqlQuery select(db);
            select.setForwardOnly(true);
            select.exec(QStringLiteral("SELECT b FROM rows ORDER BY k"));
            while (select.next())
                read.append(Aiodata::Internal::PackedRow(select.value(0).toByteArray()));
            result.insert(QLatin1String("sqliteReadMs"), double(nowNs() - t) / 1e6);
            result.insert(QLatin1String("sqliteRows"), double(read.size()));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("bench2"));
        printJson(result);
        return 0;
    }
    printJson({{QLatin1String("error"), QString(QStringLiteral("unknown worker ") + mode)}});
    return 1;
}

} // namespace Bench
