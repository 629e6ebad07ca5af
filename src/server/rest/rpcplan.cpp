#include "rest/rpcplan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace Aiodata::Server {

QList<const FunctionParam *> RpcCall::given() const
{
    QList<const FunctionParam *> out;
    for (const FunctionParam &p : function.params) {
        if (!p.name.isEmpty() && givenNames.contains(p.name))
            out.append(&p);
    }
    return out;
}

bool RpcPlan::matches(const FunctionInfo &function, const QStringList &names)
{
    const QSet<QString> given(names.cbegin(), names.cend());
    QSet<QString> all;
    for (const FunctionParam &p : function.params) {
        if (!p.hasDefault && !given.contains(p.name))
            return false; // a required parameter is missing (an unnamed one cannot be given)
        all.insert(p.name);
    }
    for (const QString &n : given) {
        if (n.isEmpty() || !all.contains(n))
            return false;
    }
    return true;
}

std::optional<RpcCall> RpcPlan::plan(const ApiRequest &r, const QList<FunctionInfo> &overloads, ApiError *error)
{
    const bool isPost = r.operation == ApiRequest::Operation::Create;
    const bool jsonBody = isPost && !r.rpcFormBody;
    const QByteArray body = r.body.trimmed().isEmpty() ? QByteArray("{}") : r.body;

    // The argument names given, first seen first.
    QStringList names;
    QJsonObject bodyObject;
    bool bodyIsObject = false;
    if (jsonBody) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            *error = ApiError::invalidBody(parseError.errorString());
            return std::nullopt;
        }
        bodyIsObject = doc.isObject();
        if (bodyIsObject && !r.paramsSingleObject) {
            bodyObject = doc.object();
            names = bodyObject.keys();
        }
    } else {
        for (const auto &[name, value] : r.rpcArguments) {
            if (!names.contains(name))
                names.append(name);
        }
    }

    RpcCall call;
    if (jsonBody && r.paramsSingleObject) {
        // Prefer: params=single-object: the body is the one json/jsonb parameter.
        QList<FunctionInfo> single;
        for (const FunctionInfo &f : overloads) {
            if (f.hasSingleJsonParam())
                single.append(f);
        }
        if (single.size() != 1) {
            *error = single.isEmpty() ? ApiError::functionNotFound(r.schema, r.function, {}, true, overloads)
                                      : ApiError::ambiguousFunction(single);
            return std::nullopt;
        }
        call.function = single.first();
        call.arguments = RpcCall::Arguments::WholeBody;
        call.argumentsJson = body;
        return call;
    }

    // PostgREST's findProc: the overloads the names fit; failing those, for
    // a JSON POST, the one with a single unnamed json/jsonb parameter.
    QList<FunctionInfo> matching, fallback;
    for (const FunctionInfo &f : overloads) {
        if (bodyIsObject || !jsonBody) {
            if (matches(f, names)) {
                matching.append(f);
                continue;
            }
        }
        if (jsonBody && f.hasSingleUnnamedJsonParam())
            fallback.append(f);
    }
    if (matching.size() > 1 || (matching.isEmpty() && fallback.size() > 1)) {
        *error = ApiError::ambiguousFunction(matching.isEmpty() ? fallback : matching);
        return std::nullopt;
    }
    if (matching.isEmpty() && fallback.isEmpty()) {
        if (jsonBody && !bodyIsObject)
            *error = ApiError::invalidBody(QStringLiteral("expected a JSON object of the function's arguments"));
        else
            *error = ApiError::functionNotFound(r.schema, r.function, names, jsonBody, overloads);
        return std::nullopt;
    }
    if (matching.isEmpty()) {
        call.function = fallback.first();
        call.arguments = RpcCall::Arguments::WholeBody;
        call.argumentsJson = body;
        return call;
    }
    call.function = matching.first();
    call.givenNames = names;
    if (jsonBody) {
        // As sent: json_to_record reads the keys it needs, numbers keep
        // their precision.
        call.argumentsJson = body;
        return call;
    }
    // name=value pairs as a JSON object of strings, which json_to_record
    // casts as PostgreSQL casts text: the last value of a repeated name
    // wins, a VARIADIC parameter takes all of them (PostgREST).
    QJsonObject object;
    for (const auto &[name, value] : r.rpcArguments) {
        const FunctionParam *p = call.function.param(name);
        if (p && p->variadic) {
            QJsonArray values = object.value(name).toArray();
            values.append(value);
            object.insert(name, values);
        } else {
            object.insert(name, value);
        }
    }
    call.argumentsJson = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return call;
}

} // namespace Aiodata::Server
