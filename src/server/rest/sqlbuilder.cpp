#include "rest/sqlbuilder.h"
#include "pg/pgsql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <functional>

namespace Aiodata::Server {

namespace {

// Collects $n parameters while a statement is built.
struct Params
{
    QList<QByteArray> values;
    QByteArray add(const QString &value)
    {
        values.append(value.toUtf8());
        return '$' + QByteArray::number(values.size());
    }
    QByteArray add(const QByteArray &value)
    {
        values.append(value);
        return '$' + QByteArray::number(values.size());
    }
};

bool isTextType(const QString &type)
{
    return type == QLatin1String("text") || type.startsWith(QLatin1String("character"))
        || type == QLatin1String("name") || type == QLatin1String("citext");
}

// A filter that names an embedded resource rather than a column
// (`actors=not.is.null`): sets *isEmbed and answers its condition (nullopt
// and *error when refused). Only reads with embeds have one.
using EmbedFilter = std::function<std::optional<QByteArray>(const Filter &f, Params &params, ApiError *error, bool *isEmbed)>;

// One filter as SQL, its value a bound parameter.
std::optional<QByteArray> filterCondition(const Filter &f, const TableInfo &table, Params &params, ApiError *error,
                                          const EmbedFilter *embedFilter = nullptr)
{
    const ColumnInfo *column = table.column(f.column);
    if (!column && embedFilter) {
        bool isEmbed = false;
        auto condition = (*embedFilter)(f, params, error, &isEmbed);
        if (isEmbed)
            return condition;
    }
    if (!column) {
        *error = ApiError::undefinedColumn(table.name, f.column);
        return std::nullopt;
    }
    const bool textColumn = isTextType(column->type);
    const QByteArray col = PgSql::quoteIdentifier(f.column);
    QByteArray expr;
    if (f.op == QLatin1String("is")) {
        static const QHash<QString, QByteArray> tests = {
            {QStringLiteral("null"), "IS NULL"}, {QStringLiteral("not_null"), "IS NOT NULL"},
            {QStringLiteral("true"), "IS TRUE"}, {QStringLiteral("false"), "IS FALSE"},
            {QStringLiteral("unknown"), "IS UNKNOWN"}};
        expr = col + ' ' + tests.value(f.value);
    } else if (f.op == QLatin1String("in")) {
        if (f.values.isEmpty()) {
            expr = "FALSE";
        } else {
            QList<QByteArray> placeholders;
            for (const QString &v : f.values)
                placeholders.append(params.add(v));
            expr = col + " IN (" + placeholders.join(", ") + ')';
        }
    } else if (f.op == QLatin1String("isdistinct")) {
        expr = col + " IS DISTINCT FROM " + params.add(f.value);
    } else if (f.op.endsWith(QLatin1String("fts"))) {
        static const QHash<QString, QByteArray> parsers = {
            {QStringLiteral("fts"), "to_tsquery"}, {QStringLiteral("plfts"), "plainto_tsquery"},
            {QStringLiteral("phfts"), "phraseto_tsquery"}, {QStringLiteral("wfts"), "websearch_to_tsquery"}};
        const QByteArray language = f.language.isEmpty() ? QByteArray() : params.add(f.language) + "::regconfig, ";
        // A text column is turned into a tsvector with the query's
        // configuration (text @@ tsquery alone would use the default one).
        const QByteArray lhs = textColumn ? "to_tsvector(" + language + col + ')' : col;
        expr = lhs + " @@ " + parsers.value(f.op) + '(' + language + params.add(f.value) + ')';
    } else {
        // Comparisons; like and match on a column that is not text compare its text.
        static const QHash<QString, QByteArray> ops = {
            {QStringLiteral("eq"), "="},         {QStringLiteral("neq"), "<>"},       {QStringLiteral("gt"), ">"},
            {QStringLiteral("gte"), ">="},       {QStringLiteral("lt"), "<"},         {QStringLiteral("lte"), "<="},
            {QStringLiteral("like"), "LIKE"},    {QStringLiteral("ilike"), "ILIKE"},  {QStringLiteral("match"), "~"},
            {QStringLiteral("imatch"), "~*"},    {QStringLiteral("cs"), "@>"},        {QStringLiteral("cd"), "<@"},
            {QStringLiteral("ov"), "&&"},        {QStringLiteral("sl"), "<<"},        {QStringLiteral("sr"), ">>"},
            {QStringLiteral("nxr"), "&<"},       {QStringLiteral("nxl"), "&>"},       {QStringLiteral("adj"), "-|-"}};
        const bool pattern = f.op.contains(QLatin1String("like")) || f.op.contains(QLatin1String("match"));
        QString value = f.value;
        if (f.op.contains(QLatin1String("like")))
            value.replace(QLatin1Char('*'), QLatin1Char('%')); // PostgREST's '*' wildcard avoids '%' in URLs
        const QByteArray lhs = pattern && !textColumn ? col + "::text" : col;
        QByteArray rhs = params.add(value);
        if (f.quantifier != Filter::Quantifier::None) {
            // The value is an array literal ({a,b}); for patterns, of text.
            rhs = (f.quantifier == Filter::Quantifier::Any ? "ANY (" : "ALL (") + rhs + (pattern ? "::text[])" : ")");
        }
        expr = lhs + ' ' + ops.value(f.op) + ' ' + rhs;
    }
    return f.negate ? "NOT (" + expr + ')' : expr;
}

// An or=/and= tree as one parenthesised condition.
std::optional<QByteArray> treeCondition(const FilterTree &tree, const TableInfo &table, Params &params, ApiError *error,
                                        const EmbedFilter *embedFilter = nullptr)
{
    if (tree.kind == FilterTree::Kind::Leaf)
        return filterCondition(tree.filter, table, params, error, embedFilter);
    QList<QByteArray> parts;
    for (const FilterTree &child : tree.children) {
        const auto part = treeCondition(child, table, params, error, embedFilter);
        if (!part)
            return std::nullopt;
        parts.append(*part);
    }
    const QByteArray group = '(' + parts.join(tree.kind == FilterTree::Kind::Or ? " OR " : " AND ") + ')';
    return tree.negate ? "NOT " + group : group;
}

// WHERE clause from the key path and the filters; empty when there is none.
std::optional<QByteArray> whereClause(const ApiRequest &r, const TableInfo &table, Params &params, ApiError *error,
                                      const EmbedFilter *embedFilter = nullptr)
{
    QList<QByteArray> conditions;
    if (r.keyPath.size() > table.primaryKey.size()) {
        *error = ApiError::keyPathTooLong(table.name, table.primaryKey);
        return std::nullopt;
    }
    for (qsizetype i = 0; i < r.keyPath.size(); ++i)
        conditions.append(PgSql::quoteIdentifier(table.primaryKey.at(i)) + " = " + params.add(r.keyPath.at(i)));

    for (const Filter &f : r.filters) {
        const auto condition = filterCondition(f, table, params, error, embedFilter);
        if (!condition)
            return std::nullopt;
        conditions.append(*condition);
    }
    for (const FilterTree &tree : r.logic) {
        const auto condition = treeCondition(tree, table, params, error, embedFilter);
        if (!condition)
            return std::nullopt;
        conditions.append(*condition);
    }
    if (conditions.isEmpty())
        return QByteArray();
    return " WHERE " + conditions.join(" AND ");
}

// The request's columns; embeds are EmbedSql's (embedsHandled: a read,
// which adds them), refused anywhere else for now.
std::optional<QByteArray> selectList(const ApiRequest &r, const TableInfo &table, ApiError *error, bool embedsHandled = false)
{
    if (r.selectItems.isEmpty())
        return QByteArray("*");
    QList<QByteArray> items;
    for (const SelectItem &item : r.selectItems) {
        if (item.kind == SelectItem::Kind::Embed) {
            if (embedsHandled)
                continue;
            *error = ApiError::embedUnsupported(r.rpc ? QStringLiteral("on function results")
                                                      : QStringLiteral("in the answer of a write"));
            return std::nullopt;
        }
        if (item.kind == SelectItem::Kind::Star) {
            items.append("*");
            continue;
        }
        // alias:column renames, as in PostgREST.
        if (!table.hasColumn(item.name)) {
            *error = ApiError::undefinedColumn(table.name, item.name);
            return std::nullopt;
        }
        items.append(PgSql::quoteIdentifier(item.name)
                     + (item.alias.isEmpty() ? QByteArray() : " AS " + PgSql::quoteIdentifier(item.alias)));
    }
    return items.join(", ");
}

// An order term on a to-one embed's column (order=directors(last_name)):
// its expression, or nullopt and *error. Only reads with embeds have one.
using EmbedOrder = std::function<std::optional<QByteArray>(const OrderTerm &t, ApiError *error)>;

std::optional<QByteArray> orderClause(const QList<OrderTerm> &order, const TableInfo &table, ApiError *error,
                                      const EmbedOrder *embedOrder = nullptr)
{
    if (order.isEmpty())
        return QByteArray();
    QList<QByteArray> terms;
    for (const OrderTerm &t : order) {
        QByteArray expression;
        if (!t.relation.isEmpty()) {
            if (!embedOrder) {
                *error = ApiError::notEmbedded(t.relation);
                return std::nullopt;
            }
            const auto related = (*embedOrder)(t, error);
            if (!related)
                return std::nullopt;
            expression = *related;
        } else if (!table.hasColumn(t.column)) {
            *error = ApiError::undefinedColumn(table.name, t.column);
            return std::nullopt;
        } else {
            expression = PgSql::quoteIdentifier(t.column);
        }
        QByteArray term = expression + (t.descending ? " DESC" : " ASC");
        if (t.nulls == OrderTerm::NullsFirst)
            term += " NULLS FIRST";
        else if (t.nulls == OrderTerm::NullsLast)
            term += " NULLS LAST";
        terms.append(term);
    }
    return " ORDER BY " + terms.join(", ");
}

// Checks the write's columns exist; returns them quoted, in order.
std::optional<QList<QByteArray>> writeColumns(const QStringList &names, const TableInfo &table, ApiError *error)
{
    QList<QByteArray> quoted;
    for (const QString &c : names) {
        if (!table.hasColumn(c)) {
            *error = ApiError::columnNotFound(c, table.name);
            return std::nullopt;
        }
        quoted.append(PgSql::quoteIdentifier(c));
    }
    return quoted;
}

// The embedded resources of a read (EmbedPlan) as scalar subqueries of
// the select list, each correlated with its parent's row by the
// relationship's columns: to-one as row_to_json (NULL without a match),
// to-many as a json_agg array; a spread's columns one subquery each;
// !inner as an EXISTS in the parent's WHERE. Subqueries rather than
// joins, so the parent's unqualified columns and filters stay unambiguous.
struct EmbedSql
{
    Params &params;
    ApiError *error;
    int aliases = 0;

