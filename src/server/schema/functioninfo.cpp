#include "schema/functioninfo.h"

#include "schema/schemacache.h"

#include <QJsonArray>

namespace Aiodata::Server {

static bool isJsonType(const QString &type)
{
    return type == QLatin1String("json") || type == QLatin1String("jsonb");
}

bool FunctionInfo::hasSingleUnnamedJsonParam() const
{
    return params.size() == 1 && params.first().name.isEmpty() && isJsonType(params.first().type);
}

bool FunctionInfo::hasSingleJsonParam() const
{
    return params.size() == 1 && isJsonType(params.first().type);
}

const FunctionParam *FunctionInfo::param(const QString &name) const
{
    for (const FunctionParam &p : params) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

TableInfo FunctionInfo::resultTable() const
{
    TableInfo t;
    t.schema = schema;
    t.name = name;
    t.insertable = false;
    if (result == Result::Composite)
        for (const FunctionColumn &c : resultColumns)
            t.columns.append({c.name, c.type, {}});
    else
        t.columns.append({name, resultType, {}});
    return t;
}

QString FunctionInfo::signature() const
{
    QStringList args;
    for (const FunctionParam &p : params)
        args.append(p.name + QLatin1String(" => ") + p.type);
    return schema + QLatin1Char('.') + name + QLatin1Char('(') + args.join(QLatin1String(", ")) + QLatin1Char(')');
}

FunctionInfo FunctionInfo::fromJson(const QString &schema, const QJsonObject &json)
{
    FunctionInfo f;
    f.schema = schema;
    f.name = json.value(QLatin1String("name")).toString();
    for (const QJsonValue &v : json.value(QLatin1String("arguments")).toArray()) {
        const QJsonObject a = v.toObject();
        f.params.append({a.value(QLatin1String("name")).toString(), a.value(QLatin1String("type")).toString(),
                         a.value(QLatin1String("hasDefault")).toBool(), a.value(QLatin1String("variadic")).toBool()});
    }
    f.resultType = json.value(QLatin1String("resultType")).toString();
    f.returnsSet = json.value(QLatin1String("returnsSet")).toBool();
    const QString volatility = json.value(QLatin1String("volatility")).toString();
    f.volatility = volatility == QLatin1String("immutable") ? Volatility::Immutable
        : volatility == QLatin1String("stable")             ? Volatility::Stable
                                                            : Volatility::Volatile;
    const QJsonArray columns = json.value(QLatin1String("resultColumns")).toArray();
    for (const QJsonValue &v : columns) {
        const QJsonObject c = v.toObject();
        f.resultColumns.append({c.value(QLatin1String("name")).toString(), c.value(QLatin1String("type")).toString()});
    }
    if (f.resultType == QLatin1String("void"))
        f.result = Result::Void;
    else if (!columns.isEmpty())
        f.result = Result::Composite;
    return f;
}

QByteArray FunctionInfo::catalogueSql()
{
    // Input parameters are modes i, b, v (proargmodes NULL: all i); the
    // last pronargdefaults of them have defaults. A composite result's
    // columns come from its type's relation, a TABLE's (or OUT
    // parameters') from the o, b, t parameters.
    return QByteArrayLiteral(R"SQL(
  'functions', coalesce((
    SELECT json_agg(json_build_object(
      'name', p.proname,
      'comment', obj_description(p.oid, 'pg_proc'),
      'arguments', coalesce((
        SELECT json_agg(json_build_object(
          'name', a.name, 'type', a.type,
          'hasDefault', a.idx > p.pronargs - p.pronargdefaults,
          'variadic', a.mode = 'v') ORDER BY a.idx)
        FROM (SELECT coalesce(p.proargnames[x.ord], '') AS name, format_type(x.t, NULL) AS type, x.mode,
                     row_number() OVER (ORDER BY x.ord) AS idx
              FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                          coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs::int])))
                   WITH ORDINALITY AS x(t, mode, ord)
              WHERE x.mode IN ('i', 'b', 'v')) AS a), '[]'::json),
      'resultType', format_type(p.prorettype, NULL),
      'returnsSet', p.proretset,
      'volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
      'resultColumns', CASE
        WHEN rt.typrelid <> 0 THEN (
          SELECT json_agg(json_build_object('name', ra.attname, 'type', format_type(ra.atttypid, ra.atttypmod))
                          ORDER BY ra.attnum)
          FROM pg_attribute ra WHERE ra.attrelid = rt.typrelid AND ra.attnum > 0 AND NOT ra.attisdropped)
        WHEN p.prorettype = 'record'::regtype AND p.proargmodes IS NOT NULL THEN (
          SELECT json_agg(json_build_object('name', p.proargnames[y.ord], 'type', format_type(y.t, NULL))
                          ORDER BY y.ord)
          FROM unnest(p.proallargtypes, p.proargmodes) WITH ORDINALITY AS y(t, mode, ord)
          WHERE y.mode IN ('o', 'b', 't'))
        END
    ) ORDER BY p.proname, p.oid)
    FROM pg_proc p JOIN pg_type rt ON rt.oid = p.prorettype
    WHERE p.pronamespace = n.oid AND p.prokind = 'f'
      AND (NOT $2::bool OR has_function_privilege(p.oid, 'EXECUTE'))), '[]'::json))SQL");
}

} // namespace Aiodata::Server
