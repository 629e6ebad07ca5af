#pragma once

#include "capture/changesource.h"
#include "capture/pgoutputdecoder.h"
#include "pg/pgreplicationstream.h"

#include <QQueue>
#include <QSet>
#include <QStringList>

#include <functional>
#include <memory>

namespace Aiodata::Server {

class PgPool;

// Every committed change of the exposed schemas, from any writer, in commit
// order: PostgreSQL's logical replication (pgoutput) decoded on the event
// loop. Values arrive in PostgreSQL's text form; one pipelined round trip
// per transaction turns them into exactly the JSON row_to_json gives the
// REST snapshots, so a row looks the same whichever way it reached a client.
class WalSource : public ChangeSource
{
    Q_OBJECT
public:
    // slotName: a permanent slot of that name (created when missing, kept
    // across restarts); empty: a temporary slot per stream.
    WalSource(const QByteArray &conninfo, const QString &publication, const QStringList &schemas, PgPool *pool,
              const QString &slotName = QString(), QObject *parent = nullptr);
    ~WalSource() override;

    void start();
    QString name() const override;
    quint64 lastSeq() const override { return m_lastSeq; }
    quint64 startSeq() const override { return m_startSeq; }
    QString epoch() const override { return m_epoch; }
    void release(quint64 seq) override;
    bool continues(const QString &epoch, quint64 position) const override;
    QString slotName() const { return m_slotName; }
    bool permanentSlot() const { return m_permanent; }
    // pg_<system identifier>_<timeline>_<database oid>
    static QString epochOf(const PgReplicationStream::System &system);

Q_SIGNALS:
    void started();                   // the first stream runs
    void failed(const QString &error); // the first stream could not start

private:
    struct Pending
    {
        WalTransaction transaction;
        QList<Change> changes;
        bool ready = false;
    };
    void startStream();
    void onStreamStarted(quint64 point);
    void onStreamFailed(const QString &error);
    void onMessage(const QByteArray &payload);
    void convert(const std::shared_ptr<Pending> &pending);
    void emitReady();
    // Finds the json_to_recordset type of column types that are not built
    // in (domains, enums, arrays of them) into m_types, then calls then.
    void resolveTypes(const QSet<quint32> &oids, std::function<void()> then);

    QByteArray m_conninfo;
    QString m_publication;
    QSet<QString> m_schemas;
    PgPool *m_pool;
    PgReplicationStream *m_stream;
    PgOutputDecoder m_decoder;
    QString m_slotName;
    bool m_permanent = false;
    QString m_epoch;
    PgReplicationStream::System m_system; // of the stream m_epoch names
    quint64 m_startSeq = 0;
    quint64 m_released = 0;
    QQueue<std::shared_ptr<Pending>> m_pending;
    quint64 m_lastSeq = 0;
    bool m_running = false;       // started at least once
    int m_retryMs = 0;
    quint64 m_generation = 0;     // conversions of an older stream are dropped
    QHash<quint32, QByteArray> m_types; // resolved types that are not built in
    bool m_sessionMatched = false;      // the stream's session formats like the pool's (WalValueFormatter)
};

} // namespace Aiodata::Server
