#include "eventdecoder.h"

#include "tablemodel_p.h"

#include <QJsonDocument>
#include <QLatin1String>

namespace Aiodata::Internal {

using namespace Aiodata::Protocol;

ServerChange decodeServerChange(const QJsonObject &event)
{
    ServerChange change;
    change.table = event.value(Field::Table).toString();
    change.subset = event.value(Field::Subset).toString();
    for (const QJsonValue &id : event.value(Field::Except).toArray())
        change.except.append(id.toString());
    change.actionName = event.value(Field::Action).toString();
    change.action = actionFromName(change.actionName);
    change.rows = event.value(Field::Rows).toArray();
    change.old = event.value(Field::Old).toArray();
    return change;
}

ServerMessage decodeServerMessage(const QJsonObject &message)
{
    ServerMessage m;
    m.type = message.value(Field::Type).toString();
    m.seq = jsonToUnsigned<quint64>(message.value(Field::Seq));
    m.xid = jsonToUnsigned<quint32>(message.value(Field::Xid));
    if (m.type == MessageType::Transaction) {
        const QJsonArray events = message.value(Field::Events).toArray();
        for (const QJsonValue &change : events)
            m.changes.append(decodeServerChange(change.toObject()));
    } else if (m.type != MessageType::Position) { // a position carries no change
        m.changes.append(decodeServerChange(message));
    }
    return m;
}

ServerMessage decodeServerMessage(const QByteArray &utf8)
{
    return decodeServerMessage(QJsonDocument::fromJson(utf8).object());
}

bool applyServerChange(TableModel *model, const ServerChange &change)
{
    TableModelPrivate *d = TableModelPrivate::get(model);
    if (!change.action)
        return false;
    switch (*change.action) {
    case Action::Create:
        d->applyCreated(change.rows);
        break;
    case Action::Update:
        d->applyUpdated(change.old, change.rows);
        break;
    case Action::Delete:
        d->applyDeleted(change.rows);
        break;
    case Action::Truncate:
        d->applyTruncated();
        break;
    }
    return true;
}

} // namespace Aiodata::Internal
