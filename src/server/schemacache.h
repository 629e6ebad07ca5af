#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace Aiodata::Server {

struct ColumnInfo
{
    QString name;
    QString type;
};

struct TableInfo
{
    QString schema;
    QString name;
    QList<ColumnInfo> columns;
    QStringList primaryKey;     // key column names in key order
    bool insertable = true;     // false for views that cannot take writes
    bool rowSecurity = false;   // row-level security on: events are filtered per subscriber

    bool hasColumn(const QString &column) const;
};

// What the server knows of the exposed schemas: the names a request may use.
// Every identifier in SQL we build is first looked up here, so an unknown
// name is a 4xx before any SQL is sent.
class SchemaCache
{
public:
    // The description of one schema as JSON, built by PostgreSQL itself.
    // $1: schema name; $2: 'true' to list only tables the current role may
    // SELECT (GET / under the caller's role), 'false' for everything.
    static QByteArray describeSql();

    // Loads one schema from describeSql()'s JSON; false and *error on bad JSON.
    bool load(const QString &schema, const QByteArray &descriptionJson, QString *error = nullptr);
    const TableInfo *table(const QString &schema, const QString &name) const;
    QStringList tableNames(const QString &schema) const;

private:
    QHash<QString, QHash<QString, TableInfo>> m_schemas;
};

} // namespace Aiodata::Server
