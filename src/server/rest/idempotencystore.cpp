#include "rest/idempotencystore.h"

#include "base/logging.h"
#include "pg/pgpool.h"
#include "rest/sqlbuilder.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>

#include <algorithm>

namespace Aiodata::Server {

namespace {

// Created once per database. Each key's row is inserted and then updated
// in one transaction: room left on each page (fillfactor) lets the update
// stay on it (HOT: no new index entries), and the clean-up's index on the
// insertion time is BRIN, which rows inserted in time order barely cost. The advisory lock makes two servers starting
// at once take turns: CREATE ... IF NOT EXISTS alone can fail with a unique
// violation in the catalog when both create at the same moment. The checks
// come before each CREATE because CREATE SCHEMA IF NOT EXISTS needs the
// CREATE privilege on the database even when the schema exists (an
// operator may have made it: CREATE SCHEMA aiodata AUTHORIZATION <role>).
const QByteArray setUpSql = QByteArrayLiteral(R"sql(DO $$
BEGIN
  PERFORM pg_advisory_xact_lock(7260873196350101511);
  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'aiodata') THEN
    CREATE SCHEMA aiodata;
    COMMENT ON SCHEMA aiodata IS 'The aiodata server''s own tables; not served by its API';
  END IF;
  IF to_regclass('aiodata.idempotency_keys') IS NULL THEN
    CREATE TABLE aiodata.idempotency_keys (
      key text PRIMARY KEY,
      result text,
      created_at timestamptz NOT NULL DEFAULT now()
    ) WITH (fillfactor = 70);
    CREATE INDEX idempotency_keys_created_at ON aiodata.idempotency_keys USING brin (created_at);
    COMMENT ON TABLE aiodata.idempotency_keys IS
      'Idempotency-Key of each write (SHA-256 of identity, method, URL, key) and its result row, stored in the write''s own transaction';
  END IF;
END $$)sql");

const QByteArray writableSql = QByteArrayLiteral(
    "SELECT pg_is_in_recovery(), has_table_privilege('aiodata.idempotency_keys', 'SELECT') "
    "AND has_table_privilege('aiodata.idempotency_keys', 'INSERT') "
    "AND has_table_privilege('aiodata.idempotency_keys', 'UPDATE') "
    "AND has_table_privilege('aiodata.idempotency_keys', 'DELETE')");

} // namespace

