#pragma once

#include "rest/apierror.h"
#include "rest/apirequest.h"
#include "schema/relationship.h"
#include "schema/schemacache.h"

#include <QList>
#include <QString>

#include <optional>

namespace Aiodata::Server {

// One embedded resource of a read, resolved: the table it reads, the
// relationship that joins it to its parent, what it selects and how its
// rows are filtered, ordered and cut (PostgREST's ReadPlan node).
struct EmbedNode
{
    TableInfo table;
    Relationship relationship;   // from the parent's table to this one
    QString relation;            // as written in select=
    QString name;                // its key in the answer: the alias, else the relation
    bool inner = false;          // !inner: parents without a match are left out
    bool spread = false;         // ...: its columns are the parent's (to-one only)
    bool empty = false;          // owners(): only for filtering, not in the answer
    QList<SelectItem> columns;   // its Column and Star items, in order
    QList<EmbedNode> children;
    // From the EmbedQuery of its path.
    QList<Filter> filters;
    QList<FilterTree> logic;
    QList<OrderTerm> order;
    qint64 limit = -1;
    qint64 offset = 0;
};

// Which relationships a request's embedded resources go through, decided
// from the request and the schema cache alone as PostgREST's Plan.findRel
// decides (a hint picks among several; PGRST200 for none, PGRST201 for
// more than one), and where each embed query (`owners.name=eq.Ann`)
// belongs (PGRST108 for a path that names no embed). Pure: no I/O.
class EmbedPlan
{
public:
    QList<EmbedNode> embeds;     // of the request's table, in select= order

    bool isEmpty() const { return embeds.isEmpty(); }

    static std::optional<EmbedPlan> plan(const ApiRequest &request, const SchemaCache &schema, const TableInfo &table,
                                         ApiError *error);
    // The table whose rows a function returns (SETOF films, or one films
    // row), whose relationships its result embeds through; nullptr for
    // other results.
    static const TableInfo *resultTable(const FunctionInfo &function, const SchemaCache &schema);
    // The relationship of origin's that target (a table, constraint or
    // column) and hint (empty: none) name, as PostgREST's findRel.
    static std::optional<Relationship> find(const QList<Relationship> &relationships, const QString &schema,
                                            const QString &origin, const QString &target, const QString &hint,
                                            ApiError *error);
};

} // namespace Aiodata::Server
