#pragma once

#include "http/httpserver.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QQueue>

namespace Aiodata::Server {

// Makes writes safe to resend. HTTP clients resend a request whose answer
// was lost (Qt's QNetworkAccessManager does so by itself, even for POST);
// a write carrying an Idempotency-Key runs once, and a resend with the same
// key gets the first answer (or waits for it) instead of writing again.
// Kept in memory, per server instance, for a bounded time and count; with
// IdempotencyStore, the database keeps them across restarts and instances,
// and this is the fast path for resends to the same process.
class IdempotencyCache
{
public:
    enum class Outcome { Run, Answered, Waiting };

    explicit IdempotencyCache(int maxEntries = 10000, qint64 ttlMs = 10 * 60 * 1000);

    // Run: the caller executes the write and calls finish(); Answered: the
    // stored answer was sent; Waiting: the first request is still running
    // and this responder gets its answer.
    Outcome begin(const QByteArray &key, const HttpResponder &responder);
    // The waiters get the response; Keep::Remember answers later resends
    // with it too, Keep::Forget lets them run again (a failed write whose
    // key the database did not record).
    enum class Keep { Remember, Forget };
    void finish(const QByteArray &key, const HttpResponse &response, Keep keep = Keep::Remember);
    int size() const { return int(m_entries.size()); }

private:
    struct Entry
    {
        bool done = false;
        HttpResponse response;
        QList<HttpResponder> waiters;
        qint64 createdMs = 0;
    };
    void expire();

    int m_maxEntries;
    qint64 m_ttlMs;
    QElapsedTimer m_clock;
    QHash<QByteArray, Entry> m_entries;
    QQueue<QByteArray> m_order;
};

} // namespace Aiodata::Server