    struct Item
    {
        QByteArray expression;
        QString name;
    };

    // The condition on the child's rows (as alias) under the parent's row
    // (parentAlias): the join, the child's filters, its !inner children.
    std::optional<QByteArray> match(const EmbedNode &n, const QByteArray &parentAlias, const QByteArray &alias)
    {
        const Relationship &rel = n.relationship;
        QList<QByteArray> conditions;
        if (rel.cardinality == Relationship::Cardinality::ManyToMany) {
            const QByteArray junction = "_j" + QByteArray::number(++aliases);
            QList<QByteArray> on;
            for (const auto &[column, junctionColumn] : rel.junctionSource)
                on.append(junction + '.' + PgSql::quoteIdentifier(junctionColumn) + " = " + parentAlias + '.' + PgSql::quoteIdentifier(column));
            for (const auto &[column, junctionColumn] : rel.junctionTarget)
                on.append(junction + '.' + PgSql::quoteIdentifier(junctionColumn) + " = " + alias + '.' + PgSql::quoteIdentifier(column));
            conditions.append("EXISTS (SELECT 1 FROM " + PgSql::qualifiedName(n.table.schema, rel.junction) + " AS " + junction
                              + " WHERE " + on.join(" AND ") + ')');
        } else {
            for (const auto &[parentColumn, column] : rel.columns)
                conditions.append(alias + '.' + PgSql::quoteIdentifier(column) + " = " + parentAlias + '.' + PgSql::quoteIdentifier(parentColumn));
        }
        const EmbedFilter nullFilter = nullFilters(n.children, alias);
        for (const Filter &f : n.filters) {
            const auto condition = filterCondition(f, n.table, params, error, &nullFilter);
            if (!condition)
                return std::nullopt;
            conditions.append(*condition);
        }
        for (const FilterTree &tree : n.logic) {
            const auto condition = treeCondition(tree, n.table, params, error, &nullFilter);
            if (!condition)
                return std::nullopt;
            conditions.append(*condition);
        }
        const auto inner = innerConditions(n.children, alias);
        if (!inner)
            return std::nullopt;
        conditions += *inner;
        return conditions.join(" AND ");
    }

