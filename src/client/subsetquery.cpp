#include "subsetquery.h"

#include <QSet>
#include <QUrl>
#include <QUrlQuery>

namespace Aiodata::Internal {

QByteArray encodedQuery(const QString &query)
{
    QUrl url;
    url.setQuery(query, QUrl::TolerantMode);
    return url.query(QUrl::FullyEncoded).toUtf8();
}

TableSchema subsetSchema(const TableSchema &table, const QString &query)
{
    const QUrlQuery items(QString::fromUtf8(encodedQuery(query)));
    if (!items.hasQueryItem(QStringLiteral("select")))
        return table;
    QSet<QString> selected;
    const QStringList names = items.queryItemValue(QStringLiteral("select"), QUrl::FullyDecoded).split(QLatin1Char(','));
    for (const QString &name : names) {
        const QString column = name.trimmed();
        if (column == QLatin1String("*"))
            return table;
        selected.insert(column);
    }
    TableSchema schema = table;
    schema.columns.clear();
    for (const ColumnSchema &column : table.columns) {
        if (column.isPrimaryKey() || selected.contains(column.name))
            schema.columns.append(column);
    }
    return schema;
}

QByteArray fillQuery(const QString &query, const QStringList &columns)
{
    // On the encoded bytes: every other parameter keeps its exact encoding.
    QList<QByteArray> items = encodedQuery(query).split('&');
    for (QByteArray &item : items) {
        if (!item.startsWith("select="))
            continue;
        QByteArrayList names;
        for (const QString &column : columns)
            names.append(QUrl::toPercentEncoding(column));
        item = "select=" + names.join(',');
    }
    return items.join('&');
}

} // namespace Aiodata::Internal
