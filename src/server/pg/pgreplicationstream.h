#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

namespace Aiodata::Server {

class PgConnection;

// A logical replication stream over libpq's replication protocol, driven by
// the event loop: creates a temporary slot (dropped by PostgreSQL when the
// connection ends, so a crashed server leaks no slot and pins no WAL),
// streams pgoutput for a publication, and reports progress back so the
// slot's WAL can be recycled, also while no published table changes.
class PgReplicationStream : public QObject
{
    Q_OBJECT
public:
    explicit PgReplicationStream(QObject *parent = nullptr);
    ~PgReplicationStream() override;

    void start(const QByteArray &conninfo, const QString &slotName, const QString &publication);
    QString slotName() const { return m_slotName; }
    // Everything up to lsn is processed: PostgreSQL may recycle it.
    void confirm(quint64 lsn);
    quint64 confirmedLsn() const { return m_confirmed; }

    static QString lsnToString(quint64 lsn);
    // The command that creates our temporary slot without exporting a
    // snapshot, in the syntax the server of that version (PQserverVersion)
    // takes: the option list is PostgreSQL 15+, 14 knows only the keyword.
    static QByteArray createSlotCommand(const QByteArray &slotName, int serverVersion);

Q_SIGNALS:
    void started(quint64 consistentPoint);
    void message(quint64 walStart, const QByteArray &payload); // one pgoutput message
    void failed(const QString &error);

private:
    enum class Phase { Idle, Connecting, CreatingSlot, Starting, Streaming, Failed };
    void onOpened();
    void onReadable();
    void readResults();
    void readCopyData();
    void sendStatus(bool force, bool requestReply);
    void flush();
    void fail(const QString &error);

    PgConnection *m_connection = nullptr;
    Phase m_phase = Phase::Idle;
    QString m_slotName;
    QString m_publication;
    quint64 m_consistentPoint = 0;
    quint64 m_lastDataStart = 0;   // start of the newest XLogData received
    quint64 m_confirmed = 0;       // processed up to here
    quint64 m_reported = 0;        // last flush position sent to PostgreSQL
    QTimer m_statusTimer;
    QTimer m_replyTimer;           // a keepalive's answer, sent a little later (see readCopyData)
};

} // namespace Aiodata::Server
