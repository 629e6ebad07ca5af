#include "fanout/subsetfilter.h"

#include "base/logging.h"
#include "fanout/rowkeys.h"
#include "fanout/rowtext.h"
#include "pg/pgpool.h"
#include "pg/pgsql.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace Aiodata::Server {

namespace {

bool isOf(const Subset &subset, const Change &change, const SubscriberContext &subscriber)
{
    return change.subset.isEmpty() && subset.table == change.table && change.schema == subscriber.schema;
}

bool judged(const Change &change)
{
    return change.action == Change::Action::Create || change.action == Change::Action::Update;
}

// One set of rows of one table, judged by one statement against every
// distinct filter that asks about it.
struct Input
{
    QString schema;
    QString table;
    QByteArray rows;
    QList<const Subset *> conditions;     // one per distinct filter
    QHash<QByteArray, int> conditionIndex; // filter (SQL and values) -> position in conditions
};

QByteArray filterKey(const Subset &s)
{
    QByteArray key = s.condition;
    for (const QByteArray &p : s.params)
        key += '\0' + QByteArray::number(p.size()) + ':' + p;
    return key;
}

// SELECT per row: its position, one boolean per filter ("{t,f,...}"), its text.
PgStatement inputStatement(const Input &input)
{
    PgStatement statement;
    statement.params.append(input.rows);
    QList<QByteArray> tests;
    for (const Subset *s : input.conditions) {
        tests.append("coalesce((" + PgSql::shiftParameters(s->condition, int(statement.params.size()) - 1) + "), false)");
        statement.params.append(s->params);
    }
    statement.sql = "SELECT _aiodata._aiodata_ord, ARRAY[" + tests.join(", ")
                    + "]::text, _aiodata._aiodata_row::text"
                      " FROM json_array_elements($1::json) WITH ORDINALITY AS _aiodata(_aiodata_row, _aiodata_ord)"
                      " CROSS JOIN LATERAL json_populate_record(NULL::"
                    + PgSql::qualifiedName(input.schema, input.table) + ", _aiodata._aiodata_row) AS _t"
                    + " ORDER BY _aiodata._aiodata_ord";
    return statement;
}

// A statement's verdicts: per row (0-based), its filters' booleans and its text.
struct Verdicts
{
    QList<QList<bool>> matches;
    QList<QByteArray> rows;
};

Verdicts readVerdicts(const PgResult &result)
{
    Verdicts v;
    for (const QList<QByteArray> &row : result.rows) {
        const QByteArray array = row.value(1).mid(1).chopped(1); // {t,f,...}
        QList<bool> matches;
        for (const QByteArray &b : array.split(','))
            matches.append(b == "t");
        v.matches.append(matches);
        v.rows.append(row.value(2));
    }
    return v;
}

QByteArray joinRows(const QList<QByteArray> &rows)
{
    return '[' + rows.join(',') + ']';
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
            if (isOf(s, c, subscriber))
                return true;
        }
    }
    return false;
}

void SubsetFilter::filter(const Transaction &transaction, const SubscriberContext &subscriber, Done done)
{
    // Everyone asking in this event-loop pass (one commit reaches every
    // subscriber in one pass) goes in one round trip.
    const QString batch = subscriber.role + QLatin1Char('\n') + subscriber.schema + QLatin1Char('\n')
                          + QString::fromUtf8(subscriber.claimsJson);
    m_batches[batch].append(Request{transaction, subscriber, std::move(done)});
    if (!m_flushQueued) {
        m_flushQueued = true;
        QTimer::singleShot(0, this, &SubsetFilter::flush);
    }
}

