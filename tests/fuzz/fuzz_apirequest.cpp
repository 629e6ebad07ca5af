// ApiRequest::parse on a fuzzed HTTP request to /query/..., then
// SqlBuilder::build of the parsed request against a fixed table (pets);
// for /query/rpc/<function>, RpcPlan::plan against fixed functions (add,
// ints, pt, var, js, vv, by the path's name) and SqlBuilder::buildCall,
// checked by the same rules (identifiers: the function's and its
// parameters' and columns' names), and its arguments' values (query items,
// form fields) replaced must not change the SQL. A read with embedded
// resources is planned with EmbedPlan against a fixed schema cache (pets,
// owners, cities, licences, clubs and the junction memberships, with
// many-to-one, one-to-many, one-to-one, many-to-many and an ambiguous pair
// of keys from pets to owners) and checked by the same rules, its embedded
// filters' values replaced too.
//
// Input (text, one field per line; missing lines are empty):
//   METHOD
//   path after /query/ (percent-encoded, e.g. pets/Dog)
//   query string (e.g. select=name&color=gt.5&order=name.desc&limit=10)
//   Header-Name: value          (any number of lines: Prefer, Range,
//   ...                          Accept-Profile, Content-Profile, Accept
//                                (text/csv: the CSV statement);
//                                an input of odd size is parsed as if
//                                db-tx-end allowed Prefer: tx=)
//   (empty line)
//   body (JSON for POST/PATCH)
//
// Invariants of the built statement:
//   - no NUL byte, no ';' and no comment outside quotes, every quote closed;
//   - every quoted identifier is a known name (a column of pets, the schema,
//     the table; with embeds, the fixed schema's tables and columns) or an
//     alias the request's select= asked for (at any depth);
//   - the negotiated media agrees with singleObject, CSV only for reads and calls;
//   - string literals are the builder's own, $n refers to a parameter and
//     every parameter is used (PostgreSQL refuses unused ones);
//   - values (filter operands, in-lists, key path segments, values in or=/
//     and= trees) appear only as
//     bound parameters: replacing each of them with another string leaves
//     the SQL text byte for byte the same.

#include "rest/apirequest.h"
#include "rest/embedplan.h"
#include "fuzzsupport.h"
#include "http/httpserver.h"
#include "schema/schemacache.h"
#include "rest/rpcplan.h"
#include "rest/sqlbuilder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <cstddef>
#include <functional>
#include <cstdint>

using namespace Aiodata::Server;

