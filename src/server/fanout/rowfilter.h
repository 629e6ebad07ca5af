#pragma once

#include "capture/changesource.h"
#include "fanout/subscribercontext.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <functional>

namespace Aiodata::Server {

class PgPool;
class SchemaCache;
struct TableInfo;

// Row-level security for events: before a change of a table with RLS goes
// to a subscriber, PostgreSQL is asked, under the subscriber's role and
// claims, which of its rows that subscriber may see (one pipelined round
// trip per transaction and kind of subscriber). Rows it may not see are
// left out; an update that hides a row becomes a delete of its key, and
// deletes carry keys only, so no row content reaches a client its role may
// not SELECT. Deleted rows and the old rows of updates no longer exist to
// be selected: when the change carries them whole (REPLICA IDENTITY FULL),
// the table's SELECT policies are evaluated on them instead, so a delete
// reaches exactly the identities that could see the row; with only their
// keys, deletes go to every identity whose role may SELECT the table.
class RowFilter : public QObject
{
    Q_OBJECT
public:
    RowFilter(SchemaCache *schema, PgPool *pool, QObject *parent = nullptr);

    // With logical replication: says once per table with RLS whose deletes
    // cannot be judged (no REPLICA IDENTITY FULL), and how to fix it.
    void reportReplicaIdentities(const QStringList &schemas);
    // The schema cache was reloaded: tables that came (or whose RLS was
    // switched on) are reported as above, when reporting.
    void schemaReloaded(const QStringList &schemas);

    // What each of these subscribers' roles may read now, by roleKey(): asked
    // at a schema reload, before the new schema takes effect. A role whose
    // answer fails reads nothing.
    void readTables(const QList<SubscriberContext> &roles,
                    std::function<void(const QHash<QString, ReadableTables> &readable)> done);

    // Whether the subscriber may see a change of the transaction that needs a check.
    bool needsCheck(const Transaction &transaction, const SubscriberContext &context) const;
    void filter(const Transaction &transaction, const SubscriberContext &context,
                std::function<void(const Transaction &filtered)> done, int attempt = 0);

private:
    bool needsCheck(const Change &change, const SubscriberContext &context) const;
    void reportReplicaIdentity(const TableInfo &table);
    // Reads the table's policies again (they changed since they were read), then calls then.
    void reloadRowSecurity(const QString &schema, const QString &table, std::function<void()> then);

    SchemaCache *m_schema;
    PgPool *m_pool;
    bool m_reportReplicaIdentity = false;
    QSet<QString> m_reportedTables; // tables whose replica identity was reported
};

} // namespace Aiodata::Server
