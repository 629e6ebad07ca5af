#include "rest/idempotencycache.h"

namespace Aiodata::Server {

IdempotencyCache::IdempotencyCache(int maxEntries, qint64 ttlMs)
    : m_maxEntries(maxEntries)
    , m_ttlMs(ttlMs)
{
    m_clock.start();
}

void IdempotencyCache::expire()
{
    const qint64 now = m_clock.elapsed();
    while (!m_order.isEmpty()) {
        const auto it = m_entries.constFind(m_order.head());
        const bool tooMany = m_entries.size() > m_maxEntries;
        if (it != m_entries.constEnd() && !tooMany && now - it->createdMs < m_ttlMs)
            break;
        // Never forget a running write: its resends must keep waiting for it.
        if (it != m_entries.constEnd() && !it->done)
            break;
        m_entries.remove(m_order.dequeue());
    }
}

IdempotencyCache::Outcome IdempotencyCache::begin(const QByteArray &key, const HttpResponder &responder)
{
    expire();
    auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        Entry e;
        e.createdMs = m_clock.elapsed();
        m_entries.insert(key, e);
        m_order.enqueue(key);
        return Outcome::Run;
    }
    if (!it->done) {
        it->waiters.append(responder);
        return Outcome::Waiting;
    }
    HttpResponse replay = it->response;
    replay.headers.append(qMakePair(QByteArrayLiteral("Idempotent-Replayed"), QByteArrayLiteral("true")));
    responder.send(replay);
    return Outcome::Answered;
}

void IdempotencyCache::finish(const QByteArray &key, const HttpResponse &response, Keep keep)
{
    auto it = m_entries.find(key);
    if (it == m_entries.end())
        return;
    const QList<HttpResponder> waiters = std::exchange(it->waiters, {});
    if (keep == Keep::Forget) {
        m_entries.erase(it); // its place in m_order goes when expire() reaches it
    } else {
        it->done = true;
        it->response = response;
    }
    HttpResponse replay = response;
    replay.headers.append(qMakePair(QByteArrayLiteral("Idempotent-Replayed"), QByteArrayLiteral("true")));
    for (const HttpResponder &w : waiters)
        w.send(replay);
}

} // namespace Aiodata::Server
