#pragma once

#include "schema/schemacache.h"

#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <optional>

namespace Aiodata::Server {

class PgPool;

// What else changes with the schema, supplied by whoever builds the server
// (the reloader knows nothing of subscribers): prepare runs once the new
// schema is read, before the swap, and calls its argument when ready;
// commit runs in the swap's own step, with the schemas whose description
// changed.
struct SchemaReloadSteps
{
    std::function<void(std::function<void()> ready)> prepare;
    std::function<void(const QSet<QString> &changedSchemas)> commit;
};

// Keeps the schema cache in step with the database, PostgREST's way: a
// (re)load reads every exposed schema through the pool into a new cache,
// asks what each subscribed role may read now, and then, in one step on
// the event loop, swaps the cache and the subscribers' readable tables
// (SchemaReloadSteps), so no request or event ever sees half of it. Requests coalesce: those that
// arrive within a short quiet period, or while a load runs, make one more
// load. A failed reload keeps the old cache.
class SchemaReloader : public QObject
{
    Q_OBJECT
public:
    SchemaReloader(SchemaCache *cache, PgPool *pool, const QStringList &schemas, SchemaReloadSteps steps = {},
                   QObject *parent = nullptr);
    ~SchemaReloader() override;

    // Loads now (the first load at start-up); loaded() or failed() follows.
    void load();
    // A reload soon: after quietMs without another request, at most maxDelayMs
    // after the first one.
    void requestReload();
    // Handles a payload on db-channel as PostgREST does.
    void notify(const QString &payload);
    int reloadCount() const { return m_reloads; }

    static constexpr int quietMs = 100;
    static constexpr int maxDelayMs = 1000;

    // Reads every schema into a new cache; error set when that fails.
    static void read(PgPool *pool, const QStringList &schemas,
                     std::function<void(std::optional<SchemaCache> cache, const QString &error)> done);

Q_SIGNALS:
    // The cache holds the new schema; changed: some description differs.
    void loaded(bool changed);
    void failed(const QString &error);

private:
    void apply(SchemaCache cache, int requests);

    SchemaCache *m_cache;
    PgPool *m_pool;
    QStringList m_schemas;
    SchemaReloadSteps m_steps;
    QTimer m_quiet;          // restarted by each request
    QTimer m_deadline;       // not restarted: a steady stream still reloads
    bool m_loading = false;
    bool m_pending = false;  // requested while loading: once more afterwards
    int m_requests = 0;      // requests this load answers (for the log)
    int m_reloads = 0;
    bool m_everLoaded = false;
};

} // namespace Aiodata::Server
