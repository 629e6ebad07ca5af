#pragma once

#include <QByteArray>
#include <QStringList>
#include <QVariantList>

namespace Aiodata::Mirror {

// The JSON text aiodata-mirror prints: rows as objects in the table's column
// order (a QJsonObject would sort the keys), values as QJsonValue gives them
// from the model's variants (the REST API's JSON), compact, one line each.
namespace JsonLines {

QByteArray value(const QVariant &value);
QByteArray row(const QStringList &columns, const QVariantMap &row);
QByteArray rows(const QStringList &columns, const QVariantList &rows);
// {"action": ..., "table": ..., "rows": [...], "old": [...]}
QByteArray change(const QString &action, const QString &table, const QStringList &columns, const QVariantList &rows,
                  const QVariantList &oldRows);

} // namespace JsonLines
} // namespace Aiodata::Mirror
