#pragma once

// The /state WebSocket's vocabulary (docs/protocol.md), shared by the
// server's encoder (fanout/) and the client's decoder (src/client/):
// header-only, not installed. A name is written here once; both sides use
// these constants, so they cannot drift apart.

#include <QLatin1String>
#include <QStringView>

#include <optional>

namespace Aiodata::Protocol {

// What happened to a table's rows: the one change vocabulary of the
// project, from the WAL decoder to the client's model.
enum class Action { Create, Update, Delete, Truncate };

constexpr QLatin1String actionName(Action action)
{
    switch (action) {
    case Action::Create: return QLatin1String("create");
    case Action::Update: return QLatin1String("update");
    case Action::Delete: return QLatin1String("delete");
    case Action::Truncate: return QLatin1String("truncate");
    }
    return QLatin1String();
}

inline std::optional<Action> actionFromName(QStringView name)
{
    for (Action a : {Action::Create, Action::Update, Action::Delete, Action::Truncate}) {
        if (name == actionName(a))
            return a;
    }
    return std::nullopt;
}

// Message types ("type"), server to client.
namespace MessageType {
constexpr QLatin1String Hello("hello");             // first message: position, epoch, resumed
constexpr QLatin1String Event("event");             // a transaction with one visible change
constexpr QLatin1String Transaction("transaction"); // a transaction with several ("events")
constexpr QLatin1String Schema("schema");           // the schema or the role's privileges changed
constexpr QLatin1String Position("position");       // nothing visible committed up to seq: resume from there
constexpr QLatin1String Subscribed("subscribed");   // a subset's changes follow from here on
constexpr QLatin1String SubscriptionError("subscriptionError"); // a subscribe was refused: code, message, ...
constexpr QLatin1String Unsubscribed("unsubscribed"); // no change of the subset follows
// Client to server.
constexpr QLatin1String Subscribe("subscribe");     // id, table, query: a subset of a table
constexpr QLatin1String Unsubscribe("unsubscribe"); // id
} // namespace MessageType

// Member names of the messages.
namespace Field {
constexpr QLatin1String Type("type");
constexpr QLatin1String Seq("seq");           // stream position (commit LSN or a counter)
constexpr QLatin1String Xid("xid");           // PostgreSQL transaction id, low 32 bits
constexpr QLatin1String Epoch("epoch");       // hello: what positions are comparable within
constexpr QLatin1String Resumed("resumed");   // hello: the missed transactions follow
constexpr QLatin1String Role("role");         // hello
constexpr QLatin1String Source("source");     // hello: "wal" or "own"
constexpr QLatin1String Events("events");     // transaction: its changes
constexpr QLatin1String Action("action");
constexpr QLatin1String Schema("schema");
constexpr QLatin1String Table("table");
constexpr QLatin1String Rows("rows");
constexpr QLatin1String Old("old");           // update: the old rows, pairing with rows
constexpr QLatin1String Subset("subset");     // a change of a subset: its id
constexpr QLatin1String Id("id");             // subscribe, subscribed, ...: the subset's id
constexpr QLatin1String Query("query");       // subscribe: PostgREST query string
constexpr QLatin1String Code("code");         // subscriptionError: as the REST API's error
constexpr QLatin1String Message("message");
constexpr QLatin1String Details("details");
constexpr QLatin1String Hint("hint");
} // namespace Field

// Query parameters of GET /state?since=<seq>&epoch=<epoch>: resume after
// the client's last applied transaction.
namespace StateQuery {
constexpr QLatin1String Since("since");
constexpr QLatin1String Epoch("epoch");
constexpr QLatin1String Tables("tables"); // a selective stream: the whole tables it carries
} // namespace StateQuery

} // namespace Aiodata::Protocol
