#pragma once

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

namespace Aiodata::Server::RowKeys {

// A row cut to its key columns: what deletes and the old rows of updates
// carry when the client must not, or need not, see more.
inline QJsonObject keyOnly(const QJsonObject &row, const QStringList &key)
{
    QJsonObject out;
    for (const QString &k : key)
        out.insert(k, row.value(k));
    return out;
}

inline QByteArray toJson(const QJsonArray &rows)
{
    return QJsonDocument(rows).toJson(QJsonDocument::Compact);
}

} // namespace Aiodata::Server::RowKeys
