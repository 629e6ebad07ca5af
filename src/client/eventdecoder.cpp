#include "eventdecoder.h"

#include "tablemodel_p.h"

#include <QJsonDocument>
#include <QLatin1String>

namespace Aiodata::Internal {

ServerChange decodeServerChange(const QJsonObject &event)
{
    ServerChange change;
    change.table = event.value(QLatin1String("table")).toString();
    change.action = event.value(QLatin1String("action")).toString();
    change.rows = event.value(QLatin1String("rows")).toArray();
    change.old = event.value(QLatin1String("old")).toArray();
    return change;
}

ServerMessage decodeServerMessage(const QJsonObject &message)
{
    ServerMessage m;
    m.type = message.value(QLatin1String("type")).toString();
    m.seq = jsonToUnsigned<quint64>(message.value(QLatin1String("seq")));
    m.xid = jsonToUnsigned<quint32>(message.value(QLatin1String("xid")));
    if (m.type == QLatin1String("transaction")) {
        const QJsonArray events = message.value(QLatin1String("events")).toArray();
        for (const QJsonValue &change : events)
            m.changes.append(decodeServerChange(change.toObject()));
    } else {
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
    if (change.action == QLatin1String("create"))
        d->applyCreated(change.rows);
    else if (change.action == QLatin1String("update"))
        d->applyUpdated(change.old, change.rows);
    else if (change.action == QLatin1String("delete"))
        d->applyDeleted(change.rows);
    else if (change.action == QLatin1String("truncate"))
        d->replaceRows(QJsonArray());
    else
        return false;
    return true;
}

} // namespace Aiodata::Internal
