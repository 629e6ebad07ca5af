#pragma once

#include "capture/changesource.h"
#include "fanout/subscribercontext.h"

#include <QObject>

#include <functional>

namespace Aiodata::Server {

class PgPool;

// Live subsets (docs/protocol.md, "Subsets"): PostgreSQL decides which rows
// of a change match each of a subscriber's subsets, under its role and
// claims, on the rows the change carries, with the REST API's own WHERE.
// One pipelined round trip per transaction and subscriber; one statement
// per subset and changed table.
class SubsetFilter : public QObject
{
    Q_OBJECT
public:
    explicit SubsetFilter(PgPool *pool, QObject *parent = nullptr);

    // Whether a change of the transaction is of a table one of the subscriber's subsets is of.
    static bool concerns(const Transaction &transaction, const SubscriberContext &subscriber);

    // The transaction with, after each change, one change per subset of its
    // table (Change::subset set): create for rows that match, update (old
    // keys, new rows) for rows that match after it, delete (keys) for rows
    // that left or were deleted, truncate. The changes themselves stay (the
    // encoder leaves out the tables the stream does not carry whole).
    // error: PostgreSQL refused a filter (the table changed under it).
    void filter(const Transaction &transaction, const SubscriberContext &subscriber,
                std::function<void(const Transaction &out, const QString &error)> done);

private:
    PgPool *m_pool;
};

} // namespace Aiodata::Server
