#pragma once

#include "pg/pgconnection.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <functional>
#include <optional>

namespace Aiodata::Server {

class PgPool;

// Makes an Idempotency-Key outlive the server process: the key and the
// write's result are recorded in the write's own transaction, in a table of
// the server's own (aiodata.idempotency_keys, in no schema the API serves),
// so a resend after a restart, or to another instance on the same database,
// gets the first answer instead of writing again. A transaction that fails
// leaves no key, so its resend runs again.
//
// A keyed write's job, one round trip (pipeline), one transaction:
//   claim                      INSERT of the key (a duplicate: 23505, which
//                              skips the rest; a concurrent one waits on the
//                              unique index until the first commits)
//   role, write (Rows::Kept)   the write as ever; it sets its result row as
//                              SqlBuilder::keptResultSetting
//   storeStatements()          back to the session user, the result into
//                              the key's row; then COMMIT
// The key statements run as the session user (the server's login role,
// which created the table or was granted it), before the role is set and
// after it is reset: the users' roles need no privilege on the table, and
// there is no SECURITY DEFINER function that any role could call to write
// answers for other identities' keys.
//
// Where the table cannot be created or written (no privilege, a read-only
// standby), prepare() logs one warning and keys stay in memory only
// (IdempotencyCache). Keys older than the retention (AIODATA_IDEMPOTENCY_SECONDS)
// are deleted in the background.
class IdempotencyStore : public QObject
{
    Q_OBJECT
public:
    static constexpr const char *Schema = "aiodata";
    static constexpr int CleanUpBatch = 10000;

    IdempotencyStore(PgPool *pool, qint64 retentionSeconds, bool schemaServed, QObject *parent = nullptr);

    // Creates the schema and table when missing (idempotent; two servers
    // starting at once take turns on an advisory lock), checks that they
    // may be written, then calls ready(); durable() says how it went.
    void prepare(std::function<void()> ready);
    bool durable() const { return m_durable; }

    // The key as stored: SHA-256 (hex) of its scope (identity, method, URL,
    // the client's key), so no claims are stored and any length fits the index.
    static QByteArray storedKey(const QByteArray &scope);
    static PgStatement claimStatement(const QByteArray &storedKey);
    // After the write: the role reset to the session user's, the write's kept result stored.
    static QList<PgStatement> storeStatements(const QByteArray &storedKey);
    // A claim that failed because the key is there: answer from answerStatement().
    static bool isDuplicate(const PgResult &claim) { return !claim.ok && claim.error.sqlState == "23505"; }
    static PgStatement answerStatement(const QByteArray &storedKey);
    // The stored result (answerStatement's value) as the write statement's
    // result; nullopt if it is not what Rows::Kept sets.
    static std::optional<PgResult> keptResult(const QByteArray &stored);

private:
    void cleanUp();

    PgPool *m_pool;
    qint64 m_retentionSeconds;
    bool m_schemaServed;
    bool m_durable = false;
    bool m_cleaning = false;
    QTimer m_cleanUpTimer;
};

} // namespace Aiodata::Server
