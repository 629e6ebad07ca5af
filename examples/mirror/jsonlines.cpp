#include "jsonlines.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

namespace Aiodata::Mirror::JsonLines {

static QByteArray compact(const QJsonValue &v)
{
    // QJsonDocument holds only arrays and objects: write [v] and take v.
    const QByteArray text = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return text.mid(1, text.size() - 2);
}

QByteArray value(const QVariant &value)
{
    // An invalid variant (a column a row lacks) and QVariant(nullptr) are both null.
    return compact(QJsonValue::fromVariant(value));
}

QByteArray row(const QStringList &columns, const QVariantMap &row)
{
    QByteArray out = "{";
    for (const QString &column : columns) {
        if (out.size() > 1)
            out += ',';
        out += compact(column) + ':' + value(row.value(column));
    }
    // Keys the schema does not list (none today) are kept, after the columns.
    for (auto it = row.cbegin(); it != row.cend(); ++it) {
        if (!columns.contains(it.key())) {
            if (out.size() > 1)
                out += ',';
            out += compact(it.key()) + ':' + value(it.value());
        }
    }
    return out + '}';
}

QByteArray rows(const QStringList &columns, const QVariantList &rows)
{
    QByteArray out = "[";
    for (const QVariant &r : rows) {
        if (out.size() > 1)
            out += ',';
        out += row(columns, r.toMap());
    }
    return out + ']';
}

QByteArray change(const QString &action, const QString &table, const QStringList &columns, const QVariantList &newRows,
                  const QVariantList &oldRows)
{
    return "{\"action\":" + compact(action) + ",\"table\":" + compact(table) + ",\"rows\":" + rows(columns, newRows)
        + ",\"old\":" + rows(columns, oldRows) + '}';
}

} // namespace Aiodata::Mirror::JsonLines
