#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <optional>

namespace Aiodata::Server {

// The server's settings: the PostgREST keys we honour, read from a PostgREST
// config file (users share one file with PostgREST, so unknown keys are
// ignored), plus our own listen address, which PostgREST's server-port must
// not decide (both may run side by side).
struct Config
{
    QString dbUri;                 // db-uri
    QStringList dbSchemas;         // db-schemas (comma separated) or legacy db-schema; first = default
    QString dbAnonRole;            // db-anon-role; empty = anonymous requests refused
    QByteArray jwtSecret;          // jwt-secret, decoded when jwt-secret-is-base64
    QString jwtAudience;           // jwt-aud
    QString jwtRoleClaimKey = QStringLiteral(".role"); // jwt-role-claim-key (PostgREST's JSPath)
    int jwtCacheMaxEntries = 1000;  // jwt-cache-max-entries (PostgREST 14+); 0 = no cache
    qint64 jwtCacheMaxLifetime = 3600; // jwt-cache-max-lifetime (PostgREST 13 and older), seconds; 0 = no cache
    int dbPool = 10;               // db-pool
    bool dbPreparedStatements = true; // db-prepared-statements
    QStringList corsAllowedOrigins;// server-cors-allowed-origins; "*" allows any; empty allows none
    QString dbChannel = QStringLiteral("pgrst"); // db-channel: NOTIFY channel for 'reload schema'
    bool dbChannelEnabled = true;  // db-channel-enabled: listen on db-channel at all
    // db-tx-end: how a request's transaction ends; the *-allow-override
    // values let Prefer: tx=commit|rollback choose (PostgREST's setting).
    enum class TxEnd { Commit, CommitAllowOverride, Rollback, RollbackAllowOverride };
    TxEnd dbTxEnd = TxEnd::Commit;
    bool txOverrideAllowed() const { return dbTxEnd == TxEnd::CommitAllowOverride || dbTxEnd == TxEnd::RollbackAllowOverride; }
    QHostAddress listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 listenPort = 4000;
    QString sourcePath;            // the file fromFile read: re-read on 'reload config'

    // Our own limits (flags or AIODATA_* variables; see docs/security.md).
    qint64 maxBodyBytes = 16 * 1024 * 1024;     // AIODATA_MAX_BODY_BYTES: 413 beyond
    int maxSubscribers = 10000;                 // AIODATA_MAX_SUBSCRIBERS: WebSockets per server
    int maxSubscribersPerToken = 64;            // AIODATA_MAX_SUBSCRIBERS_PER_TOKEN: per signed token
    int maxSubscriptions = 100;                 // AIODATA_MAX_SUBSCRIPTIONS: subsets per WebSocket
    qint64 maxSendBufferBytes = 16 * 1024 * 1024; // AIODATA_MAX_SEND_BUFFER: a subscriber that does not read is dropped
    // The retention window clients resume from (and, with a permanent slot,
    // the WAL PostgreSQL keeps for it): the newest transactions up to this
    // size of their JSON and this age.
    qint64 historyBytes = 64 * 1024 * 1024;     // AIODATA_HISTORY_BYTES
    int historySeconds = 600;                   // AIODATA_HISTORY_SECONDS
    // How long an Idempotency-Key's answer is kept (at least) in the
    // database's aiodata.idempotency_keys (IdempotencyStore); in memory at
    // most 10 minutes of it.
    qint64 idempotencySeconds = 24 * 3600;      // AIODATA_IDEMPOTENCY_SECONDS
    // Where events come from (--events, AIODATA_EVENTS): logical replication
    // (every writer), writes through this server only, or wal when the
    // database allows it.
    enum class Events { Auto, Wal, Own };
    Events events = Events::Auto;
    QString publication = QStringLiteral("aiodata"); // --publication, AIODATA_PUBLICATION
    QString replicationUri;        // --replication-uri, AIODATA_REPLICATION_URI; empty: db-uri
    QString replicationSlot;       // --slot, AIODATA_SLOT: a permanent slot; empty: a temporary one per run

    // Reads the AIODATA_* limits above; false and *error on a bad value.
    bool applyLimitsFromEnvironment(QString *error);

    // Parses PostgREST's format: `key = value`, value optionally in double
    // quotes (with \" and \\ escapes), `#` comments, blank lines. Returns
    // std::nullopt and sets *error to one readable line on a bad value or a
    // missing required key (db-uri, db-schemas/db-schema).
    static std::optional<Config> parse(const QByteArray &text, QString *error);
    static std::optional<Config> fromFile(const QString &path, QString *error);

    // "HOST:PORT", ":PORT", "PORT" or "[v6]:PORT"; false on anything else.
    bool setListen(const QString &hostPort);
};

} // namespace Aiodata::Server
