#pragma once

#include "rest/apierror.h"
#include "http/httpserver.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace Aiodata::Server {

// One PostgREST horizontal filter: `column=[not.]op.value`.
struct Filter
{
    enum class Quantifier { None, Any, All };

    QString column;
    QString op;          // eq neq gt gte lt lte like ilike match imatch is isdistinct in
                         // cs cd ov sl sr nxr nxl adj fts plfts phfts wfts
    bool negate = false;
    QString value;       // for all but `in`
    QStringList values;  // for `in`
    Quantifier quantifier = Quantifier::None; // eq(any).{a,b}: the value is an array
    QString language;    // fts(english): the text search configuration; empty: the default
};

// `or=(...)`, `and=(...)` and their `not.` forms, nested as in PostgREST:
// `or=(type.eq.Fish,and(type.eq.Dog,groomed.is.true))`.
struct FilterTree
{
    enum class Kind { Leaf, And, Or };
    Kind kind = Kind::Leaf;
    Filter filter;               // Leaf (negated by its own `not.`)
    bool negate = false;         // And, Or: not.and(...), not.or(...)
    QList<FilterTree> children;  // And, Or: never empty

    static constexpr int MaxDepth = 32; // nesting deeper than this is refused
};

struct OrderTerm
{
    QString relation;    // order=directors(last_name): a to-one embed's column; empty: the table's own
    QString column;
    bool descending = false;
    enum Nulls { NullsDefault, NullsFirst, NullsLast } nulls = NullsDefault;
};

// One item of `select=`, as PostgREST's grammar has it: a column
// (`alias:column`), `*`, or an embedded resource
// (`alias:relation!hint!inner(items)`, `...relation(items)` for a spread).
struct SelectItem
{
    enum class Kind { Column, Star, Embed };
    Kind kind = Kind::Column;
    QString name;                // the column, or the relation (table, constraint or column)
    QString alias;               // empty: none
    // Embed only:
    QString hint;                // !hint: a constraint, column or junction table; empty: none
    bool inner = false;          // !inner: rows without a match are left out
    bool spread = false;         // ...relation(...): its columns become the parent's
    QList<SelectItem> children;  // empty: an empty embed (`owners()`), not in the answer

    static constexpr int MaxDepth = 16; // embeds nest at most this deep
};

// The filters, order and range of one embedded resource, from query keys
// with its path: `owners.name=eq.Ann`, `roles.actors.order=name`,
// `films.limit=2`. The path holds names or aliases, from the top.
struct EmbedQuery
{
    QStringList path;
    QList<Filter> filters;
    QList<FilterTree> logic;
    QList<OrderTerm> order;
    qint64 limit = -1;
    qint64 offset = 0;
};

// A request to /query/<table>[/<key>...] parsed into a plain object, before
// any name is checked against the schema: SQL is built from this, never from
// the client's strings.
struct ApiRequest
{
    // What the request does to the table (GET/HEAD, POST, PATCH, DELETE).
    // Not a change Action: reads change nothing, and an upsert's rows may
    // be created or updated.
    enum class Operation { Read, Create, Update, Delete };

    Operation operation = Operation::Read;
    bool headOnly = false;
    QString schema;                  // from Accept-Profile / Content-Profile, or the default
    QString table;
    QStringList keyPath;             // primary-key prefix from the path
    QList<Filter> filters;
    QList<FilterTree> logic;         // or=, and=; ANDed with the filters
    QStringList select;              // empty = all columns; the top-level items as written
    QList<SelectItem> selectItems;   // select= parsed; empty = all columns
    QList<EmbedQuery> embedQueries;  // embedded resources' filters, order, limit, offset
    QList<OrderTerm> order;
    qint64 limit = -1;               // -1 = none
    qint64 offset = 0;
    QStringList columns;             // `columns=` for inserts
    bool returnRepresentation = true;// Prefer: return=minimal turns it off
    // Prefer: count=exact | planned | estimated: the total in Content-Range.
    // planned is the planner's row estimate (EXPLAIN), which costs no scan;
    // estimated is exact up to EstimatedExactUpTo rows and planned above.
    enum class Count { None, Exact, Planned, Estimated };
    Count count = Count::None;
    static constexpr qint64 EstimatedExactUpTo = 1000;
    // The answer's media type, negotiated from Accept (negotiate()).
    enum class Media { Json, Csv, Object };
    Media media = Media::Json;
    bool singleObject = false;       // media == Object: application/vnd.pgrst.object+json
    bool stripNulls = false;         // ;nulls=stripped (array or object; reads and calls): no null fields
    bool mergeDuplicates = false;    // Prefer: resolution=merge-duplicates (upsert)
    bool ignoreDuplicates = false;   // Prefer: resolution=ignore-duplicates (rows whose key exists are skipped)
    bool missingDefault = false;     // Prefer: missing=default (a key a row lacks takes the column default)
    // Prefer: handling=strict refuses what it does not understand (PGRST122);
    // lenient, PostgREST's default, ignores it. NotGiven: neither was sent,
    // so neither is in Preference-Applied.
    enum class Handling { NotGiven, Lenient, Strict };
    Handling handling = Handling::NotGiven;
    // Prefer: max-affected=N; -1: not given. PostgREST 12 honours it only
    // with handling=strict, on PATCH and DELETE: maxAffectedApplies().
    qint64 maxAffected = -1;
    // Prefer: tx=commit|rollback, kept only when parse() was told the
    // configuration lets requests override db-tx-end (as PostgREST drops it).
    enum class Tx { NotGiven, Commit, Rollback };
    Tx tx = Tx::NotGiven;
    QByteArray body;

    // /query/rpc/<function>: a call (GET/HEAD or POST), planned by RpcPlan.
    bool rpc = false;
    QString function;
    // The arguments given as name=value pairs, in order: GET's query items
    // without an operator (the others are filters on the result, as in
    // PostgREST), or a POST's application/x-www-form-urlencoded body.
    QList<QPair<QString, QString>> rpcArguments;
    bool rpcFormBody = false;        // POST with a form body: rpcArguments, not JSON
    bool paramsSingleObject = false; // Prefer: params=single-object

    bool hasEmbeds() const;
    bool maxAffectedApplies() const;
    // The embed query for path, made when missing.
    EmbedQuery &embedQuery(const QStringList &path);

    // pathTail: the part after "/query/", still percent-encoded.
    // allowTxOverride: db-tx-end is commit-allow-override or
    // rollback-allow-override, so Prefer: tx= is kept.
    // PostgREST's content negotiation: Accept's media types in the order of
    // wai's parseHttpAccept (q-value, then specificity: parameters minus
    // wildcards; else as sent), the first one producible wins. rows: a
    // read or a call, which may also be CSV or strip nulls (a write's rows
    // are its events' too). nullopt: none can; asked gets the types as
    // PostgREST's PGRST107 lists them.
    static std::optional<Media> negotiate(const QByteArray &accept, bool rows, QByteArray *asked,
                                          bool *stripNulls = nullptr);

    static std::optional<ApiRequest> parse(const HttpRequest &http, QByteArrayView pathTail,
                                           const QStringList &schemas, ApiError *error, bool allowTxOverride = false);
};

} // namespace Aiodata::Server