namespace {

const QStringList Schemas = {QStringLiteral("api"), QStringLiteral("other")};

TableInfo petsTable(const QString &schema)
{
    TableInfo t;
    t.schema = schema;
    t.name = QStringLiteral("pets");
    // Defaults as the catalog gives them (missing=default builds them in).
    t.columns = {{QStringLiteral("type"), QStringLiteral("text"), {}},
                 {QStringLiteral("breed"), QStringLiteral("text"), {}},
                 {QStringLiteral("name"), QStringLiteral("text"), {}},
                 {QStringLiteral("color"), QStringLiteral("integer"), "(16777215 - 1)"},
                 {QStringLiteral("groomed"), QStringLiteral("boolean"), "false"},
                 {QStringLiteral("owner_id"), QStringLiteral("integer"), {}},
                 {QStringLiteral("vet_id"), QStringLiteral("integer"), {}}};
    t.primaryKey = {QStringLiteral("type"), QStringLiteral("breed"), QStringLiteral("name")};
    return t;
}

// The schema cache for embedding: pets (above) and the tables around it,
// loaded through the same JSON as describeSql() and foreignKeysSql() give.
const SchemaCache &embedSchema(const QString &schema)
{
    static QHash<QString, SchemaCache> caches;
    if (caches.contains(schema))
        return caches[schema];
    SchemaCache &cache = caches[schema];
    QJsonArray tables;
    const auto table = [&](const QString &name, const QStringList &columns, const QStringList &key) {
        QJsonArray cols;
        for (const QString &c : columns)
            cols.append(QJsonObject{{QStringLiteral("name"), c}, {QStringLiteral("type"), c.endsWith(QLatin1String("id")) ? QStringLiteral("integer") : QStringLiteral("text")}});
        tables.append(QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("kind"), QStringLiteral("table")},
                                  {QStringLiteral("primaryKey"), QJsonArray::fromStringList(key)}, {QStringLiteral("columns"), cols}});
    };
    const TableInfo pets = petsTable(schema);
    QJsonArray petColumns;
    for (const ColumnInfo &c : pets.columns)
        petColumns.append(QJsonObject{{QStringLiteral("name"), c.name}, {QStringLiteral("type"), c.type}});
    tables.append(QJsonObject{{QStringLiteral("name"), pets.name}, {QStringLiteral("kind"), QStringLiteral("table")},
                              {QStringLiteral("primaryKey"), QJsonArray::fromStringList(pets.primaryKey)},
                              {QStringLiteral("columns"), petColumns}});
    table(QStringLiteral("owners"), {QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("city_id")}, {QStringLiteral("id")});
    table(QStringLiteral("cities"), {QStringLiteral("id"), QStringLiteral("name")}, {QStringLiteral("id")});
    table(QStringLiteral("licences"), {QStringLiteral("owner_id"), QStringLiteral("number")}, {QStringLiteral("owner_id")});
    table(QStringLiteral("clubs"), {QStringLiteral("id"), QStringLiteral("name")}, {QStringLiteral("id")});
    table(QStringLiteral("memberships"), {QStringLiteral("owner_id"), QStringLiteral("club_id"), QStringLiteral("since")},
          {QStringLiteral("owner_id"), QStringLiteral("club_id")});
    cache.load(schema, QJsonDocument(QJsonObject{{QStringLiteral("tables"), tables}}).toJson());
    const auto key = [](const char *table, const char *name, const char *column, const char *foreign, const char *foreignColumn, bool unique) {
        return QJsonObject{{QStringLiteral("table"), QLatin1String(table)}, {QStringLiteral("name"), QLatin1String(name)},
                           {QStringLiteral("columns"), QJsonArray{QLatin1String(column)}},
                           {QStringLiteral("foreignTable"), QLatin1String(foreign)},
                           {QStringLiteral("foreignColumns"), QJsonArray{QLatin1String(foreignColumn)}},
                           {QStringLiteral("unique"), unique}};
    };
    const QJsonArray keys = {key("pets", "pets_owner_id_fkey", "owner_id", "owners", "id", false),
                             key("pets", "pets_vet_id_fkey", "vet_id", "owners", "id", false),
                             key("owners", "owners_city_id_fkey", "city_id", "cities", "id", false),
                             key("licences", "licences_owner_id_fkey", "owner_id", "owners", "id", true),
                             key("memberships", "memberships_owner_id_fkey", "owner_id", "owners", "id", false),
                             key("memberships", "memberships_club_id_fkey", "club_id", "clubs", "id", false)};
    cache.loadForeignKeys(schema, QJsonDocument(keys).toJson());
    return cache;
}

// The functions of the fixed schema (as tests/integration/tst_rpc.cpp
// creates them in PostgreSQL).
QList<FunctionInfo> functions(const QString &schema, const QString &name)
{
    using P = FunctionParam;
    auto make = [&](const QString &fn, QList<P> params, const QString &type, FunctionInfo::Result result, bool set,
                    QList<FunctionColumn> columns = {}) {
        FunctionInfo f;
        f.schema = schema;
        f.name = fn;
        f.params = params;
        f.resultType = type;
        f.result = result;
        f.returnsSet = set;
        f.resultColumns = columns;
        return f;
    };
    const QString i = QStringLiteral("integer");
    const QList<FunctionInfo> all = {
        make(QStringLiteral("add"), {P{QStringLiteral("a"), i}, P{QStringLiteral("b"), i}}, i, FunctionInfo::Result::Scalar, false),
        make(QStringLiteral("add"), {P{QStringLiteral("a"), i}, P{QStringLiteral("b"), i}, P{QStringLiteral("c"), i}}, i,
             FunctionInfo::Result::Scalar, false),
        make(QStringLiteral("ints"), {P{QStringLiteral("n"), i, true}}, i, FunctionInfo::Result::Scalar, true),
        make(QStringLiteral("pt"), {}, QStringLiteral("record"), FunctionInfo::Result::Composite, true,
             {{QStringLiteral("x"), i}, {QStringLiteral("y"), QStringLiteral("text")}}),
        make(QStringLiteral("var"), {P{QStringLiteral("v"), QStringLiteral("text[]"), true, true}}, QStringLiteral("text[]"),
             FunctionInfo::Result::Scalar, false),
        make(QStringLiteral("js"), {P{QString(), QStringLiteral("json")}}, QStringLiteral("json"), FunctionInfo::Result::Scalar, false),
        make(QStringLiteral("vv"), {}, QStringLiteral("void"), FunctionInfo::Result::Void, false),
    };
    QList<FunctionInfo> out;
    for (const FunctionInfo &f : all) {
        if (f.name == name)
            out.append(f);
    }
    return out;
}

