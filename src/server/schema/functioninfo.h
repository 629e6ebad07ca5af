#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Aiodata::Server {

struct TableInfo;

// One column of a function's composite result.
struct FunctionColumn
{
    QString name;
    QString type;
};

// One input parameter of a function, as the catalog has it.
struct FunctionParam
{
    QString name;        // empty: unnamed
    QString type;        // format_type(); for VARIADIC the array type
    bool hasDefault = false;
    bool variadic = false;
};

// One function of an exposed schema (pg_proc, prokind 'f'): what a call to
// /query/rpc/<name> is checked against before any SQL exists. Loaded from
// the "functions" array of SchemaCache::describeSql(), whose fragment
// catalogueSql() is.
struct FunctionInfo
{
    enum class Result { Scalar, Composite, Void };
    enum class Volatility { Immutable, Stable, Volatile };

    QString schema;
    QString name;
    QList<FunctionParam> params;
    QString resultType;          // format_type() of prorettype ("record" for TABLE)
    Result result = Result::Scalar;
    bool returnsSet = false;     // SETOF or TABLE
    Volatility volatility = Volatility::Volatile;
    QList<FunctionColumn> resultColumns; // Composite: the row's columns (composite type or TABLE/OUT)

    // The one parameter, unnamed, of type json or jsonb: takes a POST's whole body.
    bool hasSingleUnnamedJsonParam() const;
    // The one parameter (named or not) is json or jsonb: Prefer: params=single-object.
    bool hasSingleJsonParam() const;
    const FunctionParam *param(const QString &name) const; // nullptr if none
    // The rows a call yields as a table the filter/select/order code knows:
    // the composite's columns, or for a scalar one column named after the
    // function (as PostgreSQL names it in FROM).
    TableInfo resultTable() const;
    // "schema.name(a => integer, b => text)", as PostgREST lists candidates.
    QString signature() const;

    static FunctionInfo fromJson(const QString &schema, const QJsonObject &json);
    // The json_build_object() pair `'functions', [...]` of describeSql(),
    // for schema n; $2 true keeps only what current_user may EXECUTE.
    static QByteArray catalogueSql();
};

} // namespace Aiodata::Server
