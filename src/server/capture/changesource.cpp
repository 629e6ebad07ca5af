#include "capture/changesource.h"

namespace Aiodata::Server {

QByteArray Change::actionName(Action action)
{
    switch (action) {
    case Action::Create: return QByteArrayLiteral("create");
    case Action::Update: return QByteArrayLiteral("update");
    case Action::Delete: return QByteArrayLiteral("delete");
    case Action::Truncate: return QByteArrayLiteral("truncate");
    }
    return QByteArray();
}

qsizetype Transaction::byteSize() const
{
    qsizetype n = 64;
    for (const Change &c : changes)
        n += c.rows.size() + c.oldRows.size() + c.table.size() * 2 + 64;
    return n;
}

ChangeSource::~ChangeSource() = default;

} // namespace Aiodata::Server
