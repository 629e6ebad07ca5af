#pragma once

#include "fanout/subset.h"
#include "fanout/subscribercontext.h"
#include "rest/apierror.h"

#include <optional>

namespace Aiodata::Server {

class SchemaCache;

// Turns a subscribe message's table and PostgREST query string into a
// Subset, with the REST API's own parser and WHERE (docs/protocol.md,
// "Subsets"), or into the error a GET of the same query would give. Pure:
// no I/O. Refuses what a live subset cannot keep exact yet: order, limit,
// offset, renamed columns, tables without a primary key.
class SubsetPlanner
{
public:
    // query: as in a URL, percent-encoded.
    static std::optional<Subset> plan(const SchemaCache &schema, const SubscriberContext &subscriber, const QString &id,
                                      const QString &table, const QByteArray &query, ApiError *error);
    static SubsetRefusal refusal(const ApiError &error);
};

} // namespace Aiodata::Server
