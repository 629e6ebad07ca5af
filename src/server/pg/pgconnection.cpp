#include "pg/pgconnection.h"

#include "base/logging.h"

#include <QSocketNotifier>
#include <QVarLengthArray>

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <limits>
#include <vector>

namespace Aiodata::Server {

static void ignoreNotice(void *, const char *message)
{
    qCDebug(lcPg) << "notice:" << message;
}

static qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

static PgError errorFromResult(const PGresult *res)
{
    PgError e;
    e.sqlState = QByteArray(PQresultErrorField(res, PG_DIAG_SQLSTATE));
    e.message = QString::fromUtf8(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    e.detail = QString::fromUtf8(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
    e.hint = QString::fromUtf8(PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
    if (e.message.isEmpty())
        e.message = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
    return e;
}

std::optional<QByteArray> PgConnection::withOptions(const QByteArray &conninfo, const QByteArray &options)
{
    char *error = nullptr;
    PQconninfoOption *parsed = PQconninfoParse(conninfo.constData(), &error);
    if (!parsed) {
        PQfreemem(error);
        return std::nullopt;
    }
    QByteArray out;
    auto append = [&out](const char *keyword, const QByteArray &value) {
        if (!out.isEmpty())
            out.append(' ');
        out.append(keyword);
        out.append("='");
        for (const char c : value) {
            if (c == '\'' || c == '\\')
                out.append('\\');
            out.append(c);
        }
        out.append('\'');
    };
    bool merged = false;
    for (const PQconninfoOption *o = parsed; o->keyword; ++o) {
        if (!o->val)
            continue;
        QByteArray value(o->val);
        if (qstrcmp(o->keyword, "options") == 0) {
            value.append(' ');
            value.append(options);
            merged = true;
        }
        append(o->keyword, value);
    }
    PQconninfoFree(parsed);
    if (!merged)
        append("options", options);
    return out;
}

PgConnection::PgConnection(QObject *parent)
    : QObject(parent)
{
}

PgConnection::~PgConnection()
{
    delete m_readNotifier;
    delete m_writeNotifier;
    if (m_conn)
        PQfinish(m_conn);
}

void PgConnection::open(const QByteArray &conninfo, Mode mode, const QByteArray &applicationName)
{
    m_state = State::Connecting;
    m_mode = mode;
    if (mode == Mode::Replication || !applicationName.isEmpty()) {
        // dbname is expanded as a URI or key=value string; the keywords
        // after it override what it says.
        std::vector<const char *> keywords{"dbname"};
        std::vector<const char *> values{conninfo.constData()};
        if (mode == Mode::Replication) {
            keywords.push_back("replication");
            values.push_back("database");
        }
        if (!applicationName.isEmpty()) {
            keywords.push_back("application_name");
            values.push_back(applicationName.constData());
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        m_conn = PQconnectStartParams(keywords.data(), values.data(), 1);
    } else {
        m_conn = PQconnectStart(conninfo.constData());
    }
    if (!m_conn) {
        fail(QStringLiteral("out of memory"));
        return;
    }
    if (PQstatus(m_conn) == CONNECTION_BAD) {
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
        return;
    }
    // libpq's contract: after PQconnectStart, behave as if polling returned WRITING.
    m_connectWantsWrite = true;
    updateNotifiers();
}

void PgConnection::updateNotifiers()
{
    const int socket = m_conn ? PQsocket(m_conn) : -1;
    if (socket != m_socket) {
        // libpq may switch sockets while connecting (several hosts, SSL retry).
        delete m_readNotifier;
        delete m_writeNotifier;
        m_readNotifier = m_writeNotifier = nullptr;
        m_socket = socket;
        if (socket >= 0) {
            m_readNotifier = new QSocketNotifier(socket, QSocketNotifier::Read, this);
            m_writeNotifier = new QSocketNotifier(socket, QSocketNotifier::Write, this);
            connect(m_readNotifier, &QSocketNotifier::activated, this, &PgConnection::onReadable);
            connect(m_writeNotifier, &QSocketNotifier::activated, this, &PgConnection::onWritable);
        }
    }
    if (!m_readNotifier)
        return;
    const bool connecting = m_state == State::Connecting;
    m_readNotifier->setEnabled(m_state != State::Broken && (!connecting || !m_connectWantsWrite));
    m_writeNotifier->setEnabled(connecting && m_connectWantsWrite);
}

void PgConnection::pollConnect()
{
    switch (PQconnectPoll(m_conn)) {
    case PGRES_POLLING_READING:
        m_connectWantsWrite = false;
        updateNotifiers();
        return;
    case PGRES_POLLING_WRITING:
        m_connectWantsWrite = true;
        updateNotifiers();
        return;
    case PGRES_POLLING_FAILED:
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
        return;
    case PGRES_POLLING_OK:
        break;
    default:
        return;
    }
    PQsetNoticeProcessor(m_conn, ignoreNotice, nullptr);
    if (PQsetnonblocking(m_conn, 1) != 0 || (m_mode == Mode::Pipeline && PQenterPipelineMode(m_conn) != 1)) {
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
        return;
    }
    m_state = State::Idle;
    updateNotifiers();
    qCDebug(lcPg) << "connected, server version" << PQserverVersion(m_conn);
    Q_EMIT opened();
}

void PgConnection::run(PgJob job)
{
    Q_ASSERT(m_state == State::Idle || m_state == State::Busy);
    m_state = State::Busy;
    m_inFlight.push_back(InFlight{});
    InFlight &flight = m_inFlight.back();
    flight.job = std::move(job);
    flight.results = QList<PgResult>(flight.job.statements.size());
    flight.sentAtUs = nowUs();
    if (flight.job.expectedUs < 0)
        ++m_unestimated;
    else
        m_expectedSumUs += flight.job.expectedUs;

    auto sendFailed = [this] {
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
    };
    // A full cache is emptied in one go rather than per name: statement
    // shapes are few (one per table, column set and filter shape), so it
    // refills with the ones still in use. Names are never reused, so a
    // DEALLOCATE that did not happen cannot clash with a later Parse, and
    // jobs sent before it still find their statements.
    if (m_prepare && (m_emptyCache || preparedCount() >= maxPreparedStatements)) {
        m_emptyCache = false;
        m_prepared.clear();
        m_parsing.clear();
        if (!PQsendQueryParams(m_conn, "DEALLOCATE ALL", 0, nullptr, nullptr, nullptr, nullptr, 0))
            return sendFailed();
        flight.resultSlots.append(ResultSlot{});
    }

    // Each Parse goes right before its statement's execution: parsing
    // resolves names, which needs the role that the statements before it
    // set. A Parse skipped after an earlier error is not cached; a job sent
    // later that counted on it fails with 26000 and runs again.
    QVarLengthArray<const char *, 16> values; // no heap for the usual few parameters
    flight.resultSlots.reserve(2 * flight.job.statements.size() + 1);
    for (int i = 0; i < flight.job.statements.size(); ++i) {
        const PgStatement &statement = flight.job.statements.at(i);
        qCDebug(lcSql) << statement.sql << statement.params;
        values.clear();
        for (const QByteArray &p : statement.params)
            values.append(p.isNull() ? nullptr : p.constData());
        const int count = int(values.size());
        if (!m_prepare) {
            if (!PQsendQueryParams(m_conn, statement.sql.constData(), count, nullptr, values.data(), nullptr, nullptr, 0))
                return sendFailed();
            flight.resultSlots.append(ResultSlot{i, {}});
            continue;
        }
        QByteArray name = m_prepared.value(statement.sql);
        if (name.isEmpty())
            name = m_parsing.value(statement.sql);
        if (name.isEmpty()) {
            name = "aiodata_" + QByteArray::number(m_nextPreparedName++);
            // Parameter types are inferred at Parse, as for an unnamed statement.
            if (!PQsendPrepare(m_conn, name.constData(), statement.sql.constData(), count, nullptr))
                return sendFailed();
            flight.resultSlots.append(ResultSlot{i, name});
            m_parsing.insert(statement.sql, name);
        }
        if (!PQsendQueryPrepared(m_conn, name.constData(), count, values.data(), nullptr, nullptr, 0))
            return sendFailed();
        flight.resultSlots.append(ResultSlot{i, {}});
    }
    if (!PQpipelineSync(m_conn))
        return sendFailed();
    flush();
}

qint64 PgConnection::expectedWaitUs() const
{
    if (m_inFlight.empty())
        return 0;
    if (m_unestimated > 0)
        return std::numeric_limits<qint64>::max();
    const InFlight &oldest = m_inFlight.front();
    const qint64 running = nowUs() - std::max(oldest.sentAtUs, m_lastFinishUs);
    return m_expectedSumUs - oldest.job.expectedUs + std::max(oldest.job.expectedUs, running);
}

void PgConnection::flush()
{
    const int r = PQflush(m_conn);
    if (r < 0) {
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
        return;
    }
    // 1: libpq could not send everything without blocking; wait for writability.
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(r == 1);
}

void PgConnection::setWriteWanted(bool wanted)
{
    if (m_writeNotifier && m_state != State::Broken)
        m_writeNotifier->setEnabled(wanted);
}

void PgConnection::onWritable()
{
    if (m_state == State::Connecting)
        pollConnect();
    else if (m_mode != Mode::Pipeline)
        Q_EMIT readyWrite();
    else if (m_state == State::Busy)
        flush();
    else if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
}

void PgConnection::onReadable()
{
    if (m_state == State::Connecting) {
        pollConnect();
        return;
    }
    if (m_state == State::Broken || m_state == State::Disconnected)
        return;
    if (m_mode != Mode::Pipeline) {
        Q_EMIT readyRead();
        return;
    }
    if (!PQconsumeInput(m_conn) || PQstatus(m_conn) == CONNECTION_BAD) {
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
        return;
    }
    while (m_state == State::Busy && !PQisBusy(m_conn)) {
        PGresult *res = PQgetResult(m_conn);
        if (!res) {
            // NULL ends one statement's results; twice in a row means nothing more yet.
            if (m_lastWasNull)
                break;
            m_lastWasNull = true;
            ++m_inFlight.front().resultIndex;
            continue;
        }
        m_lastWasNull = false;
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            finishJob(); // may fail the connection, or run more jobs
            continue;
        }
        takeResult(m_inFlight.front(), res);
        PQclear(res);
    }
}

void PgConnection::takeResult(InFlight &flight, PGresult *res)
{
    const ExecStatusType status = PQresultStatus(res);
    if (flight.resultIndex >= flight.resultSlots.size() || flight.resultSlots.at(flight.resultIndex).statement < 0) {
        // Past the last statement: the implicit COMMIT at the sync point
        // (e.g. a deferred constraint) can still fail the transaction.
        // Before the first: the DEALLOCATE of a full cache.
        if (status == PGRES_FATAL_ERROR && flight.firstError.isNull())
            flight.firstError = errorFromResult(res);
        return;
    }
    const ResultSlot &slot = flight.resultSlots.at(flight.resultIndex);
    if (!slot.preparedName.isEmpty()) {
        // A Parse. Prepared statements outlive the transaction, also one
        // that rolls back, so a successful Parse is cached at once, unless
        // the cache was emptied (DEALLOCATE ALL) since it was sent: then
        // the name is no longer the one waiting in m_parsing.
        const QByteArray &sql = flight.job.statements.at(slot.statement).sql;
        const auto parsing = m_parsing.constFind(sql);
        if (parsing != m_parsing.cend() && *parsing == slot.preparedName) {
            m_parsing.erase(parsing);
            if (status == PGRES_COMMAND_OK)
                m_prepared.insert(sql, slot.preparedName);
        }
        if (status == PGRES_FATAL_ERROR) {
            PgResult &r = flight.results[slot.statement];
            r.error = errorFromResult(res);
            if (flight.firstError.isNull())
                flight.firstError = r.error;
        }
        return;
    }
    PgResult &r = flight.results[slot.statement];
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        r.ok = true;
        r.affected = std::strtoll(PQcmdTuples(res), nullptr, 10); // "" (no count) is 0
        r.columns = PQnfields(res);
        const int n = flight.job.statements.at(slot.statement).rowsWanted ? PQntuples(res) : 0;
        r.rows.reserve(n);
        for (int row = 0; row < n; ++row) {
            QList<QByteArray> values;
            values.reserve(r.columns);
            for (int col = 0; col < r.columns; ++col) {
                if (PQgetisnull(res, row, col))
                    values.append(QByteArray());
                else
                    values.append(QByteArray(PQgetvalue(res, row, col), PQgetlength(res, row, col)));
            }
            r.rows.append(std::move(values));
        }
    } else if (status == PGRES_PIPELINE_ABORTED) {
        r.ok = false; // skipped after an earlier error (maybe its own Parse)
    } else {
        r.ok = false;
        r.error = errorFromResult(res);
        if (flight.firstError.isNull())
            flight.firstError = r.error;
    }
}

void PgConnection::finishJob()
{
    InFlight flight = std::move(m_inFlight.front());
    m_inFlight.pop_front();
    if (m_inFlight.empty())
        m_state = State::Idle;
    if (flight.job.expectedUs < 0)
        --m_unestimated;
    else
        m_expectedSumUs -= flight.job.expectedUs;
    // Time spent waiting behind the job before it is not this job's.
    const qint64 now = nowUs();
    const qint64 took = now - std::max(flight.sentAtUs, m_lastFinishUs);
    m_lastFinishUs = now;
    // A prepared statement whose result type changed since its Parse (DDL
    // on a table it reads) fails once with 0A000 "cached plan must not
    // change result type"; one whose Parse an earlier job in the pipeline
    // never got to fails with 26000; one that populates a row type a column
    // was dropped from fails with 42703 "attribute N of type record has
    // been dropped" (fanout/SubsetFilter's). The whole transaction rolled back, so
    // running the job again, after emptying the cache (DEALLOCATE ALL, so
    // that nothing stays prepared that the cache has forgotten), is safe.
    const QByteArray &state = flight.firstError.sqlState;
    if (m_prepare && (state == "0A000" || state == "26000" || state == "42703") && !flight.job.retried) {
        qCDebug(lcPg) << "prepared statements out of date, preparing again:" << flight.firstError.message;
        m_emptyCache = true;
        flight.job.retried = true;
        run(std::move(flight.job));
        return;
    }
    if (flight.job.done)
        flight.job.done(flight.results, flight.firstError);
    if (m_state != State::Broken)
        Q_EMIT jobFinished(flight.job, took);
}

void PgConnection::fail(const QString &error)
{
    const bool wasOpen = m_state == State::Busy || m_state == State::Idle;
    m_state = State::Broken;
    m_errorString = error.isEmpty() ? QStringLiteral("connection to the database lost") : error;
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    // A failed attempt to connect is reported once by the pool's owner (failed()).
    if (wasOpen)
        qCWarning(lcPg) << "database connection failed:" << m_errorString;
    else
        qCDebug(lcPg) << "cannot connect:" << m_errorString;
    PgError e;
    e.sqlState = "08006";
    e.message = m_errorString;
    std::deque<InFlight> lost = std::exchange(m_inFlight, {});
    m_expectedSumUs = 0;
    m_unestimated = 0;
    for (InFlight &flight : lost) {
        if (flight.job.done)
            flight.job.done(QList<PgResult>(flight.job.statements.size()), e);
    }
    Q_EMIT failed(m_errorString);
}

} // namespace Aiodata::Server
