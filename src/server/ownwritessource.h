#pragma once

#include "changesource.h"

namespace Aiodata::Server {

// Events for the writes made through this server: each write statement
// returns its rows (and old rows, for updates), and after its COMMIT
// succeeded the route records them here. Writers that bypass the server
// are not seen; logical replication covers those.
class OwnWritesSource : public ChangeSource
{
    Q_OBJECT
public:
    using ChangeSource::ChangeSource;

    QString name() const override { return QStringLiteral("own writes"); }
    quint64 lastSeq() const override { return m_seq; }

    void record(Change change);

private:
    quint64 m_seq = 0;
};

} // namespace Aiodata::Server
