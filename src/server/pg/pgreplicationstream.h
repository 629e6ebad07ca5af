#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

#include "pg/timelinehistory.h"

typedef struct pg_result PGresult;

namespace Aiodata::Server {

class PgConnection;

// A logical replication stream over libpq's replication protocol, driven by
// the event loop: identifies the database's history (IDENTIFY_SYSTEM),
// creates its slot or reuses a permanent one, streams pgoutput for a
// publication, and reports progress back so the slot's WAL can be recycled,
// also while no published table changes.
//
// A temporary slot is dropped by PostgreSQL when the connection ends, so a
// crashed server leaks no slot and pins no WAL. A permanent slot outlives
// the process: its confirmed position is held back (hold()) so that a
// restarted server re-reads the transactions its clients may resume from.
class PgReplicationStream : public QObject
{
    Q_OBJECT
public:
    struct Slot
    {
        QString name;              // ours ([a-z0-9_]), never a client's
        bool temporary = true;
    };
    struct System
    {
        QByteArray systemId;       // pg_control's system identifier
        int timeline = 0;
        QByteArray databaseOid;
        TimelineHistory history;   // the timelines before this one (TIMELINE_HISTORY)
    };

    explicit PgReplicationStream(QObject *parent = nullptr);
    ~PgReplicationStream() override;

    void start(const QByteArray &conninfo, const Slot &slot, const QString &publication);
    QString slotName() const { return m_slot.name; }
    System system() const { return m_system; }
    // A permanent slot that existed and was reused (not created now).
    bool reusedSlot() const { return m_reused; }
    // Everything up to lsn is processed: PostgreSQL may recycle it, unless held.
    void confirm(quint64 lsn);
    quint64 confirmedLsn() const { return m_confirmed; }
    // PostgreSQL keeps what comes at and after lsn, whatever is confirmed
    // (0: hold nothing). Only moves forward.
    void hold(quint64 lsn);
    // Everything before this position has been received and handed on
    // (caught up with the sender's keepalive; 0 before the first).
    quint64 caughtUpTo() const { return m_caughtUpTo; }

    static QString lsnToString(quint64 lsn);
    // The command that creates our temporary slot without exporting a
    // snapshot, in the syntax the server of that version (PQserverVersion)
    // takes: the option list is PostgreSQL 15+, 14 knows only the keyword.
    static QByteArray createSlotCommand(const QByteArray &slotName, int serverVersion, bool temporary = true,
                                        bool failover = false);
    static quint64 parseLsn(const QByteArray &text); // "16/B374D848"; 0 on anything else

Q_SIGNALS:
    // Streaming from consistentPoint: every transaction whose commit
    // record is at or after it will come.
    void started(quint64 consistentPoint);
    // The sender's keepalive showed that everything before lsn has come.
    void caughtUp(quint64 lsn);
    void message(quint64 walStart, const QByteArray &payload); // one pgoutput message
    void failed(const QString &error);

private:
    enum class Phase { Idle, Connecting, Identifying, ReadingHistory, Inspecting, DroppingSlot, CreatingSlot, Starting, Streaming, Failed };
    bool send(const QByteArray &command);
    void sendCreateSlot();
    void inspected(PGresult *res);
    void sendInspect();
    void sendStart();
    quint64 reportable() const;
    void onOpened();
    void onReadable();
    void readResults();
    void readCopyData();
    void sendStatus(bool force, bool requestReply, bool ignoreHold = false);
    void flush();
    void fail(const QString &error);

    PgConnection *m_connection = nullptr;
    Phase m_phase = Phase::Idle;
    Slot m_slot;
    System m_system;
    bool m_reused = false;
    bool m_dropFirst = false;
    bool m_inRecovery = false;     // the replication connection is a standby
    QString m_publication;
    quint64 m_consistentPoint = 0;
    quint64 m_lastDataStart = 0;   // start of the newest XLogData received
    quint64 m_confirmed = 0;       // processed up to here
    quint64 m_reported = 0;        // last flush position sent to PostgreSQL
    quint64 m_hold = 0;            // never report past this (0: no hold)
    quint64 m_caughtUpTo = 0;
    QTimer m_statusTimer;
    QTimer m_replyTimer;           // a keepalive's answer, sent a little later (see readCopyData)
};

} // namespace Aiodata::Server
