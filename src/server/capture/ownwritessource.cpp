#include "capture/ownwritessource.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace Aiodata::Server {

OwnWritesSource::OwnWritesSource(QObject *parent)
    : ChangeSource(parent)
    // The counter restarts with the process: a new epoch tells clients so.
    , m_epoch(QStringLiteral("own_%1").arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0')))
{
}

void OwnWritesSource::record(const Change &change, quint32 xid)
{
    Transaction t;
    t.seq = ++m_seq;
    t.xid = xid;
    t.committedAtMs = QDateTime::currentMSecsSinceEpoch();
    t.changes = {change};
    Q_EMIT committed(t);
}

} // namespace Aiodata::Server
