#include "rest/apiresponse.h"

#include "rest/apierror.h"
#include "rest/sqlbuilder.h"

namespace Aiodata::Server {

static const QByteArray kJsonType = QByteArrayLiteral("application/json; charset=utf-8");
static const QByteArray kCsvType = QByteArrayLiteral("text/csv; charset=utf-8");

static const QByteArray &contentType(const ApiRequest &r)
{
    return r.media == ApiRequest::Media::Csv ? kCsvType : kJsonType;
}

static void addHeader(HttpResponse &response, const QByteArray &name, const QByteArray &value)
{
    response.headers.append(qMakePair(name, value));
}

qint64 ApiResponse::readTotal(const ApiRequest &r, qint64 answered, const PgResult &read, const PgResult &planned)
{
    const QByteArray counted = read.value(0, 2);
    switch (r.count) {
    case ApiRequest::Count::None:
        return -1;
    case ApiRequest::Count::Exact:
        return counted.toLongLong();
    case ApiRequest::Count::Planned:
    case ApiRequest::Count::Estimated: {
        const qint64 exact = counted.toLongLong(); // estimated: at most one past the bound
        if (r.count == ApiRequest::Count::Estimated && exact <= ApiRequest::EstimatedExactUpTo)
            return exact;
        // An answer no limit cut short ends at the last row: that is the total.
        if ((r.limit < 0 || answered < r.limit) && (answered > 0 || r.offset == 0))
            return r.offset + answered;
        // The planner's figure, but never below what was counted or is in the answer.
        const qint64 plannedRows = SqlBuilder::plannedRows(planned.value(0, 0));
        return plannedRows < 0 ? -1 : qMax(qMax(exact, plannedRows), r.offset + answered);
    }
    }
    return -1;
}

QByteArray ApiResponse::readContentRange(qint64 offset, qint64 answered, qint64 total)
{
    const QByteArray totalText = total < 0 ? QByteArray("*") : QByteArray::number(total);
    return answered > 0
        ? QByteArray(QByteArray::number(offset) + '-' + QByteArray::number(offset + answered - 1) + '/' + totalText)
        : QByteArray("*/" + totalText);
}

QByteArray ApiResponse::preferenceApplied(const ApiRequest &r)
{
    QByteArrayList applied;
    // A write's return= is always named (what it did, asked or not), as it always was here.
    if (r.operation != ApiRequest::Operation::Read && !r.rpc) {
        applied.append(r.returnRepresentation ? QByteArrayLiteral("return=representation") : QByteArrayLiteral("return=minimal"));
        if (r.operation == ApiRequest::Operation::Create && (r.mergeDuplicates || r.ignoreDuplicates))
            applied.append(r.mergeDuplicates ? "resolution=merge-duplicates" : "resolution=ignore-duplicates");
    }
    // The rest as PostgREST's prefAppliedHeader: only what was asked for
    // and applies (tx= only where db-tx-end allows it; parse() drops it otherwise).
    if (r.tx != ApiRequest::Tx::NotGiven)
        applied.append(r.tx == ApiRequest::Tx::Commit ? "tx=commit" : "tx=rollback");
    if (r.handling != ApiRequest::Handling::NotGiven)
        applied.append(r.handling == ApiRequest::Handling::Strict ? "handling=strict" : "handling=lenient");
    if (r.maxAffectedApplies())
        applied.append("max-affected=" + QByteArray::number(r.maxAffected));
    return applied.join(", ");
}

HttpResponse ApiResponse::fromCall(const ApiRequest &r, const RpcCall &call, const PgResult &result)
{
    HttpResponse response;
    if (const QByteArray applied = preferenceApplied(r); !applied.isEmpty())
        addHeader(response, QByteArrayLiteral("Preference-Applied"), applied);
    if (call.function.result == FunctionInfo::Result::Void) {
        response.status = 204;
        return response;
    }
    addHeader(response, QByteArrayLiteral("Content-Type"), contentType(r));
    QByteArray body = result.value(0, 0);
    if (call.function.returnsSet) {
        const qint64 count = result.value(0, 1).toLongLong();
        const qint64 total = r.count == ApiRequest::Count::None ? -1 : result.value(0, 2).toLongLong();
        addHeader(response, QByteArrayLiteral("Content-Range"), readContentRange(r.offset, count, total));
        if (total > r.offset + count)
            response.status = 206;
        if (r.singleObject) {
            if (count != 1)
                return ApiError::singularity(count).toResponse();
            body = body.trimmed();
            body = body.mid(1, body.size() - 2);
        }
    }
    response.body = body;
    return response;
}

HttpResponse ApiResponse::fromResults(const ApiRequest &r, const QList<PgResult> &results)
{
    const PgResult &result = results.at(1);
    QByteArray rows = result.value(0, 0);
    const qint64 count = SqlBuilder::rowCount(result);

    HttpResponse response;
    // Literals: static data, no allocation for every answer.
    addHeader(response, QByteArrayLiteral("Content-Type"), contentType(r));
    if (r.operation == ApiRequest::Operation::Read) {
        const qint64 total = readTotal(r, count, result, results.value(2));
        addHeader(response, QByteArrayLiteral("Content-Range"), readContentRange(r.offset, count, total));
        if (total > r.offset + count)
            response.status = 206;
        addHeader(response, QByteArrayLiteral("Aiodata-Snapshot"), result.value(0, 3));
        if (const QByteArray applied = preferenceApplied(r); !applied.isEmpty())
            addHeader(response, QByteArrayLiteral("Preference-Applied"), applied);
    } else {
        response.status = r.operation == ApiRequest::Operation::Create ? 201 : 200;
        addHeader(response, QByteArrayLiteral("Content-Range"), "*/" + QByteArray::number(count));
        addHeader(response, QByteArrayLiteral("Preference-Applied"), preferenceApplied(r));
        if (!r.returnRepresentation) {
            if (r.operation != ApiRequest::Operation::Create)
                response.status = 204;
            return response;
        }
        // select= on a write shapes the answer (column 3), as PostgREST
        // does; own-writes events keep the full rows of column 0.
        if (!r.select.isEmpty())
            rows = result.value(0, 3);
    }
    if (r.singleObject) {
        if (count != 1 && r.operation == ApiRequest::Operation::Read)
            return ApiError::singularity(count).toResponse();
        if (count == 1) {
            // json_agg's "[{...}]" -> "{...}"
            rows = rows.trimmed();
            rows = rows.mid(1, rows.size() - 2);
        }
    }
    response.body = rows;
    return response;
}

} // namespace Aiodata::Server
