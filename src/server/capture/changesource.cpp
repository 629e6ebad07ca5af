#include "capture/changesource.h"

namespace Aiodata::Server {

qsizetype Transaction::byteSize() const
{
    qsizetype n = 64;
    for (const Change &c : changes)
        n += c.rows.size() + c.oldRows.size() + c.table.size() * 2 + 64;
    return n;
}

ChangeSource::~ChangeSource() = default;

} // namespace Aiodata::Server
