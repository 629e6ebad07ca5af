#pragma once

#include "rest/apierror.h"
#include "rest/apirequest.h"
#include "rest/embedplan.h"
#include "rest/rpcplan.h"
#include "pg/pgconnection.h"
#include "schema/schemacache.h"

#include <optional>

namespace Aiodata::Server {

// Turns a parsed ApiRequest into one parameterised statement. Every
// identifier is checked against the TableInfo and quoted; every value is a
// $n parameter. PostgreSQL produces the JSON, so the server forwards bytes.
//
// The statement's single result row:
//   column 0: JSON array of rows (read: selected rows; writes: new rows,
//             for delete the removed rows)
//   column 1: number of rows in column 0
//   column 2: update: JSON array of the old rows (same order as column 0);
//             read: total matching rows with count=exact, the same but at
//             most EstimatedExactUpTo + 1 with count=estimated, else NULL
//   column 3: read: pg_current_snapshot() of the statement, for the
//             snapshot/stream hand-off (see docs/protocol.md); writes: the
//             written rows cut down to select= (NULL without select=)
//
// A write built with Rows::Kept has the same columns, and sets its one row,
// as a JSON array of the four columns' text, as the transaction's setting
// aiodata.idempotent_result (keptResultSetting): the statement after it
// stores that as an Idempotency-Key's answer in the same transaction
// (IdempotencyStore), so a resend after a restart gets this result.
//
// A write built with Rows::NotNeeded (return=minimal, and no own-writes
// events to make) is the bare INSERT/UPDATE/DELETE: no result row, the row
// count is PgResult::affected. PostgreSQL runs it about a third faster than
// the CTE that collects the rows as JSON.
//
// An INSERT's SQL depends only on the table and the request's shape (its
// columns, select=, resolution, missing=, rows wanted; the body is $1), so
// build() keeps the INSERTs it made and replays them for the same shape.
// They were checked against the table's columns: clearCache() when the
// schema reloads.
class SqlBuilder
{
public:
    enum class Rows { Needed, NotNeeded, Kept };
    static constexpr const char *keptResultSetting = "aiodata.idempotent_result";
    // A PATCH or DELETE whose request maxAffectedApplies() is built with
    // rows (never bare) and sets its row count as this setting of the
    // transaction; maxAffectedGuard() compares it with the limit.
    static constexpr const char *affectedSetting = "aiodata.affected";
    static constexpr const char *maxAffectedSqlState = "PT124";
    // embeds: the read's embedded resources (EmbedPlan::plan), needed when
    // select= has any.
    std::optional<PgStatement> build(const ApiRequest &request, const TableInfo &table, ApiError *error,
                                     Rows rows = Rows::Needed, const EmbedPlan *embeds = nullptr);
    void clearCache() { m_insertStatements.clear(); }

    // A read's count=planned or count=estimated: the planner's estimate of
    // the matching rows (all of them, before limit and offset), as the JSON
    // of EXPLAIN (FORMAT JSON); plannedRows() reads it.
    static std::optional<PgStatement> buildPlannedCount(const ApiRequest &request, const TableInfo &table, ApiError *error,
                                                        const EmbedPlan *embeds = nullptr);
    static qint64 plannedRows(const QByteArray &explainJson);
    // The statements to run after such a write, in its transaction: they
    // fail with maxAffectedSqlState when it wrote more than maxAffected
    // rows, so that it rolls back (PostgREST's PGRST124).
    static QList<PgStatement> maxAffectedGuard(qint64 maxAffected);
    // The rows a statement from build() read or wrote: column 1, or the
    // command tag's count for a bare write.
    static qint64 rowCount(const PgResult &result) { return result.columns ? result.value(0, 1).toLongLong() : result.affected; }

    // A call to /query/rpc/<function>, planned by RpcPlan: one row of
    //   column 0: the answer's body: for a set, a JSON array (of values for
    //             a scalar set, of objects for rows); one composite: its
    //             object; one scalar: its JSON value; void: NULL
    //   column 1: the rows in column 0 (1 for a single result)
    //   column 2: count=exact: the rows the call and filters give; else NULL
    // The function is called once (a MATERIALIZED CTE); select=, filters,
    // order, limit and offset apply to its rows as to a table's.
    // embeds: for a function returning rows of a table (EmbedPlan::resultTable).
    static std::optional<PgStatement> buildCall(const ApiRequest &request, const RpcCall &call, ApiError *error,
                                                const EmbedPlan *embeds = nullptr);

    // A subscription's filter (the request's filters, and no key path), as
    // a condition on the rows of the table aliased _t, as the REST read's
    // WHERE: the sql is the condition ("true" for none); params[0] is left
    // empty for $1 (the caller's), the filter's values are $2 onwards.
    static std::optional<PgStatement> buildRowCondition(const ApiRequest &request, const TableInfo &table,
                                                        ApiError *error);

    // "schema"."table" (quoting itself is PgSql's).
    static QByteArray qualifiedName(const TableInfo &table);

private:
    // INSERT statements by table (schema NUL name), then by request shape.
    QHash<QString, QHash<QString, QByteArray>> m_insertStatements;
};

} // namespace Aiodata::Server
