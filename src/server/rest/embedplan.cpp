#include "rest/embedplan.h"

#include <algorithm>

namespace Aiodata::Server {

namespace {

using Cardinality = Relationship::Cardinality;

bool isDirect(const Relationship &r)
{
    return r.cardinality != Cardinality::ManyToMany;
}

// The foreign key has one column, and it is `name` on the origin's side.
bool matchesColumn(const Relationship &r, const QString &name)
{
    return isDirect(r) && r.columns.size() == 1 && r.columns.first().first == name;
}

// ... on the target's side.
bool matchesReferencedColumn(const Relationship &r, const QString &name)
{
    return isDirect(r) && r.columns.size() == 1 && r.columns.first().second == name;
}

bool matchesConstraint(const Relationship &r, const QString &name)
{
    return isDirect(r) && r.constraint == name;
}

bool matchesJunction(const Relationship &r, const QString &name)
{
    return r.cardinality == Cardinality::ManyToMany && r.junction == name;
}

struct Planner
{
    const SchemaCache &schema;
    const QString &schemaName;
    ApiError *error;

    std::optional<QList<EmbedNode>> nodes(const TableInfo &parent, const QList<SelectItem> &items, int depth)
    {
        QList<EmbedNode> out;
        for (const SelectItem &item : items) {
            if (item.kind != SelectItem::Kind::Embed)
                continue;
            const auto relationship = EmbedPlan::find(schema.relationships(schemaName, parent.name), schemaName,
                                                      parent.name, item.name, item.hint, error);
            if (!relationship)
                return std::nullopt;
            const TableInfo *table = schema.table(schemaName, relationship->foreignTable);
            if (!table) {
                *error = ApiError::relationshipNotFound(parent.name, item.name, item.hint, schemaName);
                return std::nullopt;
            }
            if (item.spread && !relationship->toOne()) {
                *error = ApiError::spreadNotToOne(parent.name, item.name);
                return std::nullopt;
            }
            EmbedNode node;
            node.table = *table;
            node.relationship = *relationship;
            node.relation = item.name;
            node.name = item.alias.isEmpty() ? item.name : item.alias;
            node.inner = item.inner;
            node.spread = item.spread;
            for (const SelectItem &child : item.children) {
                if (child.kind != SelectItem::Kind::Embed)
                    node.columns.append(child);
            }
            const auto children = nodes(*table, item.children, depth + 1);
            if (!children)
                return std::nullopt;
            node.children = *children;
            // PostgREST's hasOnlyNullEmbed: nothing selected, here or below.
            node.empty = node.columns.isEmpty()
                && std::all_of(node.children.cbegin(), node.children.cend(), [](const EmbedNode &n) { return n.empty; });
            out.append(node);
        }
        return out;
    }
};

} // namespace

std::optional<Relationship> EmbedPlan::find(const QList<Relationship> &relationships, const QString &schema,
                                            const QString &origin, const QString &target, const QString &hint,
                                            ApiError *error)
{
    QList<Relationship> found;
    for (const Relationship &r : relationships) {
        bool match = false;
        if (r.isSelf) {
            // One foreign key, two directions: the table's name gives the
            // one-to-many, the column's the many-to-one; a hint names the
            // referenced column of the one-to-many.
            if (hint.isEmpty()) {
                match = (target == r.foreignTable && r.cardinality == Cardinality::OneToMany)
                    || (matchesColumn(r, target) && r.cardinality == Cardinality::ManyToOne);
            } else {
                match = target == r.foreignTable && r.cardinality == Cardinality::OneToMany
                    && matchesReferencedColumn(r, hint);
            }
        } else if (hint.isEmpty()) {
            // The target: a table, a foreign key's name, or its column.
            match = target == r.foreignTable || matchesConstraint(r, target) || matchesColumn(r, target);
        } else {
            // The hint: a foreign key's name, either of its columns, or the junction table.
            match = target == r.foreignTable
                && (matchesConstraint(r, hint) || matchesColumn(r, hint) || matchesReferencedColumn(r, hint)
                    || matchesJunction(r, hint));
        }
        if (match)
            found.append(r);
    }
    if (found.isEmpty()) {
        *error = ApiError::relationshipNotFound(origin, target, hint, schema);
        return std::nullopt;
    }
    if (found.size() > 1) {
        *error = ApiError::ambiguousRelationship(origin, target, found);
        return std::nullopt;
    }
    return found.first();
}

const TableInfo *EmbedPlan::resultTable(const FunctionInfo &function, const SchemaCache &schema)
{
    if (function.result != FunctionInfo::Result::Composite)
        return nullptr;
    // format_type() names the row type, schema-qualified when the schema is
    // not on the search path, quoted when it must be.
    QString name = function.resultType;
    if (name.startsWith(function.schema + QLatin1Char('.')))
        name = name.mid(function.schema.size() + 1);
    else if (name.startsWith(QLatin1Char('"') + function.schema + QLatin1String("\".")))
        name = name.mid(function.schema.size() + 3);
    if (name.size() >= 2 && name.startsWith(QLatin1Char('"')) && name.endsWith(QLatin1Char('"')))
        name = name.mid(1, name.size() - 2).replace(QLatin1String("\"\""), QLatin1String("\""));
    const TableInfo *table = schema.table(function.schema, name);
    if (!table || table->columns.size() != function.resultColumns.size())
        return nullptr;
    for (qsizetype i = 0; i < table->columns.size(); ++i) {
        if (table->columns.at(i).name != function.resultColumns.at(i).name)
            return nullptr;
    }
    return table;
}

std::optional<EmbedPlan> EmbedPlan::plan(const ApiRequest &request, const SchemaCache &schema, const TableInfo &table,
                                         ApiError *error)
{
    Planner planner{schema, request.schema, error};
    const auto nodes = planner.nodes(table, request.selectItems, 0);
    if (!nodes)
        return std::nullopt;
    EmbedPlan plan;
    plan.embeds = *nodes;
    // Each embed query goes to the node its path names (a name or an alias).
    for (const EmbedQuery &q : request.embedQueries) {
        QList<EmbedNode> *level = &plan.embeds;
        EmbedNode *node = nullptr;
        for (const QString &step : q.path) {
            const auto it = std::find_if(level->begin(), level->end(), [&](const EmbedNode &n) {
                return n.relation == step || n.name == step;
            });
            if (it == level->end()) {
                *error = ApiError::notEmbedded(step);
                return std::nullopt;
            }
            node = &*it;
            level = &node->children;
        }
        if (!node)
            continue;
        node->filters += q.filters;
        node->logic += q.logic;
        if (!q.order.isEmpty())
            node->order = q.order;
        if (q.limit >= 0)
            node->limit = q.limit;
        if (q.offset > 0)
            node->offset = q.offset;
    }
    return plan;
}

} // namespace Aiodata::Server