HttpRequest requestFrom(const QByteArray &input)
{
    HttpRequest http;
    qsizetype pos = 0;
    auto nextLine = [&](bool *hadLine = nullptr) {
        const qsizetype end = input.indexOf('\n', pos);
        if (hadLine)
            *hadLine = pos < input.size();
        const QByteArray line = input.mid(pos, end < 0 ? -1 : end - pos);
        pos = end < 0 ? input.size() : end + 1;
        return line;
    };
    http.method = nextLine();
    const QByteArray tail = nextLine();
    http.query = nextLine();
    http.path = "/query/" + tail;
    http.target = http.query.isEmpty() ? http.path : http.path + '?' + http.query;
    for (;;) {
        bool hadLine = false;
        const QByteArray line = nextLine(&hadLine);
        if (!hadLine || line.isEmpty())
            break;
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            http.headers.append({line, QByteArray()});
        else
            http.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    http.body = input.mid(pos);
    return http;
}

void replaceValue(Filter &f)
{
    if (f.op == QLatin1String("is"))
        return; // null/true/...: checked by the parser, picks the SQL test
    f.value = QStringLiteral("V\"'$1;--");
    for (QString &v : f.values)
        v = QStringLiteral("W\"'$2");
}

void replaceValues(FilterTree &tree)
{
    replaceValue(tree.filter);
    for (FilterTree &child : tree.children)
        replaceValues(child);
}

// The request with every value replaced by another string (and the number
// of values kept): the statement must not change.
ApiRequest withOtherValues(ApiRequest r)
{
    for (QString &k : r.keyPath)
        k = QStringLiteral("K\"'$1;--");
    for (Filter &f : r.filters)
        replaceValue(f);
    for (FilterTree &tree : r.logic)
        replaceValues(tree);
    for (EmbedQuery &q : r.embedQueries) {
        for (Filter &f : q.filters)
            replaceValue(f);
        for (FilterTree &tree : q.logic)
            replaceValues(tree);
    }
    return r;
}

// The aliases of select= at any depth.
void addAliases(const QList<SelectItem> &items, QSet<QByteArray> *known)
{
    for (const SelectItem &item : items) {
        if (!item.alias.isEmpty())
            known->insert(item.alias.toUtf8());
        addAliases(item.children, known);
    }
}

// How deep the tree nests; checks that no group is empty and that leaves have no children.
int checkedDepth(const FilterTree &tree, const QByteArray &input)
{
    FUZZ_CHECK((tree.kind == FilterTree::Kind::Leaf) == tree.children.isEmpty(),
               "an empty group, or a leaf with children, in a logic tree\ninput: " + input);
    int deepest = 0;
    for (const FilterTree &child : tree.children)
        deepest = qMax(deepest, checkedDepth(child, input));
    return deepest + 1;
}

// Splits SQL into quoted identifiers, string literals and the rest; checks
// the rest (the statement's skeleton) on the way.
struct Scanned
{
    QList<QByteArray> identifiers;
    QList<QByteArray> literals;
    QSet<int> params;
};

Scanned scan(const QByteArray &sql)
{
    Scanned out;
    for (qsizetype i = 0; i < sql.size(); ++i) {
        const char c = sql.at(i);
        FUZZ_CHECK(c != '\0', "NUL byte in SQL: " + sql);
        if (c == '"' || c == '\'') {
            QByteArray text;
            qsizetype j = i + 1;
            for (;; ++j) {
                FUZZ_CHECK(j < sql.size(), "unterminated quote in SQL: " + sql);
                if (sql.at(j) == c) {
                    if (j + 1 < sql.size() && sql.at(j + 1) == c) {
                        text += c;
                        ++j;
                        continue;
                    }
                    break;
                }
                text += sql.at(j);
            }
            (c == '"' ? out.identifiers : out.literals).append(text);
            i = j;
            continue;
        }
        FUZZ_CHECK(c != ';', "';' in SQL: " + sql);
        FUZZ_CHECK(!(c == '-' && i + 1 < sql.size() && sql.at(i + 1) == '-'), "comment in SQL: " + sql);
        FUZZ_CHECK(!(c == '/' && i + 1 < sql.size() && sql.at(i + 1) == '*'), "comment in SQL: " + sql);
        FUZZ_CHECK(c != '\\', "backslash in SQL: " + sql);
        if (c == '$') {
            qsizetype j = i + 1;
            while (j < sql.size() && sql.at(j) >= '0' && sql.at(j) <= '9')
                ++j;
            FUZZ_CHECK(j > i + 1, "'$' without a parameter number (dollar quoting?) in SQL: " + sql);
            out.params.insert(sql.mid(i + 1, j - i - 1).toInt());
            i = j - 1;
        }
    }
    return out;
}

void checkStatement(const ApiRequest &r, const TableInfo &table, const PgStatement &statement, const QByteArray &input,
                    const SchemaCache *schema = nullptr)
{
    const QByteArray &sql = statement.sql;
    const QByteArray context = "\nSQL: " + sql + "\ninput: " + input;
    const Scanned s = scan(sql);

    QSet<QByteArray> known = {table.schema.toUtf8(), table.name.toUtf8()};
    for (const ColumnInfo &c : table.columns)
        known.insert(c.name.toUtf8());
    if (schema) {
        // Embedded resources: the schema's tables and columns, and every alias and relation name.
        for (const QString &name : schema->tableNames(table.schema)) {
            known.insert(name.toUtf8());
            for (const ColumnInfo &c : schema->table(table.schema, name)->columns)
                known.insert(c.name.toUtf8());
        }
        addAliases(r.selectItems, &known);
        std::function<void(const QList<SelectItem> &)> relations = [&](const QList<SelectItem> &items) {
            for (const SelectItem &item : items) {
                if (item.kind == SelectItem::Kind::Embed)
                    known.insert(item.name.toUtf8());
                relations(item.children);
            }
        };
        relations(r.selectItems);
    }
    for (const QString &item : r.select) {
        const qsizetype colon = item.indexOf(QLatin1Char(':'));
        if (colon >= 0)
            known.insert(item.left(colon).toUtf8()); // alias:column
    }
    for (const QByteArray &id : s.identifiers)
        FUZZ_CHECK(known.contains(id), "unknown identifier \"" + id + '"' + context);

    // The builder's own: json's, max-affected's setting name, CSV's separator and empty text.
    static const QSet<QByteArray> literals = {"[]", "null", SqlBuilder::affectedSetting, ",", ""};
    for (const QByteArray &l : s.literals)
        FUZZ_CHECK(literals.contains(l), "unexpected literal '" + l + '\'' + context);

    for (int n : s.params)
        FUZZ_CHECK(n >= 1 && n <= statement.params.size(), "$" + QByteArray::number(n) + " has no parameter" + context);
    for (qsizetype n = 1; n <= statement.params.size(); ++n)
        FUZZ_CHECK(s.params.contains(int(n)), "parameter $" + QByteArray::number(n) + " is not used" + context);
}

void checkCall(const ApiRequest &r, const QByteArray &input)
{
    FUZZ_CHECK(!r.function.isEmpty(), "an rpc request without a function\ninput: " + input);
    FUZZ_CHECK(r.operation == ApiRequest::Operation::Read || r.operation == ApiRequest::Operation::Create,
               "an rpc request that is neither GET nor POST\ninput: " + input);
    ApiError error;
    const std::optional<RpcCall> call = RpcPlan::plan(r, functions(r.schema, r.function), &error);
    if (!call) {
        FUZZ_CHECK((error.status >= 400 && error.status < 500) || error.status == 300,
                   "plan error with status " + QByteArray::number(error.status) + "\ninput: " + input);
        return;
    }
    FUZZ_CHECK(call->function.name == r.function, "planned another function\ninput: " + input);
    ApiError buildError;
    const std::optional<PgStatement> statement = SqlBuilder::buildCall(r, *call, &buildError);
    if (!statement) {
        FUZZ_CHECK(buildError.status >= 400 && buildError.status < 500, "build error with status "
                   + QByteArray::number(buildError.status) + "\ninput: " + input);
        return;
    }
    TableInfo names = call->function.resultTable();
    for (const FunctionParam &p : call->function.params)
        names.columns.append({p.name, p.type, {}});
    checkStatement(r, names, *statement, input);

    // Other values for the filters and the name=value arguments: the same SQL.
    ApiRequest other = withOtherValues(r);
    for (auto &argument : other.rpcArguments)
        argument.second = QStringLiteral("A\"'$1;--");
    const std::optional<RpcCall> otherCall = RpcPlan::plan(other, functions(r.schema, r.function), &error);
    FUZZ_CHECK(otherCall.has_value(), "argument values changed whether the call is planned\ninput: " + input);
    const std::optional<PgStatement> otherStatement = SqlBuilder::buildCall(other, *otherCall, &buildError);
    FUZZ_CHECK(otherStatement.has_value() && otherStatement->sql == statement->sql,
               "values changed the call's SQL text\ninput: " + input);
}

// A request with embedded resources: planned against the fixed schema,
// then built and checked as any; values must not change the SQL.
void checkEmbeds(const ApiRequest &r, const QByteArray &input)
{
    const SchemaCache &schema = embedSchema(r.schema);
    const TableInfo table = petsTable(r.schema);
    ApiError error;
    const std::optional<EmbedPlan> plan = EmbedPlan::plan(r, schema, table, &error);
    if (!plan) {
        FUZZ_CHECK((error.status >= 400 && error.status < 500) || error.status == 300,
                   "embed plan error with status " + QByteArray::number(error.status) + "\ninput: " + input);
        FUZZ_CHECK(!error.code.isEmpty() && !error.message.isEmpty(), "embed plan error without code or message\ninput: " + input);
        return;
    }
    SqlBuilder builder;
    const std::optional<PgStatement> statement = builder.build(r, table, &error, SqlBuilder::Rows::Needed, &*plan);
    if (!statement) {
        FUZZ_CHECK(error.status >= 400 && error.status < 500, "build error with status "
                   + QByteArray::number(error.status) + "\ninput: " + input);
        return;
    }
    checkStatement(r, table, *statement, input, &schema);
    if (r.operation == ApiRequest::Operation::Read) {
        ApiError plannedError;
        const std::optional<PgStatement> planned = SqlBuilder::buildPlannedCount(r, table, &plannedError, &*plan);
        FUZZ_CHECK(planned.has_value(), "the read builds but its planned count does not\ninput: " + input);
        checkStatement(r, table, *planned, input, &schema);
    }
    // A write's bare statement (return=minimal) binds none of the embeds' values.
    const std::optional<PgStatement> bare = builder.build(r, table, &error, SqlBuilder::Rows::NotNeeded, &*plan);
    FUZZ_CHECK(bare.has_value(), "builds with the rows but not without them\ninput: " + input);
    checkStatement(r, table, *bare, input, &schema);

    const ApiRequest other = withOtherValues(r);
    const std::optional<EmbedPlan> otherPlan = EmbedPlan::plan(other, schema, table, &error);
    FUZZ_CHECK(otherPlan.has_value(), "values changed whether the embeds are planned\ninput: " + input);
    const std::optional<PgStatement> otherStatement = builder.build(other, table, &error, SqlBuilder::Rows::Needed, &*otherPlan);
    FUZZ_CHECK(otherStatement.has_value() && otherStatement->sql == statement->sql,
               "values changed the SQL text of a read with embeds\ninput: " + input);
    FUZZ_CHECK(otherStatement->params.size() == statement->params.size(), "values changed the parameter count\ninput: " + input);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const HttpRequest http = requestFrom(input);
    const QByteArray tail = http.path.mid(7);

    ApiError error;
    // Half the inputs as with db-tx-end = *-allow-override, so Prefer: tx= is kept.
    const bool allowTxOverride = size % 2 == 1;
    const std::optional<ApiRequest> r = ApiRequest::parse(http, tail, Schemas, &error, allowTxOverride);
    if (!r) {
        FUZZ_CHECK(error.status >= 400 && error.status < 500, "parse error with status "
                   + QByteArray::number(error.status) + "\ninput: " + input);
        FUZZ_CHECK(!error.code.isEmpty() && !error.message.isEmpty(), "parse error without code or message\ninput: " + input);
        return 0;
    }
    FUZZ_CHECK(Schemas.contains(r->schema), "schema " + r->schema.toUtf8() + " accepted\ninput: " + input);
    FUZZ_CHECK(!r->table.isEmpty(), "empty table accepted\ninput: " + input);
    FUZZ_CHECK(r->limit >= -1 && r->offset >= 0, "negative limit/offset\ninput: " + input);
    FUZZ_CHECK(r->maxAffected >= -1, "negative max-affected\ninput: " + input);
    FUZZ_CHECK(!r->maxAffectedApplies() || r->handling == ApiRequest::Handling::Strict,
               "max-affected applied without handling=strict\ninput: " + input);
    FUZZ_CHECK(allowTxOverride || r->tx == ApiRequest::Tx::NotGiven, "tx= kept without an override\ninput: " + input);
    FUZZ_CHECK(r->singleObject == (r->media == ApiRequest::Media::Object), "singleObject and the media disagree\ninput: " + input);
    FUZZ_CHECK(r->media != ApiRequest::Media::Csv || r->operation == ApiRequest::Operation::Read || r->rpc,
               "CSV negotiated for a table write\ninput: " + input);
    for (const QString &k : r->keyPath)
        FUZZ_CHECK(!k.contains(QChar(0)), "NUL in a key path segment\ninput: " + input);
    for (const FilterTree &tree : r->logic) {
        FUZZ_CHECK(tree.kind != FilterTree::Kind::Leaf, "a leaf at the top of a logic tree\ninput: " + input);
        FUZZ_CHECK(checkedDepth(tree, input) <= FilterTree::MaxDepth + 1, "logic tree deeper than allowed\ninput: " + input);
    }

    if (r->rpc) {
        checkCall(*r, input);
        return 0;
    }
    FUZZ_CHECK(r->rpcArguments.isEmpty(), "call arguments on a table request\ninput: " + input);

    if (r->hasEmbeds() || !r->embedQueries.isEmpty()) {
        checkEmbeds(*r, input);
        return 0;
    }

    // Whatever table the path names, build against pets: the builder only
    // takes names from the TableInfo.
    const TableInfo table = petsTable(r->schema);
    SqlBuilder builder; // its INSERT cache lives for this input, as for one schema
    ApiError buildError;
    const std::optional<PgStatement> statement = builder.build(*r, table, &buildError);
    if (!statement) {
        FUZZ_CHECK(buildError.status >= 400 && buildError.status < 500, "build error with status "
                   + QByteArray::number(buildError.status) + "\ninput: " + input);
        return 0;
    }
    checkStatement(*r, table, *statement, input);
    if (r->operation == ApiRequest::Operation::Read) {
        // count=planned's EXPLAIN has the read's WHERE: it builds whenever the read does.
        ApiError plannedError;
        const std::optional<PgStatement> planned = SqlBuilder::buildPlannedCount(*r, table, &plannedError);
        FUZZ_CHECK(planned.has_value(), "the read builds but its planned count does not\ninput: " + input);
        checkStatement(*r, table, *planned, input);
    }
    // The bare write (return=minimal in wal mode) follows the same rules,
    // and the same requests build or fail with it.
    ApiError bareError;
    const std::optional<PgStatement> bare = builder.build(*r, table, &bareError, SqlBuilder::Rows::NotNeeded);
    FUZZ_CHECK(bare.has_value(), "builds with the rows but not without them\ninput: " + input);
    checkStatement(*r, table, *bare, input);

    ApiError otherError;
    const std::optional<PgStatement> other = builder.build(withOtherValues(*r), table, &otherError);
    FUZZ_CHECK(other.has_value(), "values changed whether the statement builds\ninput: " + input);
    FUZZ_CHECK(other->sql == statement->sql,
               "values changed the SQL text:\n" + statement->sql + "\n" + other->sql + "\ninput: " + input);
    FUZZ_CHECK(other->params.size() == statement->params.size(), "values changed the parameter count\ninput: " + input);
    return 0;
}