    // EXISTS for each !inner embed of a row (as alias).
    std::optional<QList<QByteArray>> innerConditions(const QList<EmbedNode> &nodes, const QByteArray &alias)
    {
        QList<QByteArray> out;
        for (const EmbedNode &n : nodes) {
            if (!n.inner)
                continue;
            const auto exists = existsCondition(n, alias);
            if (!exists)
                return std::nullopt;
            out.append(*exists);
        }
        return out;
    }

    // Whether a row (as alias) has a match in the embed.
    std::optional<QByteArray> existsCondition(const EmbedNode &n, const QByteArray &alias)
    {
        const QByteArray child = "_e" + QByteArray::number(++aliases);
        const auto where = match(n, alias, child);
        if (!where)
            return std::nullopt;
        return "EXISTS (SELECT 1 FROM " + SqlBuilder::qualifiedName(n.table) + " AS " + child + " WHERE " + *where + range(n) + ')';
    }

    // PostgREST's related order: a term on a to-one embed's column, as the
    // value of that column for the row (as alias); NULL without a match.
    EmbedOrder relatedOrder(const TableInfo &table, const QList<EmbedNode> &nodes, const QByteArray &alias)
    {
        return [this, &table, &nodes, alias](const OrderTerm &t, ApiError *orderError) -> std::optional<QByteArray> {
            const auto n = std::find_if(nodes.cbegin(), nodes.cend(),
                                        [&](const EmbedNode &node) { return node.name == t.relation || node.relation == t.relation; });
            if (n == nodes.cend()) {
                *orderError = ApiError::notEmbedded(t.relation);
                return std::nullopt;
            }
            if (!n->relationship.toOne()) {
                *orderError = ApiError::relatedOrderNotToOne(table.name, t.relation);
                return std::nullopt;
            }
            if (!n->table.hasColumn(t.column)) {
                *orderError = ApiError::undefinedColumn(n->table.name, t.column);
                return std::nullopt;
            }
            const QByteArray child = "_e" + QByteArray::number(++aliases);
            const auto where = match(*n, alias, child);
            if (!where)
                return std::nullopt;
            return "(SELECT " + child + '.' + PgSql::quoteIdentifier(t.column) + " FROM " + SqlBuilder::qualifiedName(n->table)
                + " AS " + child + " WHERE " + *where + ')';
        };
    }

    // PostgREST's null filters on embeds: `actors=not.is.null` keeps the
    // rows (as alias) with a match, `actors=is.null` those without; any
    // other operator on an embed is PGRST120.
    EmbedFilter nullFilters(const QList<EmbedNode> &nodes, const QByteArray &alias)
    {
        return [this, &nodes, alias](const Filter &f, Params &, ApiError *filterError, bool *isEmbed) -> std::optional<QByteArray> {
            const auto n = std::find_if(nodes.cbegin(), nodes.cend(),
                                        [&](const EmbedNode &node) { return node.name == f.column || node.relation == f.column; });
            *isEmbed = n != nodes.cend();
            if (!*isEmbed)
                return std::nullopt;
            if (f.op != QLatin1String("is") || (f.value != QLatin1String("null") && f.value != QLatin1String("not_null"))) {
                *filterError = ApiError::unacceptableEmbedFilter(f.column);
                return std::nullopt;
            }
            const auto exists = existsCondition(*n, alias);
            if (!exists)
                return std::nullopt;
            const bool wantMatch = f.negate != (f.value == QLatin1String("not_null"));
            return wantMatch ? *exists : "NOT " + *exists;
        };
    }

    static QByteArray range(const EmbedNode &n)
    {
        QByteArray out;
        if (n.limit >= 0)
            out += " LIMIT " + QByteArray::number(n.limit);
        if (n.offset > 0)
            out += " OFFSET " + QByteArray::number(n.offset);
        return out;
    }

