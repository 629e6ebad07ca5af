#include "fanout/rowfilter.h"

#include "fanout/rowkeys.h"

#include "base/logging.h"
#include "pg/pgpool.h"
#include "protocol/pgsnapshot.h"
#include "schema/schemacache.h"
#include "pg/pgsql.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <optional>

namespace Aiodata::Server {

namespace {

QByteArray keyOf(const QJsonObject &row, const QStringList &key)
{
    QJsonArray values;
    for (const QString &k : key)
        values.append(row.value(k));
    return QJsonDocument(values).toJson(QJsonDocument::Compact);
}

using RowKeys::keyOnly;
using RowKeys::toJson;

// Names of the rowset columns the old-row check adds; a table with a column
// of that name would make the policies' column references ambiguous.
const QString kRowColumn = QStringLiteral("_aiodata_row");
const QString kOrdinalColumn = QStringLiteral("_aiodata_ord");

// Whether the change's old or deleted rows can be judged by the policies.
bool judgesOldRows(const Change &change, const TableInfo &table)
{
    return change.completeOldRows
        && (change.action == Change::Action::Delete || change.action == Change::Action::Update)
        && !table.hasColumn(kRowColumn) && !table.hasColumn(kOrdinalColumn);
}

// Whether the policy applies to the current role: PostgreSQL's own test
// (has_privs_of_role), evaluated by PostgreSQL so membership is never cached.
QByteArray appliesToCurrentRole(const RowPolicy &policy)
{
    if (policy.roles.contains(0))
        return "true"; // PUBLIC
    QList<QByteArray> tests;
    for (quint32 role : policy.roles)
        tests.append("pg_has_role(current_user, " + QByteArray::number(role) + "::oid, 'USAGE')");
    return tests.isEmpty() ? QByteArray("false") : tests.join(" OR ");
}

// The table's SELECT visibility, combined as PostgreSQL does: at least one
// applicable permissive USING is true and every applicable restrictive one
// is; no applicable permissive policy shows nothing. CASE keeps a policy
// that does not apply from being evaluated (it might fail for this role).
// The expressions come from the catalog (written by the DBA): trusted SQL.
QByteArray visibilityCondition(const TableInfo &table)
{
    QList<QByteArray> permissive, restrictive;
    for (const RowPolicy &p : table.policies) {
        if (p.usingExpression.isEmpty())
            continue; // no USING: no say in what SELECT shows, as in PostgreSQL
        const QByteArray applies = appliesToCurrentRole(p);
        if (p.permissive)
            permissive.append("CASE WHEN " + applies + " THEN (" + p.usingExpression + ") ELSE false END");
        else
            restrictive.append("CASE WHEN " + applies + " THEN (" + p.usingExpression + ") ELSE true END");
    }
    if (permissive.isEmpty())
        return "false";
    QByteArray condition = '(' + permissive.join(" OR ") + ')';
    for (const QByteArray &r : std::as_const(restrictive))
        condition += " AND " + r;
    return condition;
}

// Which of the old rows (1-based positions) the current role could see,
// the snapshot, and the policy version the condition must match. The
// rowset is aliased with the table's name so policy column references
// (bare or table-qualified) resolve to the old rows; the rows are a
// parameter. Roles that row security does not apply to (owner without
// FORCE, BYPASSRLS, superuser) see every row.
PgStatement oldRowsStatement(const TableInfo &table, const QByteArray &oldRows)
{
    const QByteArray target = PgSql::qualifiedName(table.schema, table.name);
    return PgStatement{"SELECT coalesce(json_agg(_aiodata." + kOrdinalColumn.toUtf8()
                           + "), '[]')::text, pg_current_snapshot()::text, " + SchemaCache::policyVersionSql("$2::regclass")
                           + " FROM json_array_elements($1::json) WITH ORDINALITY AS _aiodata(" + kRowColumn.toUtf8() + ", "
                           + kOrdinalColumn.toUtf8() + "), json_populate_record(NULL::" + target + ", _aiodata."
                           + kRowColumn.toUtf8() + ") AS " + PgSql::quoteIdentifier(table.name)
                           + " WHERE NOT row_security_active($2::regclass) OR (" + visibilityCondition(table) + ')',
                       {oldRows, target}};
}

} // namespace

RowFilter::RowFilter(SchemaCache *schema, PgPool *pool, QObject *parent)
    : QObject(parent)
    , m_schema(schema)
    , m_pool(pool)
{
}

void RowFilter::reportReplicaIdentities(const QStringList &schemas)
{
    m_reportReplicaIdentity = true;
    for (const QString &schema : schemas) {
        for (const QString &name : m_schema->tableNames(schema)) {
            if (const TableInfo *table = m_schema->table(schema, name))
                reportReplicaIdentity(*table);
        }
    }
}

void RowFilter::schemaReloaded(const QStringList &schemas)
{
    if (m_reportReplicaIdentity)
        reportReplicaIdentities(schemas);
}

void RowFilter::reportReplicaIdentity(const TableInfo &table)
{
    const QString name = QString::fromUtf8(PgSql::qualifiedName(table.schema, table.name));
    if (!m_reportReplicaIdentity || !table.rowSecurity || table.replicaIdentityFull) {
        m_reportedTables.remove(name);
        return;
    }
    if (m_reportedTables.contains(name))
        return;
    m_reportedTables.insert(name);
    qCWarning(lcServer).noquote() << "table" << name
                                  << "has row-level security but not REPLICA IDENTITY FULL: the WAL carries only the keys of"
                                     " its deleted rows, so a delete reaches every subscriber whose role may SELECT it."
                                     " `ALTER TABLE" << name << "REPLICA IDENTITY FULL` sends each delete only to those"
                                  << "who could see the row";
}

void RowFilter::reloadRowSecurity(const QString &schema, const QString &table, std::function<void()> then)
{
    PgJob job;
    job.statements = {PgStatement{SchemaCache::rowSecuritySql(), {schema.toUtf8(), table.toUtf8()}}};
    QPointer<RowFilter> self = this;
    job.done = [self, schema, table, then](const QList<PgResult> &results, const PgError &error) {
        if (!self)
            return;
        if (!error.isNull()) {
            qCWarning(lcFanout).noquote() << "cannot read the row security policies of" << table << ":" << error.message;
        } else {
            self->m_schema->loadRowSecurity(schema, results.value(0).value(0, 0));
            qCDebug(lcFanout).noquote() << "row security policies of" << table << "read again";
            if (const TableInfo *info = self->m_schema->table(schema, table))
                self->reportReplicaIdentity(*info);
        }
        then();
    };
    m_pool->execute(std::move(job));
}

void RowFilter::readTables(const QList<SubscriberContext> &roles,
                           std::function<void(const QHash<QString, ReadableTables> &readable)> done)
{
    if (roles.isEmpty()) {
        done({});
        return;
    }
    struct State
    {
        QHash<QString, ReadableTables> readable;
        qsizetype remaining;
        std::function<void(const QHash<QString, ReadableTables> &)> done;
    };
    auto state = std::make_shared<State>();
    state->remaining = roles.size();
    state->done = std::move(done);
    for (const SubscriberContext &who : roles) {
        PgJob job;
        job.statements = {PgSql::roleStatement(who.role, who.claimsJson),
                          PgStatement{SchemaCache::readableTablesSql(), {who.schema.toUtf8()}}};
        const QString key = roleKey(who.role, who.schema);
        job.done = [state, key](const QList<PgResult> &results, const PgError &error) {
            ReadableTables r;
            if (error.isNull()) {
                for (const QJsonValue &t : QJsonDocument::fromJson(results.value(1).value(0, 0)).array())
                    r.tables.insert(t.toString());
                r.privileges = results.value(1).value(0, 1);
            } else {
                qCWarning(lcServer).noquote() << "cannot read the privileges of role" << key.section(QLatin1Char('\n'), 0, 0)
                                              << "after the schema reload; its subscribers read nothing:" << error.message;
            }
            state->readable.insert(key, r);
            if (--state->remaining == 0)
                state->done(state->readable);
        };
        m_pool->execute(std::move(job));
    }
}

bool RowFilter::needsCheck(const Change &change, const SubscriberContext &context) const
{
    if (change.schema != context.schema || !context.readableTables.contains(change.table))
        return false;
    // A selective stream reads a table whole or through subsets, or not at all.
    if (context.selective && !context.wholeTables.contains(change.table)
        && std::none_of(context.subsets.cbegin(), context.subsets.cend(),
                        [&change](const Subset &s) { return s.table == change.table; }))
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
    job.statements.append(PgSql::roleStatement(context.role, context.claimsJson));
    QList<int> statementOf; // per change: its visibility statement, -1 if none
    QList<int> oldStatementOf; // per change: its old-row statement, -1 if none
    QList<QByteArray> policyVersionOf; // per change: the policies' version its old-row statement used
    for (const Change &c : transaction.changes) {
        const TableInfo *table = m_schema->table(c.schema, c.table);
        const bool checked = needsCheck(c, context) && table && !table->primaryKey.isEmpty();
        if (checked && judgesOldRows(c, *table)) {
            oldStatementOf.append(int(job.statements.size()));
            job.statements.append(oldRowsStatement(*table, c.action == Change::Action::Delete ? c.rows : c.oldRows));
        } else {
            oldStatementOf.append(-1);
        }
        policyVersionOf.append(table ? table->policyVersion : QByteArray());
        if (!checked || (c.action != Change::Action::Create && c.action != Change::Action::Update)) {
            statementOf.append(-1);
            continue;
        }
        // The rows as they are now, as far as this role may see them.
        QList<QByteArray> keys;
        for (const QString &k : table->primaryKey)
            keys.append("_t." + PgSql::quoteIdentifier(k));
        const QByteArray target = PgSql::qualifiedName(table->schema, table->name);
        QList<QByteArray> plainKeys;
        for (const QString &k : table->primaryKey)
            plainKeys.append(PgSql::quoteIdentifier(k));
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
    QElapsedTimer timer;
    timer.start();
    const qsizetype statements = job.statements.size();
    job.done = [original, statementOf, oldStatementOf, policyVersionOf, schema, who, done, this, attempt, timer,
                statements](const QList<PgResult> &results, const PgError &error) {
        // The cost of the check (docs/changecapture.md measures it with this).
        qCDebug(lcFanout).noquote() << "row check of transaction" << original.xid << "for role" << who.role << "took"
                                    << timer.nsecsElapsed() / 1000 << "us with" << statements << "statements";
        // The stream can deliver a commit before PostgreSQL shows it to new
        // snapshots (the commit record is flushed, then made visible). A
        // check that ran too early would hide the rows: run it again.
        if (error.isNull() && attempt < 200) {
            for (const QList<int> *statements : {&statementOf, &oldStatementOf}) {
                for (int at : *statements) {
                    if (at >= 0 && !snapshotSees(results.value(at).value(0, 1), original.xid)) {
                        QTimer::singleShot(attempt < 10 ? 1 : 10, this, [this, original, who, done, attempt] {
                            filter(original, who, done, attempt + 1);
                        });
                        return;
                    }
                }
            }
        }
        // Policies changed since they were read (DDL at run time): the
        // verdict used the old ones. Read them again and judge again (a few
        // times; past that the verdict is not used).
        if (error.isNull() && attempt < 20) {
            for (qsizetype i = 0; i < original.changes.size(); ++i) {
                const int at = oldStatementOf.at(i);
                const Change &c = original.changes.at(i);
                if (at >= 0 && results.value(at).value(0, 2) != policyVersionOf.at(i)) {
                    qCDebug(lcFanout).noquote() << "row security policies of" << c.table << "changed";
                    reloadRowSecurity(c.schema, c.table, [this, original, who, done, attempt] {
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
            // Which old rows this identity could see; without a verdict
            // (keys only, or policies that kept changing) all of them, so a
            // client that had a row never keeps it by mistake.
            std::optional<QSet<qsizetype>> oldVisible;
            if (const int at = oldStatementOf.at(i); at >= 0 && results.value(at).value(0, 2) == policyVersionOf.at(i)) {
                oldVisible.emplace();
                for (const QJsonValue &ordinal : QJsonDocument::fromJson(results.value(at).value(0, 0)).array())
                    oldVisible->insert(qsizetype(ordinal.toDouble()) - 1);
            }
            const auto hadOld = [&oldVisible](qsizetype r) { return !oldVisible || oldVisible->contains(r); };
            if (c.action == Change::Action::Delete) {
                QJsonArray keys;
                const QJsonArray deleted = QJsonDocument::fromJson(c.rows).array();
                for (qsizetype r = 0; r < deleted.size(); ++r) {
                    if (hadOld(r))
                        keys.append(keyOnly(deleted.at(r).toObject(), key));
                }
                if (keys.isEmpty())
                    continue;
                Change d = c;
                d.rows = toJson(keys);
                d.completeOldRows = false;
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
                } else if (c.action == Change::Action::Update && hadOld(r)) {
                    // Updated out of this role's sight: clients that had it drop it.
                    hidden.append(keyOnly(oldRows.at(r).toObject(), key));
                }
            }
            if (!shown.isEmpty()) {
                Change v = c;
                v.rows = toJson(shown);
                if (c.action == Change::Action::Update)
                    v.oldRows = toJson(shownOld);
                v.completeOldRows = false;
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
