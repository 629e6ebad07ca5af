#pragma once

#include "http/httpserver.h"
#include "pg/pgconnection.h"
#include "rest/apirequest.h"
#include "rest/rpcplan.h"

#include <QByteArray>
#include <QList>

namespace Aiodata::Server {

// The answer to a /query job that committed, made as PostgREST's Response
// module makes it: the status, Content-Range, Preference-Applied,
// Aiodata-Snapshot, and the body (one object unwrapped for
// application/vnd.pgrst.object+json). Pure: results in, response out; what
// a write does besides answering (own-writes events) is not its business.
class ApiResponse
{
public:
    ApiResponse() = delete;

    // results: the job's, laid out as Routes::query sends it: [0] the role
    // statement, [1] SqlBuilder's statement (its columns as sqlbuilder.h
    // documents them), [2] a read's planned count when one was asked for.
    static HttpResponse fromResults(const ApiRequest &request, const QList<PgResult> &results);

    // The answer to a call that committed; result: SqlBuilder::buildCall()'s.
    // void: 204 without a body (PostgREST 12); a set: a read's
    // Content-Range, 206 when count=exact says more rows exist.
    static HttpResponse fromCall(const ApiRequest &request, const RpcCall &call, const PgResult &result);

    // A read's total for Content-Range; -1 when not asked for (or not known).
    // answered: the rows in the answer; read: the statement's result;
    // planned: the EXPLAIN of count=planned or count=estimated.
    static qint64 readTotal(const ApiRequest &request, qint64 answered, const PgResult &read, const PgResult &planned);
    // A read's Content-Range: "<first>-<last>/<total>", "*/<total>" for no
    // rows; total -1 is "*".
    static QByteArray readContentRange(qint64 offset, qint64 answered, qint64 total);
    // Preference-Applied: a table write's return= (always) and an upsert's
    // resolution=; then, when asked for, tx=, handling= and max-affected=
    // (the last only where it applies). Empty: no header.
    static QByteArray preferenceApplied(const ApiRequest &request);
};

} // namespace Aiodata::Server