    // What a row (as alias) of a table shows: its columns, then its embeds.
    std::optional<QList<Item>> items(const TableInfo &table, const QList<SelectItem> &columns, const QList<EmbedNode> &embeds,
                                     const QByteArray &alias)
    {
        QList<Item> out;
        for (const SelectItem &c : columns) {
            if (c.kind == SelectItem::Kind::Star) {
                for (const ColumnInfo &column : table.columns)
                    out.append({alias + '.' + PgSql::quoteIdentifier(column.name), column.name});
                continue;
            }
            if (!table.hasColumn(c.name)) {
                *error = ApiError::undefinedColumn(table.name, c.name);
                return std::nullopt;
            }
            out.append({alias + '.' + PgSql::quoteIdentifier(c.name), c.alias.isEmpty() ? c.name : c.alias});
        }
        const auto more = embedItems(embeds, alias);
        if (!more)
            return std::nullopt;
        out += *more;
        return out;
    }

    // The embeds of a row (as alias), as items of its select list.
    std::optional<QList<Item>> embedItems(const QList<EmbedNode> &embeds, const QByteArray &alias)
    {
        QList<Item> out;
        for (const EmbedNode &n : embeds) {
            if (n.empty)
                continue;
            const QByteArray child = "_e" + QByteArray::number(++aliases);
            const auto where = match(n, alias, child);
            if (!where)
                return std::nullopt;
            const auto shown = items(n.table, n.columns, n.children, child);
            if (!shown)
                return std::nullopt;
            const QByteArray from = " FROM " + SqlBuilder::qualifiedName(n.table) + " AS " + child + " WHERE " + *where;
            if (n.spread) {
                // To-one: each of its items is one of the parent's, NULL without a match.
                for (const Item &item : *shown)
                    out.append({"(SELECT " + item.expression + from + ')', item.name});
                continue;
            }
            QList<QByteArray> list;
            for (const Item &item : *shown)
                list.append(item.expression + " AS " + PgSql::quoteIdentifier(item.name));
            const QByteArray rows = "_x" + QByteArray::number(aliases);
            const QByteArray select = "SELECT " + list.join(", ") + from;
            if (n.relationship.toOne()) {
                out.append({"(SELECT row_to_json(" + rows + ") FROM (" + select + ") AS " + rows + ')', n.name});
            } else {
                const EmbedOrder related = relatedOrder(n.table, n.children, child);
                const auto order = orderClause(n.order, n.table, error, &related);
                if (!order)
                    return std::nullopt;
                out.append({"(SELECT coalesce(json_agg(" + rows + "), '[]') FROM (" + select + *order + range(n) + ") AS " + rows + ')',
                            n.name});
            }
        }
        return out;
    }
};

// select= of a row as _t: its columns, then its embeds (PostgREST's
// order), and the EXISTS of its !inner embeds (empty: none).
struct Projection
{
    QByteArray select;
    QList<QByteArray> inner;
};

std::optional<Projection> projection(const ApiRequest &r, const TableInfo &table, Params &params, ApiError *error,
                                     const EmbedPlan *embeds)
{
    const auto select = selectList(r, table, error, embeds != nullptr);
    if (!select)
        return std::nullopt;
    if (!embeds || embeds->isEmpty())
        return Projection{*select, {}};
    EmbedSql sql{params, error};
    const auto items = sql.embedItems(embeds->embeds, "_t");
    const auto inner = items ? sql.innerConditions(embeds->embeds, "_t") : std::nullopt;
    if (!items || !inner)
        return std::nullopt;
    QList<QByteArray> list;
    if (!select->isEmpty())
        list.append(*select);
    for (const EmbedSql::Item &item : *items)
        list.append(item.expression + " AS " + PgSql::quoteIdentifier(item.name));
    return Projection{list.join(", "), *inner};
}

// A write's answer when select= names columns: the written rows of `source`
// projected as a read would, as a fourth result column (the full rows stay
// in column 0 for the change events); ", NULL" when there is no select=.
// Embeds' filter values go to params.
std::optional<QByteArray> writeProjection(const ApiRequest &r, const TableInfo &table, const QByteArray &source,
                                          ApiError *error, Params &params, const EmbedPlan *embeds)
{
    if (r.select.isEmpty())
        return QByteArray(", NULL");
    const auto shown = projection(r, table, params, error, embeds);
    if (!shown)
        return std::nullopt;
    const QByteArray where = shown->inner.isEmpty() ? QByteArray() : " WHERE " + shown->inner.join(" AND ");
    return ", (SELECT coalesce(json_agg(_s), '[]')::text FROM (SELECT " + shown->select + " FROM " + source + " AS _t" + where
        + ") AS _s)";
}

// The last part of a write with rows: its one result row of four columns
// from the written rows `source`. Kept: the same row, also set as
// keptResultSetting. countAffected (max-affected): its row count set as
// affectedSetting, for maxAffectedGuard(). set_config is volatile, so the
// WHERE stays outside the aggregate; the row is not sent twice (the
// setting is not a column).
QByteArray answerSelect(const QByteArray &columns, const QByteArray &source, SqlBuilder::Rows want, bool countAffected)
{
    if (want != SqlBuilder::Rows::Kept && !countAffected)
        return "SELECT " + columns + " FROM " + source;
    QList<QByteArray> settings;
    if (want == SqlBuilder::Rows::Kept)
        settings.append(QByteArray("set_config('") + SqlBuilder::keptResultSetting
                        + "', json_build_array(_a.c0, _a.c1::text, _a.c2, _a.c3)::text, true) IS NOT NULL");
    if (countAffected)
        settings.append(QByteArray("set_config('") + SqlBuilder::affectedSetting + "', _a.c1::text, true) IS NOT NULL");
    return "SELECT _a.* FROM (SELECT " + columns + " FROM " + source + ") AS _a(c0, c1, c2, c3) WHERE "
        + settings.join(" AND ");
}

// text/csv, as PostgREST builds it in SQL: the first row's keys as the
// header line, then each row's record text without its parentheses, one
// line each. PostgreSQL's composite output already quotes a field holding
// a comma, quote, backslash, parenthesis or white space (doubling quotes and
// backslashes), writes "" for an empty string and nothing for NULL, and
// knows every type's text: done here rather than in C++, the answer stays
// one value the server forwards. rows: a CTE of the answer's rows.
static QByteArray csvValue(const QByteArray &rows)
{
    return "(SELECT coalesce(string_agg(_k, ','), '') FROM json_object_keys((SELECT row_to_json(_h) FROM " + rows
        + " AS _h LIMIT 1)) AS _k) || chr(10) || coalesce(string_agg(substring(_r::text, 2, length(_r::text) - 2), chr(10)), '')";
}

std::optional<PgStatement> buildRead(const ApiRequest &r, const TableInfo &table, ApiError *error, const EmbedPlan *embeds)
{
    Params params;
    // Null filters on embeds (actors=not.is.null) are the WHERE's; its
    // subqueries and the select list's are siblings, never nested, so
    // their aliases may repeat.
    EmbedSql embedSql{params, error};
    const EmbedFilter nullFilter = embeds ? embedSql.nullFilters(embeds->embeds, "_t") : EmbedFilter();
    auto where = whereClause(r, table, params, error, embeds ? &nullFilter : nullptr);
    if (!where)
        return std::nullopt;
    const auto shown = projection(r, table, params, error, embeds);
    if (!shown)
        return std::nullopt;
    const QByteArray *select = &shown->select;
    if (!shown->inner.isEmpty())
        *where += (where->isEmpty() ? " WHERE " : " AND ") + shown->inner.join(" AND ");
    const EmbedOrder relatedOrder = embeds ? embedSql.relatedOrder(table, embeds->embeds, "_t") : EmbedOrder();
    const auto order = orderClause(r.order, table, error, embeds ? &relatedOrder : nullptr);
    if (!order)
        return std::nullopt;
    const QByteArray from = " FROM " + SqlBuilder::qualifiedName(table) + " AS _t";
    QByteArray inner = "SELECT " + *select + from + *where + *order;
    if (r.limit >= 0)
        inner += " LIMIT " + QByteArray::number(r.limit);
    if (r.offset > 0)
        inner += " OFFSET " + QByteArray::number(r.offset);
    const bool csv = r.media == ApiRequest::Media::Csv;
    QByteArray sql = csv ? QByteArray("WITH _rows AS MATERIALIZED (" + inner + ") SELECT " + csvValue("_rows") + ", count(*), ")
                   : r.stripNulls ? QByteArray("SELECT coalesce(json_strip_nulls(json_agg(_r)), '[]')::text, count(*), ")
                                  : QByteArray("SELECT coalesce(json_agg(_r), '[]')::text, count(*), ");
    if (r.count == ApiRequest::Count::Exact)
        sql += "(SELECT count(*)" + from + *where + ')';
    else if (r.count == ApiRequest::Count::Estimated) // counting stops one past the bound
        sql += "(SELECT count(*) FROM (SELECT 1" + from + *where + " LIMIT "
            + QByteArray::number(ApiRequest::EstimatedExactUpTo + 1) + ") AS _c)";
    else
        sql += "NULL";
    // The statement's own snapshot: which transactions the rows include.
    sql += csv ? QByteArray(", pg_current_snapshot()::text FROM _rows AS _r")
               : ", pg_current_snapshot()::text FROM (" + inner + ") AS _r";
    return PgStatement{sql, params.values};
}

std::optional<PgStatement> rowCondition(const ApiRequest &r, const TableInfo &table, ApiError *error)
{
    Params params;
    params.add(QByteArray()); // $1: the rows, given per transaction
    const auto where = whereClause(r, table, params, error);
    if (!where)
        return std::nullopt;
    const QByteArray condition = where->isEmpty() ? QByteArray("true") : where->mid(int(qstrlen(" WHERE ")));
    return PgStatement{condition, params.values};
}

// insertStatements: the cache of the table's INSERTs by request shape.
std::optional<PgStatement> buildCreate(const ApiRequest &r, const TableInfo &table, ApiError *error, SqlBuilder::Rows want,
                                       QHash<QString, QByteArray> &insertStatements, const EmbedPlan *embeds)
{
    if (!r.keyPath.isEmpty()) {
        *error = ApiError::keyPathOnCreate();
        return std::nullopt;
    }
    // The body is parsed to check it and to find its columns, then goes to
    // PostgreSQL as sent (an object wrapped in an array): a round trip
    // through QJsonDocument would turn numbers into doubles, and cost time.
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(r.body, &parseError);
    if (!doc.isObject() && !doc.isArray()) {
        *error = ApiError::invalidBody(parseError.error == QJsonParseError::NoError ? QStringLiteral("expected an object or an array of objects")
                                                                          : parseError.errorString());
        return std::nullopt;
    }
    // The columns: columns= if given, else the union of the rows' keys
    // (absent keys become NULL only where another row sets them).
    QStringList names = r.columns;
    qsizetype rowCount = 1;
    if (doc.isObject()) {
        if (names.isEmpty())
            names = doc.object().keys();
    } else {
        const QJsonArray rows = doc.array();
        rowCount = rows.size();
        for (const QJsonValue &row : rows) {
            if (!row.isObject()) {
                *error = ApiError::invalidBody(QStringLiteral("expected an object or an array of objects"));
                return std::nullopt;
            }
            if (r.columns.isEmpty()) {
                const QJsonObject object = row.toObject();
                for (auto it = object.begin(); it != object.end(); ++it) {
                    if (!names.contains(it.key()))
                        names.append(it.key());
                }
            }
        }
    }
    // The same shape gives the same SQL: names, select=, merge and rows wanted
    // are all it depends on besides the table (the body is parameter $1).
    const QByteArray body = doc.isArray() ? r.body : '[' + r.body + ']';
    QString shape;
    // Embeds are not cached: their shape is more than select= (embed queries).
    const bool cacheable = !names.isEmpty() && !embeds && std::none_of(names.cbegin(), names.cend(), [](const QString &n) {
        return n.isEmpty() || n.contains(QChar(0)); // never a column; writeColumns refuses them
    });
    if (cacheable) {
        // NUL separates the parts: no column name holds one (names with it
        // are not cached), and select= cannot (ApiRequest refuses a NUL in
        // the URL).
        shape = QChar(r.mergeDuplicates ? u'm' : r.ignoreDuplicates ? u'i' : u'-') + QChar(r.missingDefault ? u'd' : u'-') + QChar(want == SqlBuilder::Rows::Needed ? u'r' : want == SqlBuilder::Rows::Kept ? u'k' : u'-')
            + QString::number(names.size()) + QChar(0) + names.join(QChar(0)) + QChar(0) + r.select.join(QChar(0));
        const auto cached = insertStatements.constFind(shape);
        if (cached != insertStatements.constEnd())
            return PgStatement{*cached, {body}};
    }
    const auto columns = writeColumns(names, table, error);
    if (!columns)
        return std::nullopt;
    const QByteArray target = SqlBuilder::qualifiedName(table);
    Params params;
    QByteArray insert;
    insert.reserve(256);
    insert += "INSERT INTO " + target + " AS _t ";
    if (columns->isEmpty()) {
        if (rowCount > 1) {
            *error = ApiError::invalidBody(QStringLiteral("rows without any column can only be inserted one at a time"));
            return std::nullopt;
        }
        if (rowCount == 0)
            insert += "SELECT * FROM " + target + " WHERE FALSE";
        else
            insert += "DEFAULT VALUES";
    } else {
        const QByteArray list = columns->join(", ");
        // missing=default: a key a row lacks takes the column's default
        // (evaluated per row, as DEFAULT would be) instead of NULL.
        QList<QByteArray> values;
        bool anyDefault = false;
        if (r.missingDefault) {
            for (qsizetype i = 0; i < names.size(); ++i) {
                // Parenthesised: it stands in a CASE. Every name is a column (writeColumns checked).
                const QByteArray stored = table.column(names.at(i))->defaultExpression;
                const QByteArray expression = stored.isEmpty() ? QByteArray() : '(' + stored + ')';
                const QByteArray value = "_r." + columns->at(i);
                anyDefault = anyDefault || !expression.isEmpty();
                values.append(expression.isEmpty() ? value
                                                   : QByteArray("CASE WHEN _e.j::jsonb ? " + params.add(names.at(i)) + " THEN "
                                                                + value + " ELSE " + expression + " END"));
            }
        }
        if (!anyDefault) {
            insert += '(' + list + ") SELECT " + list + " FROM json_populate_recordset(NULL::" + target + ", "
                + params.add(body) + "::json)";
        } else {
            insert += '(' + list + ") SELECT " + values.join(", ") + " FROM json_array_elements(" + params.add(body)
                + "::json) AS _e(j) CROSS JOIN LATERAL json_populate_record(NULL::" + target + ", _e.j) AS _r";
        }
        // Both resolutions are on the primary key; merge wins if both are asked.
        if ((r.mergeDuplicates || r.ignoreDuplicates) && !table.primaryKey.isEmpty()) {
            QList<QByteArray> keys, updates;
            for (const QString &k : table.primaryKey)
                keys.append(PgSql::quoteIdentifier(k));
            for (const QByteArray &c : *columns) {
                if (r.mergeDuplicates && !keys.contains(c))
                    updates.append(c + " = EXCLUDED." + c);
            }
            insert += " ON CONFLICT (" + keys.join(", ") + ") DO "
                + (updates.isEmpty() ? QByteArray("NOTHING") : "UPDATE SET " + updates.join(", "));
        }
    }
    // select= is checked also when no rows come back, so it fails the same
    // way (the bare write binds none of its values: a scratch copy).
    Params scratch = params;
    const auto projection = writeProjection(r, table, "_w", error, want == SqlBuilder::Rows::NotNeeded ? scratch : params, embeds);
    if (!projection)
        return std::nullopt;
    const QByteArray sql = want == SqlBuilder::Rows::NotNeeded
        ? insert
        : "WITH _w AS (" + insert + " RETURNING _t.*) "
          + answerSelect("coalesce(json_agg(_w), '[]')::text, count(*), NULL" + *projection, "_w", want, false);
    // Only statements whose sole parameter is the body are kept: a cached
    // one is replayed with {body} (missing=default's column names are more).
    if (cacheable && params.values.size() == 1) {
        // Bounded: a client inventing column sets must not grow it forever.
        if (insertStatements.size() >= 256)
            insertStatements.clear();
        insertStatements.insert(shape, sql);
    }
    return PgStatement{sql, params.values};
}

std::optional<PgStatement> buildUpdate(const ApiRequest &r, const TableInfo &table, ApiError *error, SqlBuilder::Rows want,
                                       const EmbedPlan *embeds)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(r.body, &parseError);
    if (!doc.isObject()) {
        *error = ApiError::invalidBody(parseError.error == QJsonParseError::NoError ? QStringLiteral("PATCH takes one JSON object")
                                                                          : parseError.errorString());
        return std::nullopt;
    }
    const auto columns = writeColumns(doc.object().keys(), table, error);
    if (!columns)
        return std::nullopt;
    if (columns->isEmpty()) {
        *error = ApiError::invalidBody(QStringLiteral("PATCH body sets no column"));
        return std::nullopt;
    }
    Params params;
    const QByteArray body = params.add(r.body);
    const auto where = whereClause(r, table, params, error);
    if (!where)
        return std::nullopt;
    Params scratch = params;
    const auto projection = writeProjection(r, table, "(SELECT (_row).* FROM _n)", error,
                                            want == SqlBuilder::Rows::NotNeeded ? scratch : params, embeds);
    if (!projection)
        return std::nullopt;
    const QByteArray target = SqlBuilder::qualifiedName(table);
    if (want == SqlBuilder::Rows::NotNeeded) {
        // The new values come from a subquery: its own columns shadow the
        // table's there, while the WHERE clause still sees the table's.
        const QByteArray list = columns->join(", ");
        return PgStatement{"UPDATE " + target + " AS _t SET (" + list + ") = (SELECT " + list
                               + " FROM json_populate_record(NULL::" + target + ", " + body + "::json))" + *where,
                           params.values};
    }
    QList<QByteArray> sets;
    for (const QByteArray &c : *columns)
        sets.append(c + " = _p." + c);
    // Old rows come from the same statement: locked, then updated by their
    // physical address, so old and new pair up exactly.
    const QByteArray sql =
        "WITH _o AS (SELECT _t.tableoid AS _oid, _t.ctid AS _ctid, row_to_json(_t) AS _old FROM " + target
        + " AS _t" + *where + " FOR UPDATE), "
        "_n AS (UPDATE " + target + " AS _t SET " + sets.join(", ") + " FROM _o, json_populate_record(NULL::"
        + target + ", " + body + "::json) AS _p WHERE _t.tableoid = _o._oid AND _t.ctid = _o._ctid "
        "RETURNING _o._old, row_to_json(_t) AS _new, _t AS _row) "
        + answerSelect("coalesce(json_agg(_new), '[]')::text, count(*), coalesce(json_agg(_old), '[]')::text" + *projection,
                       "_n", want, r.maxAffectedApplies());
    return PgStatement{sql, params.values};
}

std::optional<PgStatement> buildDelete(const ApiRequest &r, const TableInfo &table, ApiError *error, SqlBuilder::Rows want,
                                       const EmbedPlan *embeds)
{
    Params params;
    const auto where = whereClause(r, table, params, error);
    if (!where)
        return std::nullopt;
    Params scratch = params;
    const auto projection = writeProjection(r, table, "_d", error, want == SqlBuilder::Rows::NotNeeded ? scratch : params, embeds);
    if (!projection)
        return std::nullopt;
    if (want == SqlBuilder::Rows::NotNeeded)
        return PgStatement{"DELETE FROM " + SqlBuilder::qualifiedName(table) + " AS _t" + *where, params.values};
    const QByteArray sql = "WITH _d AS (DELETE FROM " + SqlBuilder::qualifiedName(table) + " AS _t" + *where
                           + " RETURNING _t.*) "
                           + answerSelect("coalesce(json_agg(_d), '[]')::text, count(*), NULL" + *projection, "_d", want, r.maxAffectedApplies());
    return PgStatement{sql, params.values};
}

} // namespace

