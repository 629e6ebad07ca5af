#pragma once

#include "capture/changesource.h"
#include "fanout/subscribercontext.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace Aiodata::Server {

class PgPool;

// Live subsets (docs/protocol.md, "Subsets"): PostgreSQL decides which rows
// of a change match each subset, under the subscriber's role and claims, on
// the rows the change carries, with the REST API's own WHERE. Requests made
// in one event-loop pass with the same role and claims share one round
// trip, and each distinct set of rows is judged by one statement that
// evaluates every distinct filter on it (one boolean per filter and row),
// however many subscribers and subsets ask: 1,000 filters on a table cost
// one statement per change, not 1,000.
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
    using Done = std::function<void(const Transaction &out, const QString &error)>;
    void filter(const Transaction &transaction, const SubscriberContext &subscriber, Done done);

private:
    struct Request
    {
        Transaction transaction;
        SubscriberContext subscriber;
        Done done;
    };
    void flush();

    PgPool *m_pool;
    QHash<QString, QList<Request>> m_batches; // by role, schema and claims
    bool m_flushQueued = false;
};

} // namespace Aiodata::Server