void SubsetFilter::flush()
{
    m_flushQueued = false;
    const QHash<QString, QList<Request>> batches = std::exchange(m_batches, {});
    for (const QList<Request> &requests : batches) {
        // Distinct rows (per table) and, for each, the distinct filters asking.
        auto inputs = std::make_shared<QList<Input>>();
        QHash<QByteArray, int> inputIndex;
        // Per request, change and subset: (input, condition), or (-1, -1).
        auto where = std::make_shared<QList<QList<QList<QPair<int, int>>>>>();
        for (const Request &r : requests) {
            QList<QList<QPair<int, int>>> perChange;
            for (const Change &c : r.transaction.changes) {
                QList<QPair<int, int>> perSubset;
                for (const Subset &s : r.subscriber.subsets) {
                    if (!isOf(s, c, r.subscriber) || !judged(c)) {
                        perSubset.append({-1, -1});
                        continue;
                    }
                    const QByteArray key = c.schema.toUtf8() + '\0' + c.table.toUtf8() + '\0' + c.rows;
                    auto in = inputIndex.constFind(key);
                    if (in == inputIndex.constEnd()) {
                        inputs->append(Input{c.schema, c.table, c.rows, {}, {}});
                        in = inputIndex.insert(key, int(inputs->size()) - 1);
                    }
                    Input &input = (*inputs)[*in];
                    const QByteArray fk = filterKey(s);
                    auto cond = input.conditionIndex.constFind(fk);
                    if (cond == input.conditionIndex.constEnd()) {
                        input.conditions.append(&s);
                        cond = input.conditionIndex.insert(fk, int(input.conditions.size()) - 1);
                    }
                    perSubset.append({*in, *cond});
                }
                perChange.append(perSubset);
            }
            where->append(perChange);
        }
        PgJob job;
        job.statements.append(PgSql::roleStatement(requests.first().subscriber.role, requests.first().subscriber.claimsJson));
        for (const Input &input : std::as_const(*inputs))
            job.statements.append(inputStatement(input));
        QElapsedTimer timer;
        timer.start();
        const qsizetype statements = job.statements.size();
        job.done = [requests, where, timer, statements](const QList<PgResult> &results, const PgError &error) {
            qCDebug(lcFanout) << "subset check for" << requests.size() << "subscribers took" << timer.nsecsElapsed() / 1000
                              << "us with" << statements << "statements";
            if (!error.isNull()) {
                for (const Request &r : requests)
                    r.done(Transaction(), error.message);
                return;
            }
            QList<Verdicts> verdicts;
            for (qsizetype i = 1; i < results.size(); ++i)
                verdicts.append(readVerdicts(results.at(i)));
            for (qsizetype q = 0; q < requests.size(); ++q) {
                const Request &r = requests.at(q);
                Transaction out;
                out.seq = r.transaction.seq;
                out.xid = r.transaction.xid;
                out.committedAtMs = r.transaction.committedAtMs;
                for (qsizetype i = 0; i < r.transaction.changes.size(); ++i) {
                    const Change &c = r.transaction.changes.at(i);
                    out.changes.append(c);
                    for (qsizetype k = 0; k < r.subscriber.subsets.size(); ++k) {
                        const Subset &s = r.subscriber.subsets.at(k);
                        if (!isOf(s, c, r.subscriber))
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
                        if (c.action == Change::Action::Delete) {
                            // With only keys a delete cannot be judged: every subset may hold the row.
                            QJsonArray keys;
                            for (const QJsonValue &row : QJsonDocument::fromJson(c.rows).array())
                                keys.append(RowKeys::keyOnly(row.toObject(), s.key));
                            if (!keys.isEmpty()) {
                                sc.rows = RowKeys::toJson(keys);
                                out.changes.append(sc);
                            }
                            continue;
                        }
                        const auto [in, cond] = where->at(q).at(i).at(k);
                        const Verdicts &v = verdicts.value(in);
                        QList<QByteArray> matched;
                        QList<qsizetype> matchedAt;
                        for (qsizetype row = 0; row < v.rows.size(); ++row) {
                            if (v.matches.at(row).value(cond)) {
                                matched.append(s.columns.isEmpty() ? v.rows.at(row) : RowText::project(v.rows.at(row), s.columns));
                                matchedAt.append(row);
                            }
                        }
                        if (c.action == Change::Action::Create) {
                            if (!matched.isEmpty()) {
                                sc.rows = joinRows(matched);
                                out.changes.append(sc);
                            }
                            continue;
                        }
                        // An update: rows that match after it are upserted by
                        // the client (a move-in inserts, a stay changes); the
                        // others left, or never were in: their old keys go.
                        const QJsonArray oldRows = QJsonDocument::fromJson(c.oldRows).array();
                        const qsizetype count = v.rows.size();
                        QJsonArray inOld, leftKeys;
                        qsizetype next = 0;
                        for (qsizetype row = 0; row < count; ++row) {
                            const bool in = next < matchedAt.size() && matchedAt.at(next) == row;
                            next += in;
                            const QJsonValue old = row < oldRows.size() ? oldRows.at(row) : QJsonValue();
                            const QJsonObject keySource = old.isObject() ? old.toObject()
                                                                         : QJsonDocument::fromJson(v.rows.at(row)).object();
                            (in ? inOld : leftKeys).append(RowKeys::keyOnly(keySource, s.key));
                        }
                        if (!inOld.isEmpty()) {
                            sc.rows = joinRows(matched);
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
                r.done(out, QString());
            }
        };
        m_pool->execute(std::move(job));
    }
}

} // namespace Aiodata::Server