std::optional<PgStatement> SqlBuilder::buildCall(const ApiRequest &r, const RpcCall &call, ApiError *error,
                                                 const EmbedPlan *embeds)
{
    const FunctionInfo &f = call.function;
    const TableInfo result = f.resultTable();
    Params params;
    // The call: its arguments come out of the JSON object $1 by name, each
    // cast by json_to_record to the parameter's type (from the catalog).
    QByteArray from;
    const QByteArray function = PgSql::qualifiedName(f.schema, f.name);
    if (call.arguments == RpcCall::Arguments::WholeBody) {
        from = function + '(' + params.add(call.argumentsJson) + "::" + (f.params.first().type == QLatin1String("jsonb") ? "jsonb" : "json") + ')';
    } else {
        const QList<const FunctionParam *> given = call.given();
        if (given.isEmpty()) {
            from = function + "()";
        } else {
            QList<QByteArray> columns, arguments;
            for (const FunctionParam *p : given) {
                const QByteArray name = PgSql::quoteIdentifier(p->name);
                columns.append(name + ' ' + p->type.toUtf8());
                arguments.append((p->variadic ? "VARIADIC " : "") + name + " := _a." + name);
            }
            from = "json_to_record(" + params.add(call.argumentsJson) + "::json) AS _a(" + columns.join(", ")
                + ") CROSS JOIN LATERAL " + function + '(' + arguments.join(", ") + ')';
        }
    }
    from += f.result == FunctionInfo::Result::Composite ? QByteArray(" AS _t") : " AS _t(" + PgSql::quoteIdentifier(f.name) + ')';

    if (f.result == FunctionInfo::Result::Void)
        return PgStatement{"SELECT NULL::text, count(*), NULL FROM " + from, params.values};

    // A set of a table's rows embeds as the table does (its rows are _t).
    EmbedSql embedSql{params, error};
    const EmbedFilter nullFilter = embeds ? embedSql.nullFilters(embeds->embeds, "_t") : EmbedFilter();
    auto where = whereClause(r, result, params, error, embeds ? &nullFilter : nullptr);
    if (!where)
        return std::nullopt;
    const auto shown = projection(r, result, params, error, embeds);
    if (!shown)
        return std::nullopt;
    const QByteArray *select = &shown->select;
    if (!shown->inner.isEmpty())
        *where += (where->isEmpty() ? " WHERE " : " AND ") + shown->inner.join(" AND ");
    const EmbedOrder relatedOrder = embeds ? embedSql.relatedOrder(result, embeds->embeds, "_t") : EmbedOrder();
    const auto order = orderClause(r.order, result, error, embeds ? &relatedOrder : nullptr);
    if (!order)
        return std::nullopt;
    QByteArray inner = "SELECT " + *select + " FROM _all AS _t" + *order;
    if (r.limit >= 0)
        inner += " LIMIT " + QByteArray::number(r.limit);
    if (r.offset > 0)
        inner += " OFFSET " + QByteArray::number(r.offset);
    const QByteArray all = "WITH _all AS MATERIALIZED (SELECT * FROM " + from + *where + ") ";
    const QByteArray total = r.count == ApiRequest::Count::None ? QByteArray("NULL") : QByteArray("(SELECT count(*) FROM _all)");
    QByteArray value;
    if (f.result == FunctionInfo::Result::Composite)
        value = f.returnsSet ? "coalesce(json_agg(_r), '[]')" : "(array_agg(row_to_json(_r)))[1]";
    else
        value = f.returnsSet ? QByteArray("coalesce(json_agg(_r." + PgSql::quoteIdentifier(f.name) + "), '[]')")
                             : QByteArray("(array_agg(to_json(_r." + PgSql::quoteIdentifier(f.name) + ")))[1]");
    if (r.stripNulls) // nulls=stripped: null fields at every depth left out, as json_strip_nulls does
        value = "json_strip_nulls(" + value + ')';
    if (!f.returnsSet)
        value = "coalesce(" + value + ", 'null')"; // a scalar NULL, or filtered away: JSON null
    if (r.media == ApiRequest::Media::Csv) // a single result is a one-line CSV
        return PgStatement{all + ", _rows AS MATERIALIZED (" + inner + ") SELECT " + csvValue("_rows") + ", count(*), "
                               + total + " FROM _rows AS _r",
                           params.values};
    return PgStatement{all + "SELECT " + value + "::text, count(*), " + total + " FROM (" + inner + ") AS _r", params.values};
}