IdempotencyStore::IdempotencyStore(PgPool *pool, qint64 retentionSeconds, bool schemaServed, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
    , m_retentionSeconds(retentionSeconds)
    , m_schemaServed(schemaServed)
{
    // Often enough that keys live about the retention, not twice it.
    m_cleanUpTimer.setInterval(int(std::clamp(retentionSeconds * 1000 / 4, qint64(1000), qint64(10 * 60 * 1000))));
    connect(&m_cleanUpTimer, &QTimer::timeout, this, &IdempotencyStore::cleanUp);
}

void IdempotencyStore::prepare(std::function<void()> ready)
{
    auto inMemory = [ready](const QString &reason) {
        qCWarning(lcServer).noquote() << "Idempotency-Key answers are kept in memory only (lost at a restart, not shared"
                                         " between server instances):" << reason;
        ready();
    };
    if (m_schemaServed) {
        inMemory(QStringLiteral("db-schemas serves the schema \"%1\", where the keys would be").arg(QLatin1String(Schema)));
        return;
    }
    PgJob job;
    job.statements = {PgStatement{QByteArrayLiteral("SELECT pg_is_in_recovery()"), {}}, PgStatement{setUpSql, {}},
                      PgStatement{writableSql, {}}};
    job.done = [this, self = QPointer<IdempotencyStore>(this), ready, inMemory](const QList<PgResult> &results,
                                                                             const PgError &error) {
        if (!self)
            return;
        if (results.value(0).value(0, 0) == "t") {
            inMemory(QStringLiteral("the database is a read-only standby"));
            return;
        }
        if (!error.isNull()) {
            inMemory(QStringLiteral("cannot create %1.idempotency_keys: %2 (grant CREATE on the database to the "
                                    "server's role, or create the schema for it: CREATE SCHEMA %1 AUTHORIZATION <role>)")
                         .arg(QLatin1String(Schema), error.message));
            return;
        }
        if (results.value(2).value(0, 1) != "t") {
            inMemory(QStringLiteral("the server's role may not select, insert, update and delete in %1.idempotency_keys")
                         .arg(QLatin1String(Schema)));
            return;
        }
        m_durable = true;
        qCInfo(lcServer).noquote() << QStringLiteral("Idempotency-Key answers kept in %1.idempotency_keys for %2 s")
                                          .arg(QLatin1String(Schema))
                                          .arg(m_retentionSeconds);
        cleanUp();
        m_cleanUpTimer.start();
        ready();
    };
    m_pool->execute(std::move(job));
}

void IdempotencyStore::cleanUp()
{
    // One batch at a time, never two in flight: a DELETE of many rows must
    // not hold a pooled connection long, and the next tick goes on.
    if (m_cleaning)
        return;
    m_cleaning = true;
    PgJob job;
    job.statements = {PgStatement{"DELETE FROM aiodata.idempotency_keys WHERE key IN (SELECT key FROM aiodata.idempotency_keys "
                                  "WHERE created_at < now() - make_interval(secs => $1::float8) LIMIT "
                                      + QByteArray::number(CleanUpBatch) + ")",
                                  {QByteArray::number(m_retentionSeconds)}, false}};
    job.done = [this, self = QPointer<IdempotencyStore>(this)](const QList<PgResult> &results, const PgError &error) {
        if (!self)
            return;
        m_cleaning = false;
        if (!error.isNull()) {
            qCWarning(lcServer).noquote() << "cannot delete old Idempotency-Keys:" << error.message;
            return;
        }
        const qint64 deleted = results.value(0).affected;
        qCDebug(lcServer) << "deleted" << deleted << "Idempotency-Key(s) older than" << m_retentionSeconds << "s";
        if (deleted >= CleanUpBatch)
            QTimer::singleShot(0, this, &IdempotencyStore::cleanUp);
    };
    m_pool->execute(std::move(job));
}

QByteArray IdempotencyStore::storedKey(const QByteArray &scope)
{
    return QCryptographicHash::hash(scope, QCryptographicHash::Sha256).toHex();
}

PgStatement IdempotencyStore::claimStatement(const QByteArray &storedKey)
{
    return PgStatement{QByteArrayLiteral("INSERT INTO aiodata.idempotency_keys (key) VALUES ($1)"), {storedKey}, false};
}

QList<PgStatement> IdempotencyStore::storeStatements(const QByteArray &storedKey)
{
    // 'none' is SET ROLE NONE: the session user again, for this transaction.
    // current_setting without missing_ok fails the transaction if the write
    // kept no result: no key is ever committed without its answer.
    return {PgStatement{QByteArrayLiteral("SELECT set_config('role', 'none', true)"), {}, false},
            PgStatement{QByteArrayLiteral("UPDATE aiodata.idempotency_keys SET result = current_setting('")
                            + SqlBuilder::keptResultSetting + "') WHERE key = $1",
                        {storedKey}, false}};
}

PgStatement IdempotencyStore::answerStatement(const QByteArray &storedKey)
{
    return PgStatement{QByteArrayLiteral("SELECT result FROM aiodata.idempotency_keys WHERE key = $1"), {storedKey}};
}

std::optional<PgResult> IdempotencyStore::keptResult(const QByteArray &stored)
{
    const QJsonDocument doc = QJsonDocument::fromJson(stored);
    const QJsonArray columns = doc.array();
    if (!doc.isArray() || columns.size() != 4)
        return std::nullopt;
    PgResult result;
    result.ok = true;
    result.columns = int(columns.size());
    QList<QByteArray> row;
    for (const QJsonValue &c : columns)
        row.append(c.isNull() ? QByteArray() : c.toString().toUtf8());
    result.rows.append(row);
    result.affected = 1;
    return result;
}

} // namespace Aiodata::Server
