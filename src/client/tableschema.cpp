#include "tableschema.h"

#include "logging_p.h"

#include <QJsonArray>
#include <QJsonValue>

#include <algorithm>

namespace Aiodata {

int TableSchema::columnIndex(const QString &column) const
{
    for (qsizetype i = 0; i < columns.size(); ++i) {
        if (columns.at(i).name == column)
            return int(i);
    }
    return -1;
}

QList<int> TableSchema::primaryKeyColumns() const
{
    QList<int> result;
    result.reserve(primaryKey.size());
    for (const QString &column : primaryKey)
        result.append(columnIndex(column));
    return result;
}

TableSchema TableSchema::fromJson(const QJsonObject &table)
{
    TableSchema schema;
    schema.name = table.value(QLatin1String("name")).toString();
    schema.comment = table.value(QLatin1String("comment")).toString(); // null -> empty

    const QJsonObject privileges = table.value(QLatin1String("privileges")).toObject();
    schema.canSelect = privileges.value(QLatin1String("select")).toBool();
    schema.canInsert = privileges.value(QLatin1String("insert")).toBool();
    schema.canUpdate = privileges.value(QLatin1String("update")).toBool();
    schema.canDelete = privileges.value(QLatin1String("delete")).toBool();

    const QJsonArray columns = table.value(QLatin1String("columns")).toArray();
    schema.columns.reserve(columns.size());
    for (const QJsonValue &value : columns) {
        const QJsonObject object = value.toObject();
        ColumnSchema column;
        column.name = object.value(QLatin1String("name")).toString();
        column.type = object.value(QLatin1String("type")).toString();
        // The server counts key positions from 1 (pg_index's order); null = not in the key.
        const QJsonValue keyPosition = object.value(QLatin1String("primaryKey"));
        column.primaryKeyIndex = keyPosition.isDouble() ? keyPosition.toInt() - 1 : -1;
        column.arrayDimensions = object.value(QLatin1String("dims")).toInt();
        column.nullable = object.value(QLatin1String("nullable")).toBool(true);
        column.hasDefault = object.value(QLatin1String("hasDefault")).toBool();
        column.comment = object.value(QLatin1String("comment")).toString();
        const QJsonObject references = object.value(QLatin1String("references")).toObject();
        column.referencedTable = references.value(QLatin1String("table")).toString();
        column.referencedColumn = references.value(QLatin1String("column")).toString();
        schema.columns.append(column);
    }

    const QJsonValue primaryKey = table.value(QLatin1String("primaryKey"));
    if (primaryKey.isArray()) {
        for (const QJsonValue &column : primaryKey.toArray())
            schema.primaryKey.append(column.toString());
    } else {
        // No table-level list: rebuild it from the columns' key positions.
        QList<const ColumnSchema *> keyColumns;
        for (const ColumnSchema &column : std::as_const(schema.columns)) {
            if (column.isPrimaryKey())
                keyColumns.append(&column);
        }
        std::sort(keyColumns.begin(), keyColumns.end(), [](const ColumnSchema *a, const ColumnSchema *b) {
            return a->primaryKeyIndex < b->primaryKeyIndex;
        });
        for (const ColumnSchema *column : std::as_const(keyColumns))
            schema.primaryKey.append(column->name);
    }

    // The table-level list is authoritative for the order: keep the columns' indexes in line with it.
    for (ColumnSchema &column : schema.columns)
        column.primaryKeyIndex = int(schema.primaryKey.indexOf(column.name));

    for (const QString &column : std::as_const(schema.primaryKey)) {
        if (schema.columnIndex(column) < 0) {
            qCWarning(lcModel) << "table" << schema.name << "has key column" << column << "that it does not describe";
        }
    }
    return schema;
}

} // namespace Aiodata
