#pragma once

#include "rest/apierror.h"
#include "rest/apirequest.h"
#include "schema/functioninfo.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace Aiodata::Server {

// Which function a call to /query/rpc/<name> runs, and with what: decided
// from the request and the function's overloads in the schema cache alone,
// as PostgREST's Plan.findProc decides. Pure: no I/O, fuzzable on bytes.
struct RpcCall
{
    FunctionInfo function;
    // Named: argumentsJson is a JSON object, its keys the parameters given
    // (SqlBuilder reads them with json_to_record). WholeBody: the body is
    // the one json/jsonb parameter.
    enum class Arguments { Named, WholeBody };
    Arguments arguments = Arguments::Named;
    QByteArray argumentsJson;
    QList<const FunctionParam *> given() const; // Named: the parameters present, in declaration order
    QStringList givenNames;                     // Named: the argument names given
};

class RpcPlan
{
public:
    RpcPlan() = delete;

    // overloads: SchemaCache::functions() of the request's schema and name.
    static std::optional<RpcCall> plan(const ApiRequest &request, const QList<FunctionInfo> &overloads, ApiError *error);

    // PostgREST's rule: every required parameter given, every name given a
    // parameter (a function without parameters takes no names).
    static bool matches(const FunctionInfo &function, const QStringList &names);
};

} // namespace Aiodata::Server
