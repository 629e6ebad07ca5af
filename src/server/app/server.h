#pragma once

#include "base/config.h"
#include "fanout/subscribercontext.h"

#include <QHash>
#include <QObject>

#include <memory>

namespace Aiodata::Server {

class ChangeSource;
class Fanout;
class HttpServer;
class IdempotencyStore;
class PgListener;
class PgPool;
class Routes;
class RowFilter;
class SubsetFilter;
class SchemaCache;
class SchemaReloader;
class UnixSignalNotifier;

// One aiodata server: owns every part and starts them in order. The pool
// connects; LISTEN (db-channel) is in place; the schema cache is loaded; the
// table of Idempotency-Keys is made ready (or keys stay in memory); the
// database's version, wal_level and publication choose the change source
// (WAL, else own writes); then the fan-out, the routes and the HTTP server
// come up and the "serving" line is printed. Anything that stops the start
// is said once in failed(); after the start, the database may come and go.
class Server : public QObject
{
    Q_OBJECT
public:
    // The oldest PostgreSQL served (server_version_num): pg_current_snapshot()
    // and libpq's pipeline are 13+ and 14+, and 14 is the oldest major still
    // supported by the PostgreSQL project.
    static constexpr int MinimumServerVersion = 140000;

    explicit Server(Config config, QObject *parent = nullptr);
    ~Server() override;

    void start();

Q_SIGNALS:
    // The start failed (one line): nothing is served; the process should exit.
    void failed(const QString &message);

private:
    void firstLoad();
    void prepareKeys();
    void chooseSource();
    void startStream();
    void createPublication();
    void useOwnWrites(const QString &reason);
    void serve();
    void stop(const QString &message);
    // NOTIFY on db-channel: 'reload config' here, the rest to the schema reloader.
    void notified(const QString &payload);
    // SIGUSR2 or NOTIFY 'reload config': the JWT settings from the config
    // file again (PostgREST reloads its configuration the same two ways).
    void reloadConfig();
    // SchemaReloadSteps: what subscribers may read changes with the schema.
    void prepareSchemaSwap(std::function<void()> ready);
    void commitSchemaSwap(const QSet<QString> &changedSchemas);

    const Config m_config;
    std::unique_ptr<PgPool> m_pool;
    std::unique_ptr<SchemaCache> m_schema;
    std::unique_ptr<HttpServer> m_http;
    std::unique_ptr<SchemaReloader> m_reloader;
    std::unique_ptr<PgListener> m_listener;
    // Chosen at start-up, once the database is known (chooseSource).
    std::unique_ptr<ChangeSource> m_source;
    std::unique_ptr<RowFilter> m_rowFilter;
    std::unique_ptr<SubsetFilter> m_subsetFilter;
    std::unique_ptr<Fanout> m_fanout;
    std::unique_ptr<IdempotencyStore> m_keys; // prepared before the routes serve
    std::unique_ptr<Routes> m_routes;
    std::unique_ptr<UnixSignalNotifier> m_schemaSignal; // SIGUSR1: reload the schema cache
    std::unique_ptr<UnixSignalNotifier> m_configSignal; // SIGUSR2: reload the config
    QHash<QString, ReadableTables> m_nextReadable; // between prepare and commit

    int m_serverVersion = 0;
    QString m_serverVersionText;
    bool m_poolReady = false;
    bool m_listenerFailed = false;
    bool m_loadStarted = false;
    bool m_firstResult = true;
    bool m_started = false;
    bool m_failed = false;
};

} // namespace Aiodata::Server
