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

QByteArray PgReplicationStream::createSlotCommand(const QByteArray &slotName, int serverVersion, bool temporary,
                                                  bool failover)
{
    const QByteArray head = "CREATE_REPLICATION_SLOT " + slotName + (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput";
    // A failover slot (PostgreSQL 17+) is synchronised to standbys that
    // set sync_replication_slots, so it is there, at a recent position,
    // when one of them is promoted.
    if (serverVersion >= 170000 && failover && !temporary)
        return head + " (SNAPSHOT 'nothing', FAILOVER true)";
    if (serverVersion >= 150000)
        return head + " (SNAPSHOT 'nothing')";
    return head + " NOEXPORT_SNAPSHOT";
}

quint64 PgReplicationStream::parseLsn(const QByteArray &text)
{
    const qsizetype slash = text.indexOf('/');
    if (slash <= 0 || slash > 8 || text.size() - slash - 1 < 1 || text.size() - slash - 1 > 8)
        return 0;
    bool highOk = false, lowOk = false;
    const quint64 high = text.left(slash).toULongLong(&highOk, 16);
    const quint64 low = text.mid(slash + 1).toULongLong(&lowOk, 16);
    return highOk && lowOk ? (high << 32) | low : 0;
}

void PgReplicationStream::start(const QByteArray &conninfo, const Slot &slot, const QString &publication)
{
    m_slot = slot;
    m_publication = publication;
    m_phase = Phase::Connecting;
    m_connection = new PgConnection(this);
    connect(m_connection, &PgConnection::opened, this, &PgReplicationStream::onOpened);
    connect(m_connection, &PgConnection::failed, this, [this](const QString &error) { fail(error); });
    connect(m_connection, &PgConnection::readyRead, this, &PgReplicationStream::onReadable);
    connect(m_connection, &PgConnection::readyWrite, this, &PgReplicationStream::flush);
    m_connection->open(conninfo, PgConnection::Mode::Replication);
}

bool PgReplicationStream::send(const QByteArray &command)
{
    qCDebug(lcPg) << command;
    if (!PQsendQuery(m_connection->handle(), command.constData())) {
        fail(QString::fromUtf8(PQerrorMessage(m_connection->handle())).trimmed());
        return false;
    }
    flush();
    return true;
}

void PgReplicationStream::onOpened()
{
    // The system identifier and timeline name the database's history: they
    // make positions comparable across restarts and instances.
    m_phase = Phase::Identifying;
    send(QByteArrayLiteral("IDENTIFY_SYSTEM"));
}

void PgReplicationStream::sendInspect()
{
    // Over the replication connection itself, so that the slot is looked up
    // where it lives (a standby, say).
    m_phase = Phase::Inspecting;
    send("SELECT (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())::text,"
         " s.confirmed_flush_lsn::text, s.wal_status, s.plugin, s.database = current_database(),"
         " pg_is_in_recovery()"
         " FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = '"
         + m_slot.name.toLatin1() + "'");
}

void PgReplicationStream::sendCreateSlot()
{
    m_phase = Phase::CreatingSlot;
    // Slots made on a standby cannot fail over (PostgreSQL refuses).
    send(createSlotCommand(m_slot.name.toLatin1(), PQserverVersion(m_connection->handle()), m_slot.temporary,
                           !m_inRecovery));
}

void PgReplicationStream::sendStart()
{
    m_phase = Phase::Starting;
    // publication_names is a list of quoted identifiers.
    QByteArray publication = m_publication.toUtf8();
    publication.replace('"', "\"\"").replace('\'', "''");
    send("START_REPLICATION SLOT " + m_slot.name.toLatin1() + " LOGICAL " + lsnToString(m_consistentPoint).toLatin1()
         + " (proto_version '1', publication_names '\"" + publication + "\"')");
}

void PgReplicationStream::inspected(PGresult *res)
{
    m_system.databaseOid = QByteArray(PQgetvalue(res, 0, 0));
    m_reused = m_dropFirst = false;
    const int version = PQserverVersion(m_connection->handle());
    m_inRecovery = QByteArray(PQgetvalue(res, 0, 5)) == "t";
    if (m_inRecovery && version < 160000) {
        // Logical decoding on a hot standby came with PostgreSQL 16.
        fail(QStringLiteral("the replication connection is a standby: streaming from a standby needs PostgreSQL 16 or "
                            "later, this is %1.%2; point --replication-uri at the primary")
                 .arg(version / 10000)
                 .arg(version % 100));
        return;
    }
    if (PQgetisnull(res, 0, 3))
        return; // no such slot: create it
    const QByteArray walStatus(PQgetvalue(res, 0, 2));
    if (m_slot.temporary) {
        fail(QStringLiteral("a replication slot named %1 exists already").arg(m_slot.name));
    } else if (QByteArray(PQgetvalue(res, 0, 3)) != "pgoutput" || QByteArray(PQgetvalue(res, 0, 4)) != "t") {
        fail(QStringLiteral("the replication slot %1 is not a pgoutput slot of this database: choose another "
                            "AIODATA_SLOT or drop it").arg(m_slot.name));
    } else if (walStatus == "lost" || PQgetisnull(res, 0, 1)) {
        // max_slot_wal_keep_size removed WAL it needed: what it would have
        // replayed is gone, so it starts afresh (clients re-snapshot once).
        qCWarning(lcServer).noquote() << "the replication slot" << m_slot.name
                                      << "was invalidated (WAL removed); recreating it";
        m_dropFirst = true;
    } else {
        m_reused = true;
        m_consistentPoint = m_confirmed = m_reported = parseLsn(QByteArray(PQgetvalue(res, 0, 1)));
    }
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
    while (m_phase == Phase::Identifying || m_phase == Phase::ReadingHistory || m_phase == Phase::Inspecting || m_phase == Phase::DroppingSlot || m_phase == Phase::CreatingSlot
           || m_phase == Phase::Starting) {
        if (PQisBusy(conn))
            return;
        PGresult *res = PQgetResult(conn);
        if (!res) {
            // One command done: the next one.
            if (m_phase == Phase::Identifying && m_system.timeline > 1) {
                // Which positions of earlier timelines are still ours.
                m_phase = Phase::ReadingHistory;
                send("TIMELINE_HISTORY " + QByteArray::number(m_system.timeline));
            } else if (m_phase == Phase::Identifying || m_phase == Phase::ReadingHistory) {
                sendInspect();
            } else if (m_phase == Phase::Inspecting && m_reused) {
                sendStart();
            } else if (m_phase == Phase::Inspecting && m_dropFirst) {
                m_phase = Phase::DroppingSlot;
                send("DROP_REPLICATION_SLOT " + m_slot.name.toLatin1());
            } else if (m_phase == Phase::Inspecting || m_phase == Phase::DroppingSlot) {
                sendCreateSlot();
            } else if (m_phase == Phase::CreatingSlot) {
                sendStart();
            }
            continue;
        }
        const ExecStatusType status = PQresultStatus(res);
        if (m_phase == Phase::Identifying && status == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            m_system.systemId = QByteArray(PQgetvalue(res, 0, 0));
            m_system.timeline = QByteArray(PQgetvalue(res, 0, 1)).toInt();
            m_system.history = TimelineHistory();
            PQclear(res);
        } else if (m_phase == Phase::ReadingHistory && status == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            const auto history = TimelineHistory::parse(QByteArray(PQgetvalue(res, 0, 1), PQgetlength(res, 0, 1)));
            PQclear(res);
            if (!history) {
                // Without it, positions of earlier timelines are simply not resumed.
                qCWarning(lcServer) << "cannot read the history of timeline" << m_system.timeline;
            } else {
                m_system.history = *history;
            }
        } else if (m_phase == Phase::Inspecting && status == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            inspected(res);
            PQclear(res);
            if (m_phase == Phase::Failed)
                return;
        } else if (m_phase == Phase::DroppingSlot && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) {
            qCInfo(lcServer).noquote() << "dropped the invalidated replication slot" << m_slot.name;
            PQclear(res);
        } else if (m_phase == Phase::CreatingSlot && status == PGRES_TUPLES_OK) {
            // consistent_point, e.g. "0/16B3748"
            m_consistentPoint = parseLsn(QByteArray(PQgetvalue(res, 0, 1)));
            m_confirmed = m_reported = m_consistentPoint;
            if (!m_slot.temporary)
                qCInfo(lcServer).noquote() << "created the replication slot" << m_slot.name;
            PQclear(res);
        } else if (m_phase == Phase::Starting && status == PGRES_COPY_BOTH) {
            PQclear(res);
            m_phase = Phase::Streaming;
            m_statusTimer.start();
            qCInfo(lcServer).noquote() << "logical replication slot" << m_slot.name << "streaming from"
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
            if (m_confirmed >= m_lastDataStart && walEnd > m_caughtUpTo) {
                m_caughtUpTo = walEnd;
                Q_EMIT caughtUp(walEnd);
                if (m_phase != Phase::Streaming)
                    return; // a slot reacting to caughtUp stopped the stream
            }
            // The walsender pings after every transaction it sent while our
            // position lags, and pings again only once we answer. Answering
            // each ping at once cost a send here and a wake-up there per
            // transaction; within 100 ms is as good for recycling WAL. A ping
            // that asks for a reply (wal_sender_timeout is near) gets it now.
            if (replyRequested) {
                // Asked for at shutdown (PostgreSQL waits for its walsenders
                // until what they sent is flushed) and when wal_sender_timeout
                // is near. Held back, the slot would stop PostgreSQL from
                // shutting down: report all that was processed. The window
                // stays in this process's memory (see docs/configuration.md).
                sendStatus(true, false, true);
            }
            else if (reportable() != m_reported && !m_replyTimer.isActive())
                m_replyTimer.start();
        }
    }
}

void PgReplicationStream::confirm(quint64 lsn)
{
    if (lsn > m_confirmed)
        m_confirmed = lsn;
}

void PgReplicationStream::hold(quint64 lsn)
{
    if (lsn > m_hold)
        m_hold = lsn;
}

quint64 PgReplicationStream::reportable() const
{
    // PostgreSQL never moves a slot back, so reporting less than before is
    // harmless; m_reported keeps it from looking like progress.
    return m_hold ? qMax(m_reported, qMin(m_confirmed, m_hold)) : m_confirmed;
}

void PgReplicationStream::sendStatus(bool force, bool requestReply, bool ignoreHold)
{
    const quint64 position = ignoreHold ? qMax(m_reported, m_confirmed) : reportable();
    if (m_phase != Phase::Streaming || (!force && position == m_reported))
        return;
    char buf[34];
    buf[0] = 'r';
    qToBigEndian<quint64>(position, buf + 1);   // written
    qToBigEndian<quint64>(position, buf + 9);   // flushed
    qToBigEndian<quint64>(position, buf + 17);  // applied
    qToBigEndian<qint64>(pgNowMicros(), buf + 25);
    // Asking for a reply brings a keepalive with the sender's position, so a
    // slot whose tables see no writes still advances (see readCopyData).
    buf[33] = requestReply ? 1 : 0;
    if (PQputCopyData(m_connection->handle(), buf, sizeof buf) != 1) {
        fail(QString::fromUtf8(PQerrorMessage(m_connection->handle())).trimmed());
        return;
    }
    m_reported = position;
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
