#include "schema/schemareloader.h"

#include "base/logging.h"
#include "pg/pgpool.h"

#include <QPointer>

#include <memory>

namespace Aiodata::Server {

SchemaReloader::SchemaReloader(SchemaCache *cache, PgPool *pool, const QStringList &schemas, SchemaReloadSteps steps,
                               QObject *parent)
    : QObject(parent)
    , m_cache(cache)
    , m_pool(pool)
    , m_schemas(schemas)
    , m_steps(std::move(steps))
{
    m_quiet.setSingleShot(true);
    m_quiet.setInterval(quietMs);
    m_deadline.setSingleShot(true);
    m_deadline.setInterval(maxDelayMs);
    connect(&m_quiet, &QTimer::timeout, this, &SchemaReloader::load);
    connect(&m_deadline, &QTimer::timeout, this, &SchemaReloader::load);
}

SchemaReloader::~SchemaReloader() = default;

void SchemaReloader::read(PgPool *pool, const QStringList &schemas,
                          std::function<void(std::optional<SchemaCache>, const QString &)> done)
{
    // One job per schema, in parallel; the first error decides.
    struct State
    {
        SchemaCache cache;
        int remaining;
        QString error;
    };
    auto state = std::make_shared<State>();
    state->remaining = int(schemas.size());
    for (const QString &name : schemas) {
        PgJob job;
        job.statements = {PgStatement{SchemaCache::describeSql(), {name.toUtf8(), "false", QByteArray()}},
                          PgStatement{SchemaCache::rowSecuritySql(), {name.toUtf8(), QByteArray()}},
                          PgStatement{SchemaCache::foreignKeysSql(), {name.toUtf8()}}};
        job.done = [state, name, done](const QList<PgResult> &results, const PgError &error) {
            if (state->error.isEmpty()) {
                if (!error.isNull())
                    state->error = QStringLiteral("cannot read schema \"%1\": %2").arg(name, error.message);
                else if (state->cache.load(name, results.value(0).value(0, 0), &state->error)) {
                    state->cache.loadRowSecurity(name, results.value(1).value(0, 0));
                    state->cache.loadForeignKeys(name, results.value(2).value(0, 0));
                }
            }
            if (--state->remaining > 0)
                return;
            if (state->error.isEmpty())
                done(std::move(state->cache), QString());
            else
                done(std::nullopt, state->error);
        };
        pool->execute(std::move(job));
    }
}

void SchemaReloader::notify(const QString &payload)
{
    // PostgREST's payloads: empty or 'reload schema' reload the schema
    // cache ('reload config' is the server's, app/server.cpp).
    if (payload.isEmpty() || payload == QLatin1String("reload schema")) {
        requestReload();
    } else {
        qCDebug(lcServer) << "ignoring notification" << payload;
    }
}

void SchemaReloader::requestReload()
{
    ++m_requests;
    m_quiet.start();
    if (!m_deadline.isActive())
        m_deadline.start();
}

void SchemaReloader::load()
{
    m_quiet.stop();
    m_deadline.stop();
    if (m_loading) {
        // The load under way may have read the catalog before the change.
        m_pending = true;
        return;
    }
    m_loading = true;
    const int requests = std::exchange(m_requests, 0);
    QPointer<SchemaReloader> self = this;
    read(m_pool, m_schemas, [self, requests](std::optional<SchemaCache> cache, const QString &error) {
        if (!self)
            return;
        if (cache) {
            self->apply(std::move(*cache), requests);
            return;
        }
        self->m_loading = false;
        if (self->m_everLoaded)
            qCWarning(lcServer).noquote() << "schema cache reload failed, keeping the old one:" << error;
        Q_EMIT self->failed(error);
        if (self && std::exchange(self->m_pending, false))
            self->load();
    });
}

void SchemaReloader::apply(SchemaCache cache, int requests)
{
    // What depends on the schema (what subscribers may read) is gathered
    // before anything is swapped, then the cache and it change in one step.
    auto next = std::make_shared<SchemaCache>(std::move(cache));
    QPointer<SchemaReloader> self = this;
    auto swap = [self, next, requests] {
        if (!self)
            return;
        QSet<QString> changed;
        for (const QString &schema : std::as_const(self->m_schemas)) {
            if (next->description(schema) != self->m_cache->description(schema))
                changed.insert(schema);
        }
        *self->m_cache = std::move(*next);
        if (self->m_steps.commit)
            self->m_steps.commit(changed);
        const bool first = !self->m_everLoaded;
        self->m_everLoaded = true;
        self->m_loading = false;
        if (!first) {
            ++self->m_reloads;
            // Tests count these lines: one per reload, with the requests it answered.
            qCInfo(lcServer).noquote() << QStringLiteral("schema cache reloaded (reload %1, %2 request(s), %3)")
                                              .arg(self->m_reloads)
                                              .arg(requests)
                                              .arg(changed.isEmpty() ? QStringLiteral("unchanged") : QStringLiteral("changed"));
        }
        Q_EMIT self->loaded(!changed.isEmpty());
        if (std::exchange(self->m_pending, false))
            self->load();
    };
    if (m_steps.prepare)
        m_steps.prepare(std::move(swap));
    else
        swap();
}

} // namespace Aiodata::Server
