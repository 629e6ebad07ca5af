#include "schema/relationship.h"

#include "schema/schemacache.h"

#include <QSet>

#include <algorithm>
#include <tuple>

namespace Aiodata::Server {

QString Relationship::cardinalityName() const
{
    switch (cardinality) {
    case Cardinality::OneToMany:
        return QStringLiteral("one-to-many");
    case Cardinality::ManyToOne:
        return QStringLiteral("many-to-one");
    case Cardinality::OneToOne:
        return QStringLiteral("one-to-one");
    case Cardinality::ManyToMany:
        return QStringLiteral("many-to-many");
    }
    return {};
}

static QString columnList(const QList<QPair<QString, QString>> &pairs, bool second)
{
    QStringList names;
    for (const auto &p : pairs)
        names.append(second ? p.second : p.first);
    return QLatin1Char('(') + names.join(QLatin1String(", ")) + QLatin1Char(')');
}

QString Relationship::description() const
{
    // Error.hs compressedRel.
    if (cardinality == Cardinality::ManyToMany) {
        return QStringLiteral("%1 using %2%3 and %4%5")
            .arg(junction, junctionSourceConstraint, columnList(junctionSource, true), junctionTargetConstraint,
                 columnList(junctionTarget, true));
    }
    return QStringLiteral("%1 using %2%3 and %4%5")
        .arg(constraint, table, columnList(columns, false), foreignTable, columnList(columns, true));
}

static QList<QPair<QString, QString>> zipped(const QStringList &a, const QStringList &b)
{
    QList<QPair<QString, QString>> out;
    for (qsizetype i = 0; i < a.size() && i < b.size(); ++i)
        out.append({a.at(i), b.at(i)});
    return out;
}

QHash<QString, QList<Relationship>> Relationship::derive(const QList<const TableInfo *> &tables)
{
    QHash<QString, const TableInfo *> byName;
    for (const TableInfo *t : tables)
        byName.insert(t->name, t);
    QList<Relationship> all;
    // Each foreign key: many-to-one (or one-to-one) from its table, and the
    // inverse one-to-many (or one-to-one, parent side).
    for (const TableInfo *t : tables) {
        for (const ForeignKey &fk : t->foreignKeys) {
            if (!byName.contains(fk.foreignTable))
                continue;
            Relationship r;
            r.table = t->name;
            r.foreignTable = fk.foreignTable;
            r.isSelf = r.table == r.foreignTable;
            r.constraint = fk.name;
            r.columns = zipped(fk.columns, fk.foreignColumns);
            r.cardinality = fk.unique ? Cardinality::OneToOne : Cardinality::ManyToOne;
            all.append(r);
            Relationship inverse = r;
            std::swap(inverse.table, inverse.foreignTable);
            inverse.columns = zipped(fk.foreignColumns, fk.columns);
            inverse.cardinality = fk.unique ? Cardinality::OneToOne : Cardinality::OneToMany;
            inverse.parent = fk.unique;
            all.append(inverse);
        }
    }
    // Many-to-many: two different foreign keys of one junction table whose
    // columns are all part of its primary key (PostgREST's addM2MRels).
    for (const TableInfo *junction : tables) {
        const QSet<QString> key(junction->primaryKey.cbegin(), junction->primaryKey.cend());
        for (const ForeignKey &source : junction->foreignKeys) {
            for (const ForeignKey &target : junction->foreignKeys) {
                if (source.name == target.name || !byName.contains(source.foreignTable) || !byName.contains(target.foreignTable))
                    continue;
                const bool inKey = std::all_of(source.columns.cbegin(), source.columns.cend(), [&](const QString &c) { return key.contains(c); })
                    && std::all_of(target.columns.cbegin(), target.columns.cend(), [&](const QString &c) { return key.contains(c); });
                if (!inKey)
                    continue;
                Relationship r;
                r.table = source.foreignTable;
                r.foreignTable = target.foreignTable;
                r.isSelf = r.table == r.foreignTable;
                r.cardinality = Cardinality::ManyToMany;
                r.junction = junction->name;
                r.junctionSourceConstraint = source.name;
                r.junctionTargetConstraint = target.name;
                r.junctionSource = zipped(source.foreignColumns, source.columns);
                r.junctionTarget = zipped(target.foreignColumns, target.columns);
                all.append(r);
            }
        }
    }
    // PostgREST sorts each table's list (the derived Ord of its Relationship).
    std::sort(all.begin(), all.end(), [](const Relationship &a, const Relationship &b) {
        return std::tie(a.table, a.foreignTable, a.isSelf, a.cardinality, a.constraint, a.junction,
                        a.junctionSourceConstraint, a.junctionTargetConstraint, a.columns, a.parent)
            < std::tie(b.table, b.foreignTable, b.isSelf, b.cardinality, b.constraint, b.junction,
                       b.junctionSourceConstraint, b.junctionTargetConstraint, b.columns, b.parent);
    });
    QHash<QString, QList<Relationship>> out;
    for (const Relationship &r : std::as_const(all))
        out[r.table].append(r);
    return out;
}

} // namespace Aiodata::Server
