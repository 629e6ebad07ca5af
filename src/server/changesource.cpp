#include "changesource.h"

namespace Aiodata::Server {

QByteArray Change::actionName(Action action)
{
    switch (action) {
    case Action::Create: return QByteArrayLiteral("create");
    case Action::Update: return QByteArrayLiteral("update");
    case Action::Delete: return QByteArrayLiteral("delete");
    }
    return QByteArray();
}

ChangeSource::~ChangeSource() = default;

} // namespace Aiodata::Server
