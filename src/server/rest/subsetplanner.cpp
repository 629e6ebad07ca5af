#include "rest/subsetplanner.h"

#include "rest/apirequest.h"
#include "rest/sqlbuilder.h"
#include "schema/schemacache.h"

#include <QUrl>

#include <algorithm>

namespace Aiodata::Server {

std::optional<Subset> SubsetPlanner::plan(const SchemaCache &schema, const SubscriberContext &subscriber, const QString &id,
                                          const QString &table, const QByteArray &query, ApiError *error)
{
    // The same parse as GET /query/<table>?<query>, so the grammar and its
    // errors are the REST API's.
    if (!subscriber.selective) {
        *error = ApiError::subsetNeedsSelectiveStream();
        return std::nullopt;
    }
    const QByteArray tail = QUrl::toPercentEncoding(table);
    HttpRequest http;
    http.method = "GET";
    http.path = "/query/" + tail;
    http.query = query;
    http.target = http.path + (query.isEmpty() ? QByteArray() : '?' + query);
    http.headers.append({QByteArray("Accept-Profile"), subscriber.schema.toUtf8()});
    const auto request = ApiRequest::parse(http, tail, {subscriber.schema}, error);
    if (!request)
        return std::nullopt;
    if (request->rpc || !request->keyPath.isEmpty()) {
        *error = ApiError::invalidPath();
        return std::nullopt;
    }
    // A live subset holds rows of one table: an embed would need the
    // related tables' changes too.
    const bool embeds = !request->embedQueries.isEmpty()
        || std::any_of(request->selectItems.cbegin(), request->selectItems.cend(),
                       [](const SelectItem &item) { return item.kind == SelectItem::Kind::Embed; });
    if (embeds) {
        *error = ApiError::subsetUnsupported(QStringLiteral("Embedding a related resource"));
        return std::nullopt;
    }
    if (!request->order.isEmpty()) {
        *error = ApiError::subsetUnsupported(QStringLiteral("order"));
        return std::nullopt;
    }
    if (request->limit >= 0 || request->offset > 0) {
        *error = ApiError::subsetUnsupported(QLatin1String(request->limit >= 0 ? "limit" : "offset"));
        return std::nullopt;
    }
    // What the role may not read is not there, as for GET.
    const TableInfo *info = schema.table(subscriber.schema, request->table);
    if (!info || !subscriber.readableTables.contains(request->table)) {
        *error = ApiError::tableNotFound(subscriber.schema, request->table);
        return std::nullopt;
    }
    if (info->primaryKey.isEmpty()) {
        *error = ApiError::subsetUnsupported(QStringLiteral("A table without a primary key"));
        return std::nullopt;
    }
    Subset subset;
    subset.id = id;
    subset.table = info->name;
    subset.key = info->primaryKey;
    subset.query = query;
    bool all = request->select.isEmpty();
    for (const QString &item : request->select) {
        if (item == QLatin1String("*")) {
            all = true;
        } else if (item.contains(QLatin1Char(':'))) {
            *error = ApiError::subsetUnsupported(QStringLiteral("Renaming a column (%1)").arg(item));
            return std::nullopt;
        } else if (!info->hasColumn(item)) {
            *error = ApiError::undefinedColumn(info->name, item);
            return std::nullopt;
        }
    }
    if (!all) {
        // Table order; the key always, so rows can be told apart.
        for (const ColumnInfo &c : info->columns) {
            if (request->select.contains(c.name) || info->primaryKey.contains(c.name))
                subset.columns.append(c.name);
        }
    }
    const auto condition = SqlBuilder::buildRowCondition(*request, *info, error);
    if (!condition)
        return std::nullopt;
    subset.condition = condition->sql;
    subset.params = condition->params.mid(1);
    subset.filterKey = subset.condition;
    for (const QByteArray &p : std::as_const(subset.params))
        subset.filterKey += '\0' + QByteArray::number(p.size()) + ':' + p;
    return subset;
}

SubsetRefusal SubsetPlanner::refusal(const ApiError &error)
{
    return SubsetRefusal{QString::fromUtf8(error.code), error.message, error.details, error.hint};
}

} // namespace Aiodata::Server
