#pragma once

#include <Aiodata/reply.h>
#include <Aiodata/tablemodel.h>

#include <QtQml/qqml.h>

// The library's own types as QML meets them. The library does not link
// QtQml, so they are registered from here as foreign types (the pattern of
// KItemModels' src/qml/types.h). Neither is made in QML: both come from a
// Client, so both are uncreatable; registering them gives QML their enums
// (Reply.Unauthorized) and type names.

namespace Aiodata {

struct TableModelForeign
{
    Q_GADGET
    QML_FOREIGN(Aiodata::TableModel)
    QML_NAMED_ELEMENT(TableModel)
    QML_UNCREATABLE("A TableModel comes from a Client: client.tables.<name> or client.table(name).")
};

struct ReplyForeign
{
    Q_GADGET
    QML_FOREIGN(Aiodata::Reply)
    QML_NAMED_ELEMENT(Reply)
    QML_UNCREATABLE("A Reply comes from a TableModel write: create(), update() or remove().")
};

} // namespace Aiodata
