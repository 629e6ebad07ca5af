#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include "protocol/messages.h"

namespace Aiodata::Server {

// One change to one table: the rows as PostgreSQL's JSON.
struct Change
{
    using Action = Protocol::Action;

    Action action = Action::Create;
    QString schema;
    QString table;
    QByteArray rows;          // JSON array: created rows, new rows, or deleted rows ("[]" for truncate)
    QByteArray oldRows;       // JSON array, updates only: old rows pairing with rows
    // The old rows of an update, or the deleted rows, carry every column
    // (REPLICA IDENTITY FULL, or own writes), not just the key: row security
    // can then be judged on them.
    bool completeOldRows = false;
    // A change of one subscriber's subset (fanout/SubsetFilter makes them):
    // its id; empty for a change of the whole table.
    QString subset;
};

// One committed transaction: its changes in order, applied by clients in one go.
struct Transaction
{
    quint64 seq = 0;          // position in the stream (commit LSN, or a counter); only grows
    quint32 xid = 0;          // PostgreSQL transaction id (low 32 bits), for snapshot hand-off
    qint64 committedAtMs = 0; // commit time, ms since 1970 (the retention window counts from it)
    // Empty for a position marker: nothing the source streams committed
    // between the previous transaction and seq (see ChangeSource::advanced).
    QList<Change> changes;

    qsizetype byteSize() const;
};

// Where events come from: the server's own writes (OwnWritesSource) or
// PostgreSQL's logical replication (WalSource).
class ChangeSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~ChangeSource() override;

    virtual QString name() const = 0;
    // Everything committed up to here has been emitted.
    virtual quint64 lastSeq() const = 0;
    // Every transaction after this position has been or will be emitted
    // (since the last reset); of what came before, the source knows nothing.
    virtual quint64 startSeq() const { return 0; }
    // Positions are comparable only within one epoch. With logical
    // replication the epoch names the database's history, so positions mean
    // the same on every instance and after restarts.
    virtual QString epoch() const = 0;
    // Whether a position reached in `epoch` is part of this source's
    // history, so that a client there may resume here (the same epoch, or
    // an earlier timeline of the same database before it branched off).
    virtual bool continues(const QString &epoch, quint64 position) const { Q_UNUSED(position); return epoch == this->epoch(); }
    // Nobody needs transactions at or before seq any more: a durable source
    // may let them go (a permanent slot's WAL).
    virtual void release(quint64 seq) { Q_UNUSED(seq); }

Q_SIGNALS:
    void committed(const Aiodata::Server::Transaction &transaction);
    // lastSeq() moved to seq without a transaction (the stream caught up
    // with the database while other tables were written).
    void advanced(quint64 seq);
    // The stream broke and restarted under a new epoch: what happened in
    // between is unknown, so subscribers must re-snapshot.
    void reset();
};

} // namespace Aiodata::Server
