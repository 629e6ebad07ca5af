#include "pgconnection.h"

#include "logging.h"

#include <QSocketNotifier>

#include <libpq-fe.h>

#include <vector>

namespace Aiodata::Server {

static void ignoreNotice(void *, const char *message)
{
    qCDebug(lcPg) << "notice:" << message;
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

void PgConnection::open(const QByteArray &conninfo, Mode mode)
{
    m_state = State::Connecting;
    m_mode = mode;
    if (mode == Mode::Replication) {
        // dbname is expanded as a URI or key=value string; replication overrides it.
        const char *keywords[] = {"dbname", "replication", nullptr};
        const char *values[] = {conninfo.constData(), "database", nullptr};
        m_conn = PQconnectStartParams(keywords, values, 1);
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
    Q_ASSERT(m_state == State::Idle);
    m_state = State::Busy;
    m_job = std::move(job);
    m_results = QList<PgResult>(m_job.statements.size());
    m_firstError = PgError();
    m_resultIndex = 0;
    m_lastWasNull = false;

    std::vector<const char *> values;
    for (const PgStatement &statement : std::as_const(m_job.statements)) {
        qCDebug(lcSql) << statement.sql << statement.params;
        values.clear();
        for (const QByteArray &p : statement.params)
            values.push_back(p.isNull() ? nullptr : p.constData());
        if (!PQsendQueryParams(m_conn, statement.sql.constData(), int(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0)) {
            fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
            return;
        }
    }
    if (!PQpipelineSync(m_conn)) {
        fail(QString::fromUtf8(PQerrorMessage(m_conn)).trimmed());
        return;
    }
    flush();
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
    else if (m_mode == Mode::Replication)
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
    if (m_mode == Mode::Replication) {
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
            ++m_resultIndex;
            continue;
        }
        m_lastWasNull = false;
        const ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            finishJob();
            return;
        }
        if (m_resultIndex >= m_results.size()) {
            // Past the last statement: the implicit COMMIT at the sync point
            // (e.g. a deferred constraint) can still fail the transaction.
            if (status == PGRES_FATAL_ERROR && m_firstError.isNull())
                m_firstError = errorFromResult(res);
        } else {
            PgResult &r = m_results[m_resultIndex];
            if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
                r.ok = true;
                r.columns = PQnfields(res);
                const int n = PQntuples(res);
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
                r.ok = false; // skipped after an earlier error
            } else {
                r.ok = false;
                r.error = errorFromResult(res);
                if (m_firstError.isNull())
                    m_firstError = r.error;
            }
        }
        PQclear(res);
    }
}

void PgConnection::finishJob()
{
    m_state = State::Idle;
    PgJob job = std::move(m_job);
    m_job = PgJob();
    const QList<PgResult> results = std::move(m_results);
    m_results.clear();
    if (job.done)
        job.done(results, m_firstError);
    Q_EMIT jobFinished();
}

void PgConnection::fail(const QString &error)
{
    const bool hadJob = m_state == State::Busy;
    const bool wasOpen = hadJob || m_state == State::Idle;
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
    if (hadJob) {
        PgJob job = std::move(m_job);
        m_job = PgJob();
        PgError e;
        e.sqlState = "08006";
        e.message = m_errorString;
        if (job.done)
            job.done(QList<PgResult>(job.statements.size()), e);
    }
    Q_EMIT failed(m_errorString);
}

} // namespace Aiodata::Server
