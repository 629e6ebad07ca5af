#include "fanout/subsetfilter.h"

#include "base/logging.h"
#include "fanout/rowkeys.h"
#include "pg/pgpool.h"
#include "pg/pgsql.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>

namespace Aiodata::Server {

namespace {

bool isOf(const Subset &subset, const Change &change, const SubscriberContext &subscriber)
{
    return subset.table == change.table && change.schema == subscriber.schema;
}

bool evaluated(const Change &change)
{
    return change.action == Change::Action::Create || change.action == Change::Action::Update;
}

} // namespace

SubsetFilter::SubsetFilter(PgPool *pool, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
{
}

bool SubsetFilter::concerns(const Transaction &transaction, const SubscriberContext &subscriber)
{
    for (const Subset &s : subscriber.subsets) {
        for (const Change &c : transaction.changes) {
            if (c.subset.isEmpty() && isOf(s, c, subscriber))
                return true;
        }
    }
    return false;
}

void SubsetFilter::filter(const Transaction &transaction, const SubscriberContext &subscriber,
                          std::function<void(const Transaction &out, const QString &error)> done)
{
    PgJob job;
    job.statements.append(PgSql::roleStatement(subscriber.role, subscriber.claimsJson));
    // Per change and subset: the statement that judges its rows, or -1.
    QList<QList<int>> statementOf;
    for (const Change &c : transaction.changes) {
        QList<int> perSubset;
        for (const Subset &s : subscriber.subsets) {
            if (!c.subset.isEmpty() || !isOf(s, c, subscriber) || !evaluated(c)) {
                perSubset.append(-1);
                continue;
            }
            perSubset.append(int(job.statements.size()));
            job.statements.append(PgStatement{s.matchSql, QList<QByteArray>{c.rows} + s.params});
        }
        statementOf.append(perSubset);
    }
    const Transaction original = transaction;
    const QList<Subset> subsets = subscriber.subsets;
    const QString schema = subscriber.schema;
    QElapsedTimer timer;
    timer.start();
    job.done = [original, subsets, schema, statementOf, done, timer](const QList<PgResult> &results, const PgError &error) {
        qCDebug(lcFanout).noquote() << "subset check of transaction" << original.xid << "for" << subsets.size()
                                    << "subsets took" << timer.nsecsElapsed() / 1000 << "us";
        if (!error.isNull()) {
            done(Transaction(), error.message);
            return;
        }
        Transaction out;
        out.seq = original.seq;
        out.xid = original.xid;
        out.committedAtMs = original.committedAtMs;
        for (qsizetype i = 0; i < original.changes.size(); ++i) {
            const Change &c = original.changes.at(i);
            out.changes.append(c);
            if (!c.subset.isEmpty())
                continue;
            for (qsizetype k = 0; k < subsets.size(); ++k) {
                const Subset &s = subsets.at(k);
                if (s.table != c.table || c.schema != schema)
                    continue;
                Change sc;
                sc.schema = c.schema;
                sc.table = c.table;
                sc.subset = s.id;
                sc.action = c.action;
                if (c.action == Change::Action::Truncate) {
                    sc.rows = "[]";
                    out.changes.append(sc);
                    continue;
                }
                const QStringList &key = s.key;
                if (c.action == Change::Action::Delete) {
                    // With only keys a delete cannot be judged: every subset may hold the row.
                    QJsonArray keys;
                    for (const QJsonValue &row : QJsonDocument::fromJson(c.rows).array())
                        keys.append(RowKeys::keyOnly(row.toObject(), key));
                    if (keys.isEmpty())
                        continue;
                    sc.rows = RowKeys::toJson(keys);
                    out.changes.append(sc);
                    continue;
                }
                const PgResult &verdict = results.value(statementOf.at(i).at(k));
                QSet<qsizetype> matched;
                for (const QJsonValue &ordinal : QJsonDocument::fromJson(verdict.value(0, 0)).array())
                    matched.insert(qsizetype(ordinal.toDouble()) - 1);
                const QJsonArray rows = QJsonDocument::fromJson(c.rows).array();
                if (c.action == Change::Action::Create) {
                    if (matched.isEmpty())
                        continue;
                    sc.rows = verdict.value(0, 1);
                    out.changes.append(sc);
                    continue;
                }
                // An update: rows that match after it are upserted by the
                // client (a move-in inserts, a stay changes); the others
                // left, or never were in: their old keys are removed.
                const QJsonArray oldRows = QJsonDocument::fromJson(c.oldRows).array();
                QJsonArray inOld, leftKeys;
                for (qsizetype r = 0; r < rows.size(); ++r) {
                    const QJsonObject old = (r < oldRows.size() ? oldRows.at(r) : rows.at(r)).toObject();
                    (matched.contains(r) ? inOld : leftKeys).append(RowKeys::keyOnly(old, key));
                }
                if (!inOld.isEmpty()) {
                    sc.rows = verdict.value(0, 1);
                    sc.oldRows = RowKeys::toJson(inOld);
                    out.changes.append(sc);
                }
                if (!leftKeys.isEmpty()) {
                    Change left = sc;
                    left.action = Change::Action::Delete;
                    left.rows = RowKeys::toJson(leftKeys);
                    left.oldRows.clear();
                    out.changes.append(left);
                }
            }
        }
        done(out, QString());
    };
    m_pool->execute(std::move(job));
}

} // namespace Aiodata::Server
