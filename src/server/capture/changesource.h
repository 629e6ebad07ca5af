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

};

// One committed transaction: its changes in order, applied by clients in one go.
struct Transaction
{
    quint64 seq = 0;          // position in the stream (commit LSN, or a counter); only grows
    quint32 xid = 0;          // PostgreSQL transaction id (low 32 bits), for snapshot hand-off
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
    virtual quint64 lastSeq() const = 0;   // position of the newest transaction so far
    // Positions are comparable only within one epoch (one slot, one process).
    virtual QString epoch() const = 0;

Q_SIGNALS:
    void committed(const Aiodata::Server::Transaction &transaction);
    // The stream broke and restarted under a new epoch: what happened in
    // between is unknown, so subscribers must re-snapshot.
    void reset();
};

} // namespace Aiodata::Server
