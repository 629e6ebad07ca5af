#pragma once

#include "aiodata_export.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace Aiodata {

// One column of a table as the server's schema description (GET /) gives it.
struct AIODATA_EXPORT ColumnSchema
{
    QString name;
    QString type;             // PostgreSQL's format_type(), e.g. "integer", "text[]"
    int primaryKeyIndex = -1; // position in the primary key, -1 if not part of it
    int arrayDimensions = 0;
    bool nullable = true;
    bool hasDefault = false;
    QString comment;
    QString referencedTable;  // foreign key target, empty if none
    QString referencedColumn;

    bool isPrimaryKey() const { return primaryKeyIndex >= 0; }
};

// A table of the exposed schema and what the caller's role may do with it.
class AIODATA_EXPORT TableSchema
{
public:
    QString name;
    QString comment;
    QList<ColumnSchema> columns;
    QStringList primaryKey;   // key column names in key order
    bool canSelect = false;
    bool canInsert = false;
    bool canUpdate = false;
    bool canDelete = false;

    int columnIndex(const QString &column) const; // -1 if absent
    QList<int> primaryKeyColumns() const;         // column indexes in key order
    bool hasPrimaryKey() const { return !primaryKey.isEmpty(); }

    static TableSchema fromJson(const QJsonObject &table);
};

} // namespace Aiodata