QByteArray SqlBuilder::qualifiedName(const TableInfo &table)
{
    return PgSql::qualifiedName(table.schema, table.name);
}

std::optional<PgStatement> SqlBuilder::build(const ApiRequest &request, const TableInfo &table, ApiError *error, Rows rows,
                                             const EmbedPlan *embeds)
{
    switch (request.operation) {
    case ApiRequest::Operation::Read:
        if (request.hasEmbeds() && !embeds) {
            *error = ApiError::embedUnsupported(QStringLiteral("without a plan"));
            return std::nullopt;
        }
        return buildRead(request, table, error, embeds);
    case ApiRequest::Operation::Create:
        return buildCreate(request, table, error, rows, m_insertStatements[table.schema + QChar(0) + table.name], embeds);
    case ApiRequest::Operation::Update:
    case ApiRequest::Operation::Delete:
        // max-affected counts the rows in SQL (affectedSetting): the bare
        // write has no row to count them in.
        if (rows == Rows::NotNeeded && request.maxAffectedApplies())
            rows = Rows::Needed;
        return request.operation == ApiRequest::Operation::Update ? buildUpdate(request, table, error, rows, embeds)
                                                                  : buildDelete(request, table, error, rows, embeds);
    }
    return std::nullopt;
}

QList<PgStatement> SqlBuilder::maxAffectedGuard(qint64 maxAffected)
{
    // A DO block takes no parameters: the bound limit goes in a setting of
    // the transaction, so the block's text (a prepared statement) is the
    // same for every limit.
    return {PgStatement{QByteArrayLiteral("SELECT set_config('aiodata.max_affected', $1, true)"),
                        {QByteArray::number(maxAffected)}, false},
            PgStatement{QByteArray("DO $aiodata$BEGIN IF current_setting('") + affectedSetting
                            + "')::bigint > current_setting('aiodata.max_affected')::bigint THEN RAISE SQLSTATE '"
                            + maxAffectedSqlState + "' USING MESSAGE = 'max-affected exceeded'; END IF; END$aiodata$",
                        {}, false}};
}

