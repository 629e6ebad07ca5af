#include "fanout/subsetfilter.h"

#include "base/logging.h"
#include "fanout/rowkeys.h"
#include "fanout/rowtext.h"
#include "pg/pgpool.h"
#include "pg/pgsql.h"

#include <QElapsedTimer>
#include <QMap>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace Aiodata::Server {

namespace {

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
    if (subscriber.subsets.isEmpty())
        return false;
    for (const Change &c : transaction.changes) {
        if (!subscriber.subsetsOf(c.schema, c.table, c.subset).isEmpty())
            return true;
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
        // Per request and change: for each of its subsets of the change's
        // table, (subset position, input, condition).
        struct Judged
        {
            int subset;
            int input;
            int condition;
        };
        auto where = std::make_shared<QList<QList<QList<Judged>>>>();
        for (const Request &r : requests) {
            QList<QList<Judged>> perChange;
            for (const Change &c : r.transaction.changes) {
                QList<Judged> mine;
                const QList<int> subsets = r.subscriber.subsetsOf(c.schema, c.table, c.subset);
                int in = -1; // the change's input, found once (its rows may be large)
                if (!subsets.isEmpty() && judged(c)) {
                    const QByteArray key = c.schema.toUtf8() + '\0' + c.table.toUtf8() + '\0' + c.rows;
                    auto found = inputIndex.constFind(key);
                    if (found == inputIndex.constEnd()) {
                        inputs->append(Input{c.schema, c.table, c.rows, {}, {}});
                        found = inputIndex.insert(key, int(inputs->size()) - 1);
                    }
                    in = *found;
                }
                for (int k : subsets) {
                    const Subset &s = r.subscriber.subsets.at(k);
                    if (in < 0) {
                        mine.append({k, -1, -1});
                        continue;
                    }
                    Input &input = (*inputs)[in];
                    auto cond = input.conditionIndex.constFind(s.filterKey);
                    if (cond == input.conditionIndex.constEnd()) {
                        input.conditions.append(&s);
                        cond = input.conditionIndex.insert(s.filterKey, int(input.conditions.size()) - 1);
                    }
                    mine.append({k, in, *cond});
                }
                perChange.append(mine);
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
            // Key-only rows as JSON text, once per distinct rows of this
            // batch (every subscriber of a commit shares them).
            QHash<QByteArray, QList<QByteArray>> keyTexts;
            auto keysOf = [&keyTexts](const QByteArray &rows, const QStringList &key) -> const QList<QByteArray> & {
                auto it = keyTexts.find(rows);
                if (it == keyTexts.end()) {
                    QList<QByteArray> texts;
                    for (const QJsonValue &row : QJsonDocument::fromJson(rows).array())
                        texts.append(QJsonDocument(RowKeys::keyOnly(row.toObject(), key)).toJson(QJsonDocument::Compact));
                    it = keyTexts.insert(rows, texts);
                }
                return *it;
            };
            // An update's old keys; the new rows' when it carries none.
            const QList<QByteArray> noKeys;
            auto oldKeysOf = [&keysOf](const Change &c, const QStringList &key) -> const QList<QByteArray> & {
                const QList<QByteArray> &old = keysOf(c.oldRows, key);
                return old.isEmpty() ? keysOf(c.rows, key) : old;
            };
            for (qsizetype q = 0; q < requests.size(); ++q) {
                const Request &r = requests.at(q);
                Transaction out;
                out.seq = r.transaction.seq;
                out.xid = r.transaction.xid;
                out.committedAtMs = r.transaction.committedAtMs;
                for (qsizetype i = 0; i < r.transaction.changes.size(); ++i) {
                    const Change &c = r.transaction.changes.at(i);
                    out.changes.append(c);
                    const QList<Judged> &mine = where->at(q).at(i); // its subsets of the change's table
                    if (mine.isEmpty())
                        continue;
                    const QStringList &key = r.subscriber.subsets.at(mine.first().subset).key;
                    Change every;
                    every.schema = c.schema;
                    every.table = c.table;
                    every.subset = Protocol::EverySubset;
                    if (c.action == Change::Action::Truncate || c.action == Change::Action::Delete) {
                        // Once for all subsets of the table: a truncate empties
                        // them, and a delete carrying only keys cannot be judged.
                        every.action = c.action;
                        every.rows = c.action == Change::Action::Truncate ? QByteArray("[]") : joinRows(keysOf(c.rows, key));
                        out.changes.append(every);
                        continue;
                    }
                    const qsizetype rowCount = verdicts.value(mine.first().input).rows.size();
                    // Per row, the subsets it is in after the change.
                    QList<QStringList> inSubsets(rowCount);
                    // Looked up once per change, not per subset (the key is the rows' text).
                    const QList<QByteArray> &oldKeys = c.action == Change::Action::Update ? oldKeysOf(c, key) : noKeys;
                    for (const Judged &j : mine) {
                        const Subset &s = r.subscriber.subsets.at(j.subset);
                        const int cond = j.condition;
                        const Verdicts &v = verdicts.value(j.input);
                        QList<QByteArray> matched;
                        QList<QByteArray> matchedOld;
                        for (qsizetype row = 0; row < v.rows.size(); ++row) {
                            if (!v.matches.at(row).value(cond))
                                continue;
                            matched.append(s.columns.isEmpty() ? v.rows.at(row) : RowText::project(v.rows.at(row), s.columns));
                            if (c.action == Change::Action::Update)
                                matchedOld.append(oldKeys.value(row));
                            if (row < inSubsets.size())
                                inSubsets[row].append(s.id);
                        }
                        if (matched.isEmpty())
                            continue;
                        // A create inserts (or replaces); an update upserts, so
                        // a row that moved in is an insertion, one that stayed a change.
                        Change sc;
                        sc.schema = c.schema;
                        sc.table = c.table;
                        sc.subset = s.id;
                        sc.action = c.action;
                        sc.rows = joinRows(matched);
                        if (c.action == Change::Action::Update)
                            sc.oldRows = joinRows(matchedOld);
                        out.changes.append(sc);
                    }
                    if (c.action != Change::Action::Update)
                        continue;
                    // The old keys leave every other subset of the table (the
                    // client drops those it holds): one removal per set of
                    // subsets the rows are still in, not one per subset.
                    QMap<QStringList, QList<QByteArray>> removals;
                    for (qsizetype row = 0; row < rowCount; ++row) {
                        if (inSubsets.at(row).size() < mine.size())
                            removals[inSubsets.at(row)].append(oldKeys.value(row));
                    }
                    for (auto it = removals.cbegin(); it != removals.cend(); ++it) {
                        Change left = every;
                        left.action = Change::Action::Delete;
                        left.except = it.key();
                        left.rows = joinRows(it.value());
                        out.changes.append(left);
                    }
                }
                r.done(out, QString());
            }
        };
        m_pool->execute(std::move(job));
    }
}

} // namespace Aiodata::Server
