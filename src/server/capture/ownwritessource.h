#pragma once

#include "capture/changesource.h"

namespace Aiodata::Server {

// Events for the writes made through this server: each write statement
// returns its rows (and old rows, for updates), and after its COMMIT
// succeeded the route records them here. Writers that bypass the server
// are not seen; WalSource covers those where logical replication is allowed.
class OwnWritesSource : public ChangeSource
{
    Q_OBJECT
public:
    explicit OwnWritesSource(QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("own writes"); }
    quint64 lastSeq() const override { return m_seq; }
    QString epoch() const override { return m_epoch; }

    void record(const Change &change, quint32 xid);

private:
    quint64 m_seq = 0;
    QString m_epoch;
};

} // namespace Aiodata::Server