std::optional<PgStatement> SqlBuilder::buildRowCondition(const ApiRequest &request, const TableInfo &table,
                                                         ApiError *error)
{
    return rowCondition(request, table, error);
}

std::optional<PgStatement> SqlBuilder::buildPlannedCount(const ApiRequest &r, const TableInfo &table, ApiError *error,
                                                        const EmbedPlan *embeds)
{
    Params params;
    EmbedSql sql{params, error};
    const EmbedFilter nullFilter = embeds ? sql.nullFilters(embeds->embeds, "_t") : EmbedFilter();
    auto where = whereClause(r, table, params, error, embeds ? &nullFilter : nullptr);
    if (!where)
        return std::nullopt;
    if (embeds) {
        // !inner embeds leave rows out: the same EXISTS as the read.
        const auto inner = sql.innerConditions(embeds->embeds, "_t");
        if (!inner)
            return std::nullopt;
        if (!inner->isEmpty())
            *where += (where->isEmpty() ? " WHERE " : " AND ") + inner->join(" AND ");
    }
    return PgStatement{"EXPLAIN (FORMAT JSON) SELECT 1 FROM " + SqlBuilder::qualifiedName(table) + " AS _t" + *where,
                       params.values};
}

qint64 SqlBuilder::plannedRows(const QByteArray &explainJson)
{
    // [{"Plan": {"Node Type": ..., "Plan Rows": 1234, ...}}]
    const QJsonValue rows = QJsonDocument::fromJson(explainJson).array().at(0).toObject().value(QLatin1String("Plan"))
                                .toObject().value(QLatin1String("Plan Rows"));
    return rows.isDouble() ? qint64(rows.toDouble()) : -1;
}

} // namespace Aiodata::Server
