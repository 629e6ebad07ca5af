#include "fanout/clientmessage.h"

#include "protocol/messages.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Aiodata::Server {

namespace P = Aiodata::Protocol;

ClientMessage ClientMessage::parse(const QByteArray &message)
{
    ClientMessage m;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(message, &error);
    if (!doc.isObject()) {
        m.problem = QStringLiteral("A message on /state must be a JSON object");
        return m;
    }
    const QJsonObject o = doc.object();
    const QJsonValue id = o.value(P::Field::Id);
    m.id = id.toString();
    if (!id.isString() || m.id.isEmpty() || m.id.size() > MaxIdLength) {
        m.problem = QStringLiteral("\"id\" must be a string of 1 to %1 characters").arg(MaxIdLength);
        m.id.clear();
        return m;
    }
    const QString type = o.value(P::Field::Type).toString();
    if (type == P::MessageType::Unsubscribe) {
        m.kind = Kind::Unsubscribe;
        return m;
    }
    if (type != P::MessageType::Subscribe) {
        m.problem = QStringLiteral("\"type\" must be \"subscribe\" or \"unsubscribe\"");
        return m;
    }
    const QJsonValue table = o.value(P::Field::Table);
    const QJsonValue query = o.value(P::Field::Query);
    if (!table.isString() || table.toString().isEmpty()) {
        m.problem = QStringLiteral("\"table\" must be a table's name");
        return m;
    }
    if (!query.isString() && !query.isUndefined()) {
        m.problem = QStringLiteral("\"query\" must be a string (a PostgREST query string)");
        return m;
    }
    m.kind = Kind::Subscribe;
    m.table = table.toString();
    m.query = query.toString().toUtf8();
    return m;
}

} // namespace Aiodata::Server
