#include "rowfilter.h"

#include "logging.h"
#include "pgpool.h"
#include "protocol/pgsnapshot.h"
#include "schemacache.h"
#include "sqlbuilder.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

namespace Aiodata::Server {

namespace {

QByteArray keyOf(const QJsonObject &row, const QStringList &key)
{
    QJsonArray values;
    for (const QString &k : key)
        values.append(row.value(k));
    return QJsonDocument(values).toJson(QJsonDocument::Compact);
}

QJsonObject keyOnly(const QJsonObject &row, const QStringList &key)
{
    QJsonObject out;
    for (const QString &k : key)
        out.insert(k, row.value(k));
    return out;
}

QByteArray toJson(const QJsonArray &rows)
{
    return QJsonDocument(rows).toJson(QJsonDocument::Compact);
}

} // namespace

RowFilter::RowFilter(const SchemaCache *schema, PgPool *pool, QObject *parent)
    : QObject(parent)
    , m_schema(schema)
    , m_pool(pool)
{
}

bool RowFilter::needsCheck(const Change &change, const SubscriberContext &context) const
{
    if (change.schema != context.schema || !context.readableTables.contains(change.table))
        return false;
    const TableInfo *table = m_schema->table(change.schema, change.table);
    return table && table->rowSecurity;
}

bool RowFilter::needsCheck(const Transaction &transaction, const SubscriberContext &context) const
{
    for (const Change &c : transaction.changes) {
        if (needsCheck(c, context))
            return true;
    }
    return false;
}

// Whether the check's own snapshot already shows the transaction.
static bool snapshotSees(const QByteArray &snapshot, quint32 xid)
{
    const auto parsed = Protocol::PgSnapshot::parse(snapshot);
    return !parsed || xid == 0 || parsed->sees(xid);
}

void RowFilter::filter(const Transaction &transaction, const SubscriberContext &context,
                       std::function<void(const Transaction &filtered)> done, int attempt)
{
    PgJob job;
    job.statements.append(SqlBuilder::roleStatement(context.role, context.claimsJson));
    QList<int> statementOf; // per change: its visibility statement, -1 if none
    for (const Change &c : transaction.changes) {
        const TableInfo *table = m_schema->table(c.schema, c.table);
        if (!needsCheck(c, context) || !table || table->primaryKey.isEmpty()
            || (c.action != Change::Action::Create && c.action != Change::Action::Update)) {
            statementOf.append(-1);
            continue;
        }
        // The rows as they are now, as far as this role may see them.
        QList<QByteArray> keys;
        for (const QString &k : table->primaryKey)
            keys.append("_t." + SqlBuilder::quoteIdentifier(k));
        const QByteArray target = SqlBuilder::qualifiedName(*table);
        QList<QByteArray> plainKeys;
        for (const QString &k : table->primaryKey)
            plainKeys.append(SqlBuilder::quoteIdentifier(k));
        statementOf.append(int(job.statements.size()));
        job.statements.append(PgStatement{
            "SELECT coalesce(json_agg(_v), '[]')::text, pg_current_snapshot()::text FROM (SELECT _t.* FROM " + target
                + " AS _t WHERE (" + keys.join(", ") + ") IN (SELECT " + plainKeys.join(", ")
                + " FROM json_populate_recordset(NULL::" + target + ", $1::json))) AS _v",
            {c.rows}});
    }

    const Transaction original = transaction;
    const SchemaCache *schema = m_schema;
    const SubscriberContext who = context;
    job.done = [original, statementOf, schema, who, done, this, attempt](const QList<PgResult> &results, const PgError &error) {
        // The stream can deliver a commit before PostgreSQL shows it to new
        // snapshots (the commit record is flushed, then made visible). A
        // check that ran too early would hide the rows: run it again.
        if (error.isNull() && attempt < 200) {
            for (int at : statementOf) {
                if (at >= 0 && !snapshotSees(results.value(at).value(0, 1), original.xid)) {
                    QTimer::singleShot(attempt < 10 ? 1 : 10, this, [this, original, who, done, attempt] {
                        filter(original, who, done, attempt + 1);
                    });
                    return;
                }
            }
        }
        if (!error.isNull())
            qCWarning(lcFanout).noquote() << "row visibility check for role" << who.role << "failed:" << error.message;
        Transaction out;
        out.seq = original.seq;
        out.xid = original.xid;
        for (qsizetype i = 0; i < original.changes.size(); ++i) {
            const Change &c = original.changes.at(i);
            if (!needsCheck(c, who)) {
                out.changes.append(c);
                continue;
            }
            const TableInfo *table = schema->table(c.schema, c.table);
            if (!error.isNull() || !table || table->primaryKey.isEmpty())
                continue; // fail closed
            const QStringList &key = table->primaryKey;
            if (c.action == Change::Action::Truncate) {
                out.changes.append(c);
                continue;
            }
            if (c.action == Change::Action::Delete) {
                QJsonArray keys;
                for (const QJsonValue &row : QJsonDocument::fromJson(c.rows).array())
                    keys.append(keyOnly(row.toObject(), key));
                Change d = c;
                d.rows = toJson(keys);
                out.changes.append(d);
                continue;
            }
            QHash<QByteArray, QJsonObject> visible;
            for (const QJsonValue &row : QJsonDocument::fromJson(results.value(statementOf.at(i)).value(0, 0)).array())
                visible.insert(keyOf(row.toObject(), key), row.toObject());
            const QJsonArray rows = QJsonDocument::fromJson(c.rows).array();
            const QJsonArray oldRows = QJsonDocument::fromJson(c.oldRows).array();
            QJsonArray shown, shownOld, hidden;
            for (qsizetype r = 0; r < rows.size(); ++r) {
                const QJsonObject row = rows.at(r).toObject();
                const auto it = visible.constFind(keyOf(row, key));
                if (it != visible.constEnd()) {
                    shown.append(*it);
                    if (c.action == Change::Action::Update)
                        shownOld.append(keyOnly(oldRows.at(r).toObject(), key));
                } else if (c.action == Change::Action::Update) {
                    // Updated out of this role's sight: clients that had it drop it.
                    hidden.append(keyOnly(oldRows.at(r).toObject(), key));
                }
            }
            if (!shown.isEmpty()) {
                Change v = c;
                v.rows = toJson(shown);
                if (c.action == Change::Action::Update)
                    v.oldRows = toJson(shownOld);
                out.changes.append(v);
            }
            if (!hidden.isEmpty()) {
                Change d;
                d.action = Change::Action::Delete;
                d.schema = c.schema;
                d.table = c.table;
                d.rows = toJson(hidden);
                out.changes.append(d);
            }
        }
        done(out);
    };
    m_pool->execute(std::move(job));
}

} // namespace Aiodata::Server
