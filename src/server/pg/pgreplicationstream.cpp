#include "pg/pgreplicationstream.h"

#include "base/logging.h"
#include "pg/pgconnection.h"

#include <QDateTime>
#include <QtEndian>

#include <libpq-fe.h>

namespace Aiodata::Server {

// PostgreSQL's epoch for replication timestamps: 2000-01-01 00:00 UTC, in
// microseconds. A constant: QDateTime's Qt::TimeSpec constructor is
// deprecated in newer Qt, and this date never changes.
static qint64 pgNowMicros()
{
    constexpr qint64 pgEpochMs = 946684800000; // 2000-01-01T00:00:00Z since 1970
    return (QDateTime::currentMSecsSinceEpoch() - pgEpochMs) * 1000;
}

PgReplicationStream::PgReplicationStream(QObject *parent)
    : QObject(parent)
{
    // Well inside wal_sender_timeout (60 s by default); tests shorten it.
    const int interval = qEnvironmentVariableIntValue("AIODATA_STATUS_INTERVAL_MS");
    m_statusTimer.setInterval(interval > 0 ? interval : 5000);
    connect(&m_statusTimer, &QTimer::timeout, this, [this] { sendStatus(true, true); });
    m_replyTimer.setSingleShot(true);
    m_replyTimer.setInterval(100);
    connect(&m_replyTimer, &QTimer::timeout, this, [this] { sendStatus(false, false); });
}

PgReplicationStream::~PgReplicationStream() = default;

QString PgReplicationStream::lsnToString(quint64 lsn)
{
    return QStringLiteral("%1/%2").arg(lsn >> 32, 0, 16).arg(lsn & 0xffffffffu, 0, 16).toUpper();
}

QByteArray PgReplicationStream::createSlotCommand(const QByteArray &slotName, int serverVersion)
{
    const QByteArray head = "CREATE_REPLICATION_SLOT " + slotName + " TEMPORARY LOGICAL pgoutput";
    if (serverVersion >= 150000)
        return head + " (SNAPSHOT 'nothing')";
    return head + " NOEXPORT_SNAPSHOT";
}

void PgReplicationStream::start(const QByteArray &conninfo, const QString &slotName, const QString &publication)
{
    m_slotName = slotName;
    m_publication = publication;
    m_phase = Phase::Connecting;
    m_connection = new PgConnection(this);
    connect(m_connection, &PgConnection::opened, this, &PgReplicationStream::onOpened);
    connect(m_connection, &PgConnection::failed, this, [this](const QString &error) { fail(error); });
    connect(m_connection, &PgConnection::readyRead, this, &PgReplicationStream::onReadable);
    connect(m_connection, &PgConnection::readyWrite, this, &PgReplicationStream::flush);
    m_connection->open(conninfo, PgConnection::Mode::Replication);
}

void PgReplicationStream::onOpened()
{
    m_phase = Phase::CreatingSlot;
    // The slot name is ours ([a-z0-9_]), never the client's.
    const QByteArray sql = createSlotCommand(m_slotName.toLatin1(), PQserverVersion(m_connection->handle()));
    qCDebug(lcPg) << sql;
    if (!PQsendQuery(m_connection->handle(), sql.constData())) {
        fail(QString::fromUtf8(PQerrorMessage(m_connection->handle())).trimmed());
        return;
    }
    flush();
}

void PgReplicationStream::flush()
{
    if (m_phase == Phase::Failed || !m_connection)
        return;
    const int r = PQflush(m_connection->handle());
    if (r < 0)
        fail(QString::fromUtf8(PQerrorMessage(m_connection->handle())).trimmed());
    else
        m_connection->setWriteWanted(r == 1);
}

void PgReplicationStream::onReadable()
{
    PGconn *conn = m_connection->handle();
    if (!PQconsumeInput(conn)) {
        fail(QString::fromUtf8(PQerrorMessage(conn)).trimmed());
        return;
    }
    if (m_phase == Phase::Streaming)
        readCopyData();
    else
        readResults();
}

void PgReplicationStream::readResults()
{
    PGconn *conn = m_connection->handle();
    while (m_phase == Phase::CreatingSlot || m_phase == Phase::Starting) {
        if (PQisBusy(conn))
            return;
        PGresult *res = PQgetResult(conn);
        if (!res) {
            if (m_phase == Phase::CreatingSlot) {
                m_phase = Phase::Starting;
                // publication_names is a list of quoted identifiers.
                QByteArray publication = m_publication.toUtf8();
                publication.replace('"', "\"\"").replace('\'', "''");
                const QByteArray sql = "START_REPLICATION SLOT " + m_slotName.toLatin1() + " LOGICAL "
                    + lsnToString(m_consistentPoint).toLatin1() + " (proto_version '1', publication_names '\""
                    + publication + "\"')";
                qCDebug(lcPg) << sql;
                if (!PQsendQuery(conn, sql.constData())) {
                    fail(QString::fromUtf8(PQerrorMessage(conn)).trimmed());
                    return;
                }
                flush();
            }
            continue;
        }
        const ExecStatusType status = PQresultStatus(res);
        if (m_phase == Phase::CreatingSlot && status == PGRES_TUPLES_OK) {
            // consistent_point, e.g. "0/16B3748"
            const QByteArray point(PQgetvalue(res, 0, 1));
            const qsizetype slash = point.indexOf('/');
            m_consistentPoint = (point.left(slash).toULongLong(nullptr, 16) << 32) | point.mid(slash + 1).toULongLong(nullptr, 16);
            m_confirmed = m_reported = m_consistentPoint;
            PQclear(res);
        } else if (m_phase == Phase::Starting && status == PGRES_COPY_BOTH) {
            PQclear(res);
            m_phase = Phase::Streaming;
            m_statusTimer.start();
            qCInfo(lcServer).noquote() << "logical replication slot" << m_slotName << "streaming from"
                                       << lsnToString(m_consistentPoint);
            Q_EMIT started(m_consistentPoint);
            readCopyData();
            return;
        } else {
            const QString error = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
            PQclear(res);
            fail(error.isEmpty() ? QStringLiteral("unexpected answer to a replication command") : error);
            return;
        }
    }
}

void PgReplicationStream::readCopyData()
{
    PGconn *conn = m_connection->handle();
    while (m_phase == Phase::Streaming) {
        char *buffer = nullptr;
        const int n = PQgetCopyData(conn, &buffer, 1);
        if (n == 0)
            return; // wait for more
        if (n < 0) {
            QString error = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
            if (n == -1) {
                PGresult *res = PQgetResult(conn);
                if (res) {
                    error = QString::fromUtf8(PQresultErrorMessage(res)).trimmed();
                    PQclear(res);
                }
            }
            fail(error.isEmpty() ? QStringLiteral("the replication stream ended") : error);
            return;
        }
        const QByteArray data(buffer, n);
        PQfreemem(buffer);
        const char kind = data.at(0);
        if (kind == 'w' && data.size() >= 25) {
            const quint64 walStart = qFromBigEndian<quint64>(data.constData() + 1);
            m_lastDataStart = qMax(m_lastDataStart, walStart);
            Q_EMIT message(walStart, data.mid(25));
        } else if (kind == 'k' && data.size() >= 18) {
            const quint64 walEnd = qFromBigEndian<quint64>(data.constData() + 1);
            const bool replyRequested = data.at(17) != 0;
            // Caught up with everything sent: the server's position is ours,
            // so the slot advances even when no published table changes.
            if (m_confirmed >= m_lastDataStart && walEnd > m_confirmed)
                m_confirmed = walEnd;
            // The walsender pings after every transaction it sent while our
            // position lags, and pings again only once we answer. Answering
            // each ping at once cost a send here and a wake-up there per
            // transaction; within 100 ms is as good for recycling WAL. A ping
            // that asks for a reply (wal_sender_timeout is near) gets it now.
            if (replyRequested)
                sendStatus(true, false);
            else if (m_confirmed != m_reported && !m_replyTimer.isActive())
                m_replyTimer.start();
        }
    }
}

void PgReplicationStream::confirm(quint64 lsn)
{
    if (lsn > m_confirmed)
        m_confirmed = lsn;
}

void PgReplicationStream::sendStatus(bool force, bool requestReply)
{
    if (m_phase != Phase::Streaming || (!force && m_confirmed == m_reported))
        return;
    char buf[34];
    buf[0] = 'r';
    qToBigEndian<quint64>(m_confirmed, buf + 1);   // written
    qToBigEndian<quint64>(m_confirmed, buf + 9);   // flushed
    qToBigEndian<quint64>(m_confirmed, buf + 17);  // applied
    qToBigEndian<qint64>(pgNowMicros(), buf + 25);
    // Asking for a reply brings a keepalive with the sender's position, so a
    // slot whose tables see no writes still advances (see readCopyData).
    buf[33] = requestReply ? 1 : 0;
    if (PQputCopyData(m_connection->handle(), buf, sizeof buf) != 1) {
        fail(QString::fromUtf8(PQerrorMessage(m_connection->handle())).trimmed());
        return;
    }
    m_reported = m_confirmed;
    flush();
}

void PgReplicationStream::fail(const QString &error)
{
    if (m_phase == Phase::Failed)
        return;
    m_phase = Phase::Failed;
    m_statusTimer.stop();
    m_replyTimer.stop();
    qCWarning(lcServer).noquote() << "logical replication failed:" << error;
    Q_EMIT failed(error);
}

} // namespace Aiodata::Server
