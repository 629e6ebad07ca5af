#pragma once

#include "schema/functioninfo.h"
#include "schema/relationship.h"

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
    QByteArray defaultExpression; // SQL of the column's default, from the catalog; empty: none
};

// A row-security policy that decides which rows a role may SELECT (FOR
// SELECT or FOR ALL), as the catalog has it.
struct RowPolicy
{
    QString name;
    bool permissive = true;     // false: AS RESTRICTIVE
    QList<quint32> roles;       // role OIDs; 0 is PUBLIC
    QByteArray usingExpression; // pg_get_expr of USING; empty: none (contributes nothing)
};

struct TableInfo
{
    QString schema;
    QString name;
    QList<ColumnInfo> columns;
    QStringList primaryKey;     // key column names in key order
    bool insertable = true;     // false for views that cannot take writes
    bool rowSecurity = false;   // row-level security on: events are filtered per subscriber
    // Row security details, loaded by rowSecuritySql() for tables with rowSecurity.
    bool replicaIdentityFull = false; // the WAL carries whole old rows of updates and deletes
    QList<RowPolicy> policies;        // SELECT and ALL policies
    QByteArray policyVersion;         // policyVersionSql()'s value when policies were read
    QList<ForeignKey> foreignKeys;    // to tables of the same schema, from foreignKeysSql()

    bool hasColumn(const QString &column) const { return this->column(column); }
    const ColumnInfo *column(const QString &name) const; // nullptr if there is none
};

// What the server knows of the exposed schemas: the names a request may use.
// Every identifier in SQL we build is first looked up here, so an unknown
// name is a 4xx before any SQL is sent.
class SchemaCache
{
public:
    // The description of one schema as JSON, built by PostgreSQL itself.
    // $1: schema name; $2: 'true' to list only tables the current role may
    // SELECT (GET / under the caller's role), 'false' for everything; $3: a
    // JSON array of table names to keep (GET / lists what the cache knows,
    // so it agrees with /query until the next reload), NULL for all.
    static QByteArray describeSql();
    // The tables of schema $1 the current role may SELECT, as a JSON array
    // of names, and a text that changes with any of its table privileges.
    static QByteArray readableTablesSql();

    // Row security details of one schema's tables with RLS, as JSON. Kept
    // apart from describeSql() because that description is served to
    // clients (GET /), and policy expressions are none of their business.
    // $1: schema name; $2: one table's name, or NULL for all with RLS.
    static QByteArray rowSecuritySql();
    // An expression that changes whenever the policies or the replica
    // identity of the table with OID classOid change (pg_policy rows' xmin):
    // a cheap way to tell that rowSecuritySql()'s answer is stale.
    static QByteArray policyVersionSql(const QByteArray &classOid);

    // The foreign keys among schema $1's tables, as JSON: kept apart from
    // describeSql() so that GET / stays as it was (it shows "references"
    // per column).
    static QByteArray foreignKeysSql();

    // Loads one schema from describeSql()'s JSON; false and *error on bad JSON.
    bool load(const QString &schema, const QByteArray &descriptionJson, QString *error = nullptr);
    // Merges rowSecuritySql()'s JSON into the tables already loaded; returns
    // the names of the tables it updated.
    QStringList loadRowSecurity(const QString &schema, const QByteArray &json);
    // Merges foreignKeysSql()'s JSON into the tables already loaded and
    // derives the schema's relationships (resource embedding).
    void loadForeignKeys(const QString &schema, const QByteArray &json);
    const TableInfo *table(const QString &schema, const QString &name) const;
    // The ways to embed other tables in this one, sorted as PostgREST sorts them.
    QList<Relationship> relationships(const QString &schema, const QString &table) const;
    QStringList tableNames(const QString &schema) const;
    // The functions of that name (its overloads), empty if there is none.
    QList<FunctionInfo> functions(const QString &schema, const QString &name) const;
    // describeSql()'s JSON as loaded: two loads describe the same schema
    // when these are equal.
    QByteArray description(const QString &schema) const { return m_descriptions.value(schema); }

private:
    QHash<QString, QHash<QString, TableInfo>> m_schemas;
    QHash<QString, QByteArray> m_descriptions;
    QHash<QString, QHash<QString, QList<FunctionInfo>>> m_functions;
    QHash<QString, QHash<QString, QList<Relationship>>> m_relationships;
};

} // namespace Aiodata::Server
