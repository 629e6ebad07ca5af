#pragma once

#include "changesource.h"
#include "fanout.h"

#include <QObject>

#include <functional>

namespace Aiodata::Server {

class PgPool;
class SchemaCache;

// Row-level security for events: before a change of a table with RLS goes
// to a subscriber, PostgreSQL is asked, under the subscriber's role and
// claims, which of its rows that subscriber may see (one pipelined round
// trip per transaction and kind of subscriber). Rows it may not see are
// left out; an update that hides a row becomes a delete of its key, and
// deletes carry keys only, so no row content reaches a client its role may
// not SELECT.
class RowFilter : public QObject
{
    Q_OBJECT
public:
    RowFilter(const SchemaCache *schema, PgPool *pool, QObject *parent = nullptr);

    // Whether the subscriber may see a change of the transaction that needs a check.
    bool needsCheck(const Transaction &transaction, const SubscriberContext &context) const;
    void filter(const Transaction &transaction, const SubscriberContext &context,
                std::function<void(const Transaction &filtered)> done, int attempt = 0);

private:
    bool needsCheck(const Change &change, const SubscriberContext &context) const;

    const SchemaCache *m_schema;
    PgPool *m_pool;
};

} // namespace Aiodata::Server
