// A message a /state subscriber sends (docs/protocol.md, "Subsets"):
// ClientMessage::parse, then for a subscribe SubsetPlanner::plan against a
// fixed schema (items: id, kind, price, tags; pets: the three-column key),
// as the server does for every text message it receives.
//
// Input: the message's bytes.
//
// Invariants:
//   - a subscribe has an id of 1 to 64 characters and a table; an invalid
//     message says what is wrong;
//   - a planned subset is of a known table, keeps its key columns among the
//     selected ones, and its condition refers to no parameter it lacks
//     ($2 onwards) and uses every one, also once shifted;
//   - a refusal carries a code and a message.

#include "fanout/clientmessage.h"
#include "fuzzsupport.h"
#include "pg/pgsql.h"
#include "rest/subsetplanner.h"
#include "schema/schemacache.h"

#include <QRegularExpression>
#include <QSet>

#include <cstddef>
#include <cstdint>

using namespace Aiodata::Server;

namespace {

const char Description[] = R"({"schema":"api","tables":[
 {"name":"items","kind":"table","primaryKey":["id"],"columns":[{"name":"id","type":"integer"},
  {"name":"kind","type":"text"},{"name":"price","type":"numeric"},{"name":"tags","type":"text[]"}]},
 {"name":"pets","kind":"table","primaryKey":["type","breed","name"],"columns":[{"name":"type","type":"text"},
  {"name":"breed","type":"text"},{"name":"name","type":"text"},{"name":"color","type":"integer"}]},
 {"name":"nokey","kind":"table","primaryKey":[],"columns":[{"name":"a","type":"text"}]}]})";

const SchemaCache &schema()
{
    static const SchemaCache cache = [] {
        SchemaCache c;
        QString error;
        if (!c.load(QStringLiteral("api"), QByteArray(Description), &error))
            FUZZ_CHECK(false, error.toUtf8());
        return c;
    }();
    return cache;
}

SubscriberContext subscriber()
{
    SubscriberContext s;
    s.role = QStringLiteral("anon");
    s.schema = QStringLiteral("api");
    s.readableTables = {QStringLiteral("items"), QStringLiteral("pets"), QStringLiteral("nokey")};
    s.selective = true;
    return s;
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
    const ClientMessage m = ClientMessage::parse(input);
    if (m.kind == ClientMessage::Kind::Invalid) {
        FUZZ_CHECK(!m.problem.isEmpty(), input);
        return 0;
    }
    FUZZ_CHECK(!m.id.isEmpty() && m.id.size() <= ClientMessage::MaxIdLength, input);
    if (m.kind != ClientMessage::Kind::Subscribe)
        return 0;
    FUZZ_CHECK(!m.table.isEmpty(), input);
    ApiError error;
    const auto subset = SubsetPlanner::plan(schema(), subscriber(), m.id, m.table, m.query, &error);
    if (!subset) {
        FUZZ_CHECK(!error.code.isEmpty() && !error.message.isEmpty(), input);
        return 0;
    }
    const TableInfo *table = schema().table(QStringLiteral("api"), subset->table);
    FUZZ_CHECK(table != nullptr, input);
    FUZZ_CHECK(subset->key == table->primaryKey, input);
    for (const QString &k : subset->key)
        FUZZ_CHECK(subset->columns.isEmpty() || subset->columns.contains(k), input);
    // $1 is the caller's rows; the filter's values are $2 onwards, each used.
    QSet<int> used;
    static const QRegularExpression parameter(QStringLiteral("\\$(\\d+)"));
    auto it = parameter.globalMatch(QString::fromUtf8(subset->condition));
    while (it.hasNext())
        used.insert(it.next().captured(1).toInt());
    const int count = int(subset->params.size()) + 1;
    for (int n : std::as_const(used))
        FUZZ_CHECK(n >= 2 && n <= count, subset->condition);
    FUZZ_CHECK(used.size() == count - 1, subset->condition);
    // Shifted for a joined statement, the references move and nothing else.
    const QByteArray shifted = PgSql::shiftParameters(subset->condition, 10);
    FUZZ_CHECK(shifted.count('$') == subset->condition.count('$'), shifted);
    return 0;
}
