#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace Aiodata::Server {

struct TableInfo;

// A foreign key of a table, as the catalog has it: its columns reference
// foreignColumns (same order) of foreignTable, in the same schema.
struct ForeignKey
{
    QString name;           // the constraint
    QStringList columns;
    QString foreignTable;
    QStringList foreignColumns;
    bool unique = false;    // the columns are the table's primary key or a unique constraint
};

// A way to embed foreignTable in table, found from the foreign keys as
// PostgREST finds them (SchemaCache.hs): a foreign key is many-to-one from
// its table (one-to-one when its columns are unique) and one-to-many the
// other way; a table whose primary key holds two foreign keys' columns
// joins their tables many-to-many.
struct Relationship
{
    // In PostgREST's order: relationships sort by foreign table, then this.
    enum class Cardinality { OneToMany, ManyToOne, OneToOne, ManyToMany };

    QString table;
    QString foreignTable;
    Cardinality cardinality = Cardinality::ManyToOne;
    bool isSelf = false;        // table == foreignTable
    // Direct: the foreign key's name and its (table column, foreignTable column) pairs.
    QString constraint;
    QList<QPair<QString, QString>> columns;
    bool parent = false;        // one-to-one: table is the referenced side
    // Many-to-many: the junction table, its foreign key to table (source)
    // and to foreignTable (target), and their (table or foreignTable column,
    // junction column) pairs.
    QString junction;
    QString junctionSourceConstraint;
    QString junctionTargetConstraint;
    QList<QPair<QString, QString>> junctionSource;
    QList<QPair<QString, QString>> junctionTarget;

    bool toOne() const { return cardinality == Cardinality::ManyToOne || cardinality == Cardinality::OneToOne; }
    // "many-to-one", ..., as PostgREST's errors name them.
    QString cardinalityName() const;
    // PostgREST's PGRST201 detail: "pets_owner_id_fkey using pets(owner_id) and owners(id)".
    QString description() const;
    // The hint that picks this one: the constraint, or the junction table.
    QString hintName() const { return cardinality == Cardinality::ManyToMany ? junction : constraint; }

    // Every relationship among the tables of one schema, by table, sorted
    // as PostgREST sorts them.
    static QHash<QString, QList<Relationship>> derive(const QList<const TableInfo *> &tables);
};

} // namespace Aiodata::Server
