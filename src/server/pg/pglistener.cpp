#include "pg/pglistener.h"

#include "base/logging.h"
#include "pg/pgconnection.h"
#include "pg/pgsql.h"

#include <libpq-fe.h>

namespace Aiodata::Server {

// Backoff between attempts while the database is away, as the pool does.
static constexpr int kFirstRetryMs = 100;
static constexpr int kMaxRetryMs = 10000;

PgListener::PgListener(const QByteArray &conninfo, const QString &channel, QObject *parent)
    : QObject(parent)
    , m_conninfo(conninfo)
    , m_channel(channel)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &PgListener::open);
}

PgListener::~PgListener() = default;

void PgListener::start()
{
    open();
}

void PgListener::open()
{
    if (m_connection)
        m_connection->deleteLater();
    m_connection = new PgConnection(this);
    m_listening = m_listenSent = false;
    connect(m_connection, &PgConnection::opened, this, &PgListener::onOpened);
    connect(m_connection, &PgConnection::readyRead, this, &PgListener::onReadyRead);
    connect(m_connection, &PgConnection::readyWrite, this, [this] {
        // Rest of the LISTEN that did not fit into the socket at once.
        if (PQflush(m_connection->handle()) != 1)
            m_connection->setWriteWanted(false);
    });
    connect(m_connection, &PgConnection::failed, this, &PgListener::onFailed);
    m_connection->open(m_conninfo, PgConnection::Mode::Plain, applicationName);
}

void PgListener::onOpened()
{
    // The channel is an identifier from the config: quoted, never pasted.
    const QByteArray sql = "LISTEN " + PgSql::quoteIdentifier(m_channel);
    PGconn *conn = m_connection->handle();
    if (!PQsendQuery(conn, sql.constData())) {
        m_connection->markBroken(QString::fromUtf8(PQerrorMessage(conn)).trimmed());
        return;
    }
    m_listenSent = true;
    const int flushed = PQflush(conn);
    if (flushed < 0)
        m_connection->markBroken(QString::fromUtf8(PQerrorMessage(conn)).trimmed());
    else if (flushed == 1)
        m_connection->setWriteWanted(true);
}

void PgListener::onReadyRead()
{
    PGconn *conn = m_connection->handle();
    if (!PQconsumeInput(conn)) {
        m_connection->markBroken(QString::fromUtf8(PQerrorMessage(conn)).trimmed());
        return;
    }
    // The answer to LISTEN (and any error, e.g. the backend terminated).
    while (!PQisBusy(conn)) {
        PGresult *res = PQgetResult(conn);
        if (!res)
            break;
        const ExecStatusType status = PQresultStatus(res);
        const QString message = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
        PQclear(res);
        if (status == PGRES_FATAL_ERROR) {
            m_connection->markBroken(message);
            return;
        }
        if (status == PGRES_COMMAND_OK && m_listenSent && !m_listening) {
            m_listening = true;
            m_backoffMs = 0;
            const bool again = m_everListened;
            m_everListened = true;
            qCInfo(lcServer).noquote() << "listening for schema reloads on channel" << m_channel;
            Q_EMIT listening(again);
        }
    }
    while (PGnotify *n = PQnotifies(conn)) {
        const QString payload = QString::fromUtf8(n->extra);
        PQfreemem(n);
        if (m_listening)
            Q_EMIT notified(payload);
    }
    if (PQstatus(conn) == CONNECTION_BAD)
        m_connection->markBroken(QString::fromUtf8(PQerrorMessage(conn)).trimmed());
}

void PgListener::onFailed(const QString &error)
{
    if (m_retry.isActive())
        return;
    // Before it ever listened, the pool's owner reports an unreachable
    // database (one line at start-up); afterwards, say it once per outage.
    if (m_listening)
        qCWarning(lcServer).noquote() << "schema reload listener lost its connection:" << error.simplified()
                                      << "- connecting again";
    else
        qCDebug(lcServer).noquote() << "schema reload listener cannot connect:" << error.simplified();
    m_listening = m_listenSent = false;
    m_backoffMs = m_backoffMs == 0 ? kFirstRetryMs : qMin(m_backoffMs * 2, kMaxRetryMs);
    m_retry.start(m_backoffMs);
    Q_EMIT failed(error);
}

} // namespace Aiodata::Server
