#include "ownwritessource.h"

namespace Aiodata::Server {

void OwnWritesSource::record(Change change)
{
    change.seq = ++m_seq;
    Q_EMIT changed(change);
}

} // namespace Aiodata::Server
