#include "capture/walsource.h"

#include "base/logging.h"
#include "pg/pgpool.h"
#include "pg/pgreplicationstream.h"
#include "pg/pgsql.h"
#include "pg/pgtype.h"
#include "capture/walvalueformatter.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QTimer>

namespace Aiodata::Server {

namespace {

// Resolves types that are not built in: through domains to their base type
// and through one array level, reading only pg_type (no privilege needed).
// Per type: its OID, the built-in type it comes down to, whether an array.
const char ResolveTypesSql[] = R"(WITH RECURSIVE chain(start, cur, arrays, depth) AS (
  SELECT u.oid, u.oid, 0, 0 FROM unnest($1::oid[]) AS u(oid)
  UNION ALL
  SELECT c.start, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END,
         c.arrays + CASE WHEN t.typtype = 'd' THEN 0 ELSE 1 END, c.depth + 1
  FROM chain c JOIN pg_catalog.pg_type t ON t.oid = c.cur
  WHERE c.depth < 32 AND (t.typtype = 'd' OR (c.arrays = 0 AND t.typcategory = 'A' AND t.typelem <> 0 AND t.typlen = -1)))
SELECT DISTINCT ON (start) start::text, cur::text, arrays FROM chain ORDER BY start, depth DESC)";

// A value inside libpq's options setting: spaces and backslashes escaped.
QByteArray escapeOption(const QByteArray &value)
{
    QByteArray out;
    for (const char c : value) {
        if (c == ' ' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

// Which columns a tuple carries (unchanged TOASTed values and columns
// outside a key-only old tuple are absent).
QList<int> presentColumns(const WalTuple &tuple)
{
    QList<int> present;
    for (qsizetype i = 0; i < tuple.size(); ++i) {
        if (tuple.at(i).kind != WalValue::UnchangedToast)
            present.append(int(i));
    }
    return present;
}

// The JSON array of objects of the tuples' present columns; writeValue
// writes one non-null value (false: give up, null result).
QByteArray tuplesToJson(const WalRelation &relation, const QList<WalTuple> &tuples, const QList<int> &present,
                        const std::function<bool(QByteArray &, const WalColumn &, const QByteArray &)> &writeValue)
{
    QByteArray out = "[";
    for (qsizetype t = 0; t < tuples.size(); ++t) {
        if (t)
            out += ',';
        out += '{';
        bool first = true;
        for (int i : present) {
            const WalColumn &column = relation.columns.at(i);
            const WalValue &value = tuples.at(t).at(i);
            if (!first)
                out += ',';
            first = false;
            WalValueFormatter::appendString(out, column.name.toUtf8());
            out += ':';
            if (value.kind == WalValue::Null)
                out += "null";
            else if (!writeValue(out, column, value.text))
                return QByteArray();
        }
        out += '}';
    }
    out += ']';
    return out;
}

// One statement turning tuples (all with the same present columns) into
// row_to_json's JSON array. typeOf gives each column's json_to_recordset type.
PgStatement conversion(const WalRelation &relation, const QList<WalTuple> &tuples, const QList<int> &present,
                       const std::function<QByteArray(quint32)> &typeOf)
{
    // Every value as its text in a JSON string; json_to_recordset parses it as the column's type.
    const QByteArray input = tuplesToJson(relation, tuples, present,
                                          [](QByteArray &out, const WalColumn &column, const QByteArray &text) {
                                              if (PgType::isJson(column.typeOid))
                                                  out += text;
                                              else
                                                  WalValueFormatter::appendString(out, text);
                                              return true;
                                          });
    QList<QByteArray> definitions;
    for (int i : present) {
        const WalColumn &column = relation.columns.at(i);
        definitions.append(PgSql::quoteIdentifier(column.name) + ' ' + typeOf(column.typeOid));
    }
    if (definitions.isEmpty())
        return PgStatement{QByteArrayLiteral("SELECT '[]'::text"), {}};
    return PgStatement{"SELECT coalesce(json_agg(_r), '[]')::text FROM json_to_recordset($1::json) AS _r("
                           + definitions.join(", ") + ')',
                       {input}};
}

// The JSON array of the tuples formatted in the server, or a null
// QByteArray when a column's type or value needs PostgreSQL.
QByteArray formatted(const WalRelation &relation, const QList<WalTuple> &tuples, const QList<int> &present,
                     bool sessionMatched)
{
    for (int i : present) {
        if (!WalValueFormatter::handles(relation.columns.at(i).typeOid, sessionMatched))
            return QByteArray();
    }
    return tuplesToJson(relation, tuples, present,
                        [sessionMatched](QByteArray &out, const WalColumn &column, const QByteArray &text) {
                            return WalValueFormatter::append(out, column.typeOid, text, sessionMatched);
                        });
}

// The key columns of a new tuple, for updates whose old tuple PostgreSQL
// leaves out (the key did not change and the identity is the default).
WalTuple keyOnly(const WalRelation &relation, const WalTuple &tuple)
{
    WalTuple out = tuple;
    for (qsizetype i = 0; i < out.size(); ++i) {
        if (!relation.columns.value(i).isKey)
            out[i].kind = WalValue::UnchangedToast; // i.e. absent
    }
    return out;
}

} // namespace

WalSource::WalSource(const QByteArray &conninfo, const QString &publication, const QStringList &schemas, PgPool *pool,
                     const QString &slotName, QObject *parent)
    : ChangeSource(parent)
    , m_conninfo(conninfo)
    , m_publication(publication)
    , m_schemas(schemas.begin(), schemas.end())
    , m_pool(pool)
    , m_stream(nullptr)
    , m_slotName(slotName)
    , m_permanent(!slotName.isEmpty())
{
}

WalSource::~WalSource() = default;

QString WalSource::name() const
{
    return QStringLiteral("logical replication");
}

void WalSource::start()
{
    startStream();
}

void WalSource::startStream()
{
    // A temporary slot is unique per process and stream, so instances on
    // one database never share one.
    if (!m_permanent) {
        m_slotName = QStringLiteral("aiodata_%1_%2")
                         .arg(QCoreApplication::applicationPid())
                         .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    }
    ++m_generation;
    m_decoder = PgOutputDecoder();
    m_pending.clear();
    m_types.clear();
    if (m_stream)
        m_stream->deleteLater();
    m_stream = new PgReplicationStream(this);
    connect(m_stream, &PgReplicationStream::started, this, &WalSource::onStreamStarted);
    connect(m_stream, &PgReplicationStream::caughtUp, this, [this](quint64 lsn) {
        // Every commit before lsn has been emitted.
        if (m_pending.isEmpty() && lsn - 1 > m_lastSeq) {
            m_lastSeq = lsn - 1;
            Q_EMIT advanced(m_lastSeq);
        }
    });
    connect(m_stream, &PgReplicationStream::failed, this, &WalSource::onStreamFailed);
    connect(m_stream, &PgReplicationStream::message, this,
            [this](quint64, const QByteArray &payload) { onMessage(payload); });
    // Floats and date/time values are formatted in the server only when the
    // replication session writes them as the pool's sessions read them:
    // the same TimeZone and extra_float_digits, DateStyle ISO.
    const quint64 generation = m_generation;
    PgJob job;
    job.statements.append(PgStatement{
        QByteArrayLiteral("SELECT current_setting('TimeZone'), current_setting('extra_float_digits')"), {}});
    job.done = [this, generation](const QList<PgResult> &results, const PgError &error) {
        if (generation != m_generation)
            return;
        QByteArray conninfo = m_conninfo;
        m_sessionMatched = false;
        if (error.isNull() && results.value(0).rows.size() == 1) {
            const QByteArray options = "-c DateStyle=ISO -c TimeZone=" + escapeOption(results.at(0).value(0, 0))
                + " -c extra_float_digits=" + escapeOption(results.at(0).value(0, 1));
            if (const auto withOptions = PgConnection::withOptions(m_conninfo, options)) {
                conninfo = *withOptions;
                m_sessionMatched = true;
            }
        }
        if (!m_sessionMatched)
            qCInfo(lcServer) << "floats and date/time values in events are converted by PostgreSQL";
        m_stream->start(conninfo, PgReplicationStream::Slot{m_slotName, !m_permanent}, m_publication);
    };
    m_pool->execute(std::move(job));
}

void WalSource::onStreamStarted(quint64 point)
{
    const PgReplicationStream::System system = m_stream->system();
    const QString epoch = epochOf(system);
    m_retryMs = 0;
    if (m_permanent)
        m_stream->hold(qMax(point, m_released + 1)); // the retention window decides (release())
    // Every commit at or after point comes; those before it are known only
    // if this process streamed them already (the same slot, restarted), on
    // this timeline or before the new one branched off (a promoted standby).
    const bool sameHistory = m_running
        && (epoch == m_epoch
            || (system.systemId == m_system.systemId && system.databaseOid == m_system.databaseOid
                && system.history.contains(m_system.timeline, m_lastSeq, system.timeline)));
    const bool gapless = sameHistory && point <= m_lastSeq + 1;
    m_system = system;
    if (gapless) {
        if (epoch != m_epoch)
            qCInfo(lcServer).noquote() << "the database moved to timeline" << system.timeline
                                       << "after everything streamed so far; clients resume";
        m_epoch = epoch;
        qCInfo(lcServer).noquote() << "replication stream resumed without a gap at"
                                   << PgReplicationStream::lsnToString(point);
        return;
    }
    m_epoch = epoch;
    m_startSeq = point ? point - 1 : 0;
    m_lastSeq = m_startSeq;
    m_released = 0;
    if (!m_running) {
        m_running = true;
        Q_EMIT started();
    } else {
        Q_EMIT reset();
    }
}

QString WalSource::epochOf(const PgReplicationStream::System &system)
{
    return QStringLiteral("pg_%1_%2_%3")
        .arg(QString::fromLatin1(system.systemId))
        .arg(system.timeline)
        .arg(QString::fromLatin1(system.databaseOid));
}

bool WalSource::continues(const QString &epoch, quint64 position) const
{
    if (epoch == m_epoch)
        return true;
    // pg_<system identifier>_<timeline>_<database oid>
    const QStringList parts = epoch.split(QLatin1Char('_'));
    bool ok = false;
    const int timeline = parts.value(2).toInt(&ok);
    return parts.size() == 4 && parts.at(0) == QLatin1String("pg") && ok
        && parts.at(1) == QString::fromLatin1(m_system.systemId) && parts.at(3) == QString::fromLatin1(m_system.databaseOid)
        && m_system.history.contains(timeline, position, m_system.timeline);
}

void WalSource::release(quint64 seq)
{
    m_released = qMax(m_released, seq);
    if (m_permanent && m_stream)
        m_stream->hold(seq + 1);
}

void WalSource::onStreamFailed(const QString &error)
{
    if (!m_running) {
        Q_EMIT failed(error);
        return;
    }
    // PostgreSQL restarted or the connection broke: a temporary slot is gone
    // (a new epoch); a permanent one resumes where it was confirmed.
    m_retryMs = m_retryMs ? qMin(m_retryMs * 2, 10000) : 500;
    qCWarning(lcServer).noquote() << "replication stream lost, retrying in" << m_retryMs << "ms:" << error.simplified();
    QTimer::singleShot(m_retryMs, this, &WalSource::startStream);
}

void WalSource::onMessage(const QByteArray &payload)
{
    const PgOutputDecoder::Result result = m_decoder.decode(payload);
    if (result == PgOutputDecoder::Result::Error) {
        qCWarning(lcServer).noquote() << "cannot decode the replication stream:" << m_decoder.errorString();
        onStreamFailed(m_decoder.errorString());
        return;
    }
    if (result != PgOutputDecoder::Result::Committed)
        return;
    auto pending = std::make_shared<Pending>();
    pending->transaction = m_decoder.transaction();
    m_pending.enqueue(pending);
    if (pending->transaction.commitLsn <= m_lastSeq) {
        // A permanent slot re-sends what it held back: emitted already.
        pending->transaction.changes.clear();
        pending->ready = true;
        emitReady();
        return;
    }
    convert(pending);
}

void WalSource::convert(const std::shared_ptr<Pending> &pending)
{
    // Consecutive changes of one table, action and column set become one
    // event; each needs one or two conversion statements.
    struct Group
    {
        const WalRelation *relation;
        WalChange::Action action;
        QList<WalTuple> rows;
        QList<WalTuple> oldRows;
        QList<int> rowColumns;
        QList<int> oldColumns;
        bool oldIsFull;
        QByteArray rowsJson;     // formatted in the server; null: ask PostgreSQL
        QByteArray oldRowsJson;
    };
    QList<Group> groups;
    for (const WalChange &change : std::as_const(pending->transaction.changes)) {
        const WalRelation *relation = m_decoder.relation(change.relation);
        if (!relation || !m_schemas.contains(relation->schema))
            continue;
        WalTuple row;
        WalTuple old;
        switch (change.action) {
        case WalChange::Action::Create:
            row = change.newTuple;
            break;
        case WalChange::Action::Update:
            row = change.newTuple;
            if (change.oldIsFull) {
                // A full old row (REPLICA IDENTITY FULL) fills unchanged TOASTed values.
                for (qsizetype i = 0; i < row.size() && i < change.oldTuple.size(); ++i) {
                    if (row.at(i).kind == WalValue::UnchangedToast)
                        row[i] = change.oldTuple.at(i);
                }
            }
            old = change.oldTuple.isEmpty() ? keyOnly(*relation, change.newTuple) : change.oldTuple;
            if (!change.oldIsFull && !change.oldTuple.isEmpty()) {
                // 'K': only key columns carry values; the others arrive as nulls.
                for (qsizetype i = 0; i < old.size(); ++i) {
                    if (!relation->columns.value(i).isKey)
                        old[i].kind = WalValue::UnchangedToast;
                }
            }
            break;
        case WalChange::Action::Delete:
            row = change.oldTuple;
            if (!change.oldIsFull) {
                for (qsizetype i = 0; i < row.size(); ++i) {
                    if (!relation->columns.value(i).isKey)
                        row[i].kind = WalValue::UnchangedToast;
                }
            }
            break;
        case WalChange::Action::Truncate:
            break;
        }
        const QList<int> rowColumns = presentColumns(row);
        const QList<int> oldColumns = presentColumns(old);
        if (groups.isEmpty() || groups.last().relation != relation || groups.last().action != change.action
            || groups.last().rowColumns != rowColumns || groups.last().oldColumns != oldColumns
            || groups.last().oldIsFull != change.oldIsFull || change.action == WalChange::Action::Truncate) {
            groups.append(Group{relation, change.action, {}, {}, rowColumns, oldColumns, change.oldIsFull, {}, {}});
        }
        if (change.action != WalChange::Action::Truncate) {
            groups.last().rows.append(row);
            if (change.action == WalChange::Action::Update)
                groups.last().oldRows.append(old);
        }
    }

    // Groups of built-in types need no query at all (WalValueFormatter).
    for (Group &g : groups) {
        if (g.action == WalChange::Action::Truncate)
            continue;
        g.rowsJson = formatted(*g.relation, g.rows, g.rowColumns, m_sessionMatched);
        if (g.action == WalChange::Action::Update && !g.rowsJson.isNull()) {
            g.oldRowsJson = formatted(*g.relation, g.oldRows, g.oldColumns, m_sessionMatched);
            if (g.oldRowsJson.isNull())
                g.rowsJson = QByteArray();
        }
    }

    // Types seen for the first time are resolved first (one query, kept
    // for the stream's life); the conversion follows in order.
    QSet<quint32> unknown;
    for (const Group &g : std::as_const(groups)) {
        if (!g.rowsJson.isNull())
            continue;
        for (const QList<int> *columns : {&g.rowColumns, &g.oldColumns}) {
            for (int i : *columns) {
                const quint32 oid = g.relation->columns.at(i).typeOid;
                if (PgType::builtinName(oid).isEmpty() && !m_types.contains(oid))
                    unknown.insert(oid);
            }
        }
    }
    if (!unknown.isEmpty()) {
        resolveTypes(unknown, [this, pending] { convert(pending); });
        return;
    }
    const auto typeOf = [this](quint32 oid) {
        const QByteArray builtin = PgType::builtinName(oid);
        return builtin.isEmpty() ? m_types.value(oid, QByteArrayLiteral("text")) : builtin;
    };

    PgJob job;
    QList<std::pair<int, int>> statementOf; // per group: rows statement, old rows statement (-1 = none)
    for (const Group &g : std::as_const(groups)) {
        int rowsAt = -1, oldAt = -1;
        if (!g.rowsJson.isNull()) {
            statementOf.append({rowsAt, oldAt});
            continue;
        }
        if (g.action != WalChange::Action::Truncate) {
            rowsAt = int(job.statements.size());
            job.statements.append(conversion(*g.relation, g.rows, g.rowColumns, typeOf));
        }
        if (g.action == WalChange::Action::Update) {
            oldAt = int(job.statements.size());
            job.statements.append(conversion(*g.relation, g.oldRows, g.oldColumns, typeOf));
        }
        statementOf.append({rowsAt, oldAt});
    }

    const quint64 generation = m_generation;
    auto finish = [this, pending, groups, statementOf, generation](const QList<PgResult> &results, const PgError &error) {
        if (generation != m_generation)
            return; // a stream that has since been replaced
        if (!error.isNull())
            qCWarning(lcServer).noquote() << "converting transaction" << pending->transaction.xid << "failed:" << error.message;
        for (qsizetype i = 0; i < groups.size(); ++i) {
            const Group &g = groups.at(i);
            Change c;
            c.schema = g.relation->schema;
            c.table = g.relation->name;
            switch (g.action) {
            case WalChange::Action::Create: c.action = Change::Action::Create; break;
            case WalChange::Action::Update: c.action = Change::Action::Update; break;
            case WalChange::Action::Delete: c.action = Change::Action::Delete; break;
            case WalChange::Action::Truncate: c.action = Change::Action::Truncate; break;
            }
            const auto [rowsAt, oldAt] = statementOf.at(i);
            if (!g.rowsJson.isNull()) {
                c.rows = g.rowsJson;
                c.oldRows = g.oldRowsJson;
            } else {
                c.rows = rowsAt >= 0 ? results.value(rowsAt).value(0, 0) : QByteArray("[]");
                if (oldAt >= 0)
                    c.oldRows = results.value(oldAt).value(0, 0);
            }
            c.completeOldRows = g.oldIsFull
                && (g.action == WalChange::Action::Update || g.action == WalChange::Action::Delete);
            if (c.rows.isEmpty())
                continue; // conversion failed: logged above
            pending->changes.append(c);
        }
        pending->ready = true;
        emitReady();
    };
    if (job.statements.isEmpty()) {
        finish({}, PgError());
        return;
    }
    job.done = finish;
    m_pool->execute(std::move(job));
}

void WalSource::resolveTypes(const QSet<quint32> &oids, std::function<void()> then)
{
    QByteArray list = "{";
    for (quint32 oid : oids) {
        if (list.size() > 1)
            list += ',';
        list += QByteArray::number(oid);
    }
    list += '}';
    PgJob job;
    job.statements.append(PgStatement{QByteArray(ResolveTypesSql), {list}});
    const quint64 generation = m_generation;
    job.done = [this, oids, then, generation](const QList<PgResult> &results, const PgError &error) {
        if (generation != m_generation)
            return;
        if (!error.isNull())
            qCWarning(lcServer).noquote() << "cannot resolve column types, sending them as text:" << error.message;
        // Enums, ranges, composites and every other type row_to_json shows
        // by its text come down to text.
        for (quint32 oid : oids)
            m_types.insert(oid, QByteArrayLiteral("text"));
        for (const QList<QByteArray> &row : results.value(0).rows) {
            QByteArray type = PgType::builtinName(row.value(1).toUInt());
            if (type.isEmpty() || type.endsWith("[]"))
                type = QByteArrayLiteral("text");
            if (row.value(2).toInt() > 0)
                type += "[]";
            m_types.insert(row.value(0).toUInt(), type);
        }
        then();
    };
    m_pool->execute(std::move(job));
}

void WalSource::emitReady()
{
    // Conversions may finish out of order on different connections; events
    // leave in commit order.
    while (!m_pending.isEmpty() && m_pending.head()->ready) {
        const std::shared_ptr<Pending> p = m_pending.dequeue();
        m_lastSeq = qMax(m_lastSeq, p->transaction.commitLsn);
        if (!p->changes.isEmpty()) {
            // PostgreSQL's commit time: microseconds since 2000-01-01.
            constexpr qint64 pgEpochMs = 946684800000;
            Transaction t;
            t.seq = p->transaction.commitLsn;
            t.xid = p->transaction.xid;
            t.committedAtMs = pgEpochMs + p->transaction.commitTime / 1000;
            t.changes = p->changes;
            Q_EMIT committed(t);
        }
        m_stream->confirm(p->transaction.endLsn);
    }
}

} // namespace Aiodata::Server
