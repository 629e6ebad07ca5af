#pragma once

#include "protocol/messages.h"

#include <optional>

// Internal to the client library: not installed, not exported. One message
// of the /state WebSocket (docs/protocol.md) decoded into plain structs, and
// one change applied to a TableModel. Client uses it for every event and
// transaction; tests/fuzz/fuzz_event.cpp feeds it arbitrary bytes.

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <cmath>
#include <limits>

namespace Aiodata {
class TableModel;
}

namespace Aiodata::Internal {

// JSON numbers are doubles. One outside the integer type's range (or not a
// number; never sent by the server) decodes as 0: a plain cast would be
// undefined behaviour (found by tests/fuzz/fuzz_event).
template<typename T>
inline T jsonToUnsigned(const QJsonValue &value)
{
    const double d = value.toDouble();
    if (!(d >= 0 && d < std::ldexp(1.0, std::numeric_limits<T>::digits))) // 2^digits is exact
        return 0;
    return T(d);
}

// One change of a transaction: one table, one action, its rows.
struct ServerChange
{
    QString table;
    QString subset; // a subset's id: the change is that subset model's alone; empty: the whole table's;
                    // "*": every subset model of the table but those in except
    QStringList except;
    std::optional<Protocol::Action> action; // std::nullopt: an action this client does not know
    QString actionName;                      // as sent, for the diagnostic
    QJsonArray rows;  // new rows (create, update) or removed rows (delete)
    QJsonArray old;   // update: old[i] pairs with rows[i]
};

// An `event` (one change) or `transaction` (its changes in commit order)
// message. Missing or mistyped fields decode as empty/zero, never fail.
struct ServerMessage
{
    QString type;     // "event", "transaction", ...
    quint64 seq = 0;  // the transaction's position in the stream
    quint32 xid = 0;  // its transaction id, 0 if absent
    QList<ServerChange> changes;
};

ServerChange decodeServerChange(const QJsonObject &event);
ServerMessage decodeServerMessage(const QJsonObject &message);
ServerMessage decodeServerMessage(const QByteArray &utf8);

// Applies one change to the model of its table; false for an unknown action
// (the model is left alone).
bool applyServerChange(TableModel *model, const ServerChange &change);

} // namespace Aiodata::Internal
