#pragma once

#include "protocol/messages.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

namespace Aiodata::Server {

// One column value of a pgoutput tuple.
struct WalValue
{
    enum Kind : char { Null = 'n', UnchangedToast = 'u', Text = 't' };
    Kind kind = Null;
    QByteArray text;          // PostgreSQL's text output, for Kind::Text
};
using WalTuple = QList<WalValue>;

struct WalColumn
{
    QString name;
    quint32 typeOid = 0;
    qint32 typeModifier = -1;
    bool isKey = false;       // part of the replica identity
};

struct WalRelation
{
    quint32 oid = 0;
    QString schema;
    QString name;
    char replicaIdentity = 'd';  // d(efault: primary key), n(othing), f(ull), i(ndex)
    QList<WalColumn> columns;
};

struct WalChange
{
    using Action = Protocol::Action; // pgoutput's Insert is a Create
    Action action = Action::Create;
    quint32 relation = 0;
    WalTuple oldTuple;        // update/delete: key ('K') or whole row ('O'); may be empty
    bool oldIsFull = false;   // 'O': the old tuple has every column
    WalTuple newTuple;        // insert/update
};

// A committed transaction as pgoutput streams it.
struct WalTransaction
{
    quint64 commitLsn = 0;    // from Begin: the LSN of the commit record
    quint64 endLsn = 0;       // from Commit: where the next transaction starts
    qint64 commitTime = 0;    // microseconds since 2000-01-01
    quint32 xid = 0;
    QList<WalChange> changes;
};

// Decodes pgoutput (protocol version 1) messages, keeping the relation
// descriptions the stream sends before first use of each table. Pure: bytes
// in, transactions out, so it is tested without a database.
class PgOutputDecoder
{
public:
    enum class Result { Incomplete, Committed, Error };

    // Feeds one XLogData payload. Committed: transaction() holds a finished
    // transaction. Error: errorString() says what was malformed.
    Result decode(const QByteArray &message);
    const WalTransaction &transaction() const { return m_committed; }
    const WalRelation *relation(quint32 oid) const;
    QString errorString() const { return m_error; }

private:
    WalTransaction m_current;
    WalTransaction m_committed;
    bool m_inTransaction = false;
    QHash<quint32, WalRelation> m_relations;
    QString m_error;
};

} // namespace Aiodata::Server
