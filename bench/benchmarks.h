#pragma once

#include <QList>
#include <QString>

// The benchmarks; each records its figures in Bench::results(), ours and
// baseline measured in the same run, options().runs times.
namespace Bench {

void benchLatency();     // 1: write -> event, one Aiodata::Client, vs INSERT + NOTIFY/LISTEN
void benchFanout(const QList<int> &clientCounts); // 2: write -> event at the last of N WebSocket clients
void benchInsertRate();  // 3: single-row POSTs on 8 connections vs pgbench
void benchBulkInsert();  // 4: one POST of 10,000 rows vs psql COPY
void benchRead(const QList<qint64> &sizes);       // 5: GET /query/t vs psql COPY (json_agg)
void benchFill(const QList<qint64> &sizes);       // 6 + 7: Client::start() until ready, RSS per row
void benchEvents();      // 8: events applied to a model with a QTableView vs JSON parsing only
void benchInstructions(); // 9 (info): server instructions per POST vs a pgbench client's per INSERT (callgrind)
void benchReconnect(int clients); // 10: N clients after a server kill -9 + restart: resume (permanent slot) vs re-snapshot
void benchSubsets(int streams, int perStream, int distinctFilters); // 11: live subsets: latency and rows/s with many vs one
void benchCache(qint64 rows); // 12: open from the cache vs fill from the server; size vs JSON; packed file vs SQLite
void benchDurableWrites(int writes); // 13: creates journaled and sent in order vs sent at once without a cache

// Child-process entry points (fresh heap for time and memory figures).
// linkBytesPerSecond > 0: through a ThrottledRelay of that rate, whose
// bytes each way take oneWayDelayUs.
int fillWorker(const QString &mode, quint16 port, qint64 linkBytesPerSecond = 0, qint64 oneWayDelayUs = 0);
// cache-fill, cache-open, cache-engines: with the cache folder dir.
int cacheWorker(const QString &mode, quint16 port, const QString &dir);
// writes-durable, writes-plain: count single-row creates through a Client with (without) a cache in dir.
int writesWorker(const QString &mode, quint16 port, const QString &dir, int writes);

} // namespace Bench
