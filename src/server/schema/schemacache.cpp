#include "schema/schemacache.h"

#include "schema/functioninfo.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Aiodata::Server {

const ColumnInfo *TableInfo::column(const QString &name) const
{
    for (const ColumnInfo &c : columns) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

QByteArray SchemaCache::describeSql()
{
    // One round trip; PostgreSQL builds the JSON. Privileges are those of
    // current_user, i.e. of the role the request runs as.
    return QByteArrayLiteral(R"SQL(
SELECT json_build_object(
  'schema', n.nspname,
  'comment', obj_description(n.oid, 'pg_namespace'),
  'tables', coalesce((
    SELECT json_agg(json_build_object(
      'name', c.relname,
      'kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                             WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
      'comment', obj_description(c.oid, 'pg_class'),
      'rowSecurity', c.relrowsecurity,
      'primaryKey', coalesce((
        SELECT json_agg(a.attname ORDER BY k.ord)
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = c.oid AND i.indisprimary), '[]'::json),
      'privileges', json_build_object(
        'select', has_table_privilege(c.oid, 'SELECT'),
        'insert', has_table_privilege(c.oid, 'INSERT'),
        'update', has_table_privilege(c.oid, 'UPDATE'),
        'delete', has_table_privilege(c.oid, 'DELETE')),
      'columns', coalesce((
        SELECT json_agg(json_build_object(
          'name', a.attname,
          'type', format_type(a.atttypid, a.atttypmod),
          'primaryKey', (SELECT k.ord FROM pg_index i
                         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                         WHERE i.indrelid = c.oid AND i.indisprimary AND k.attnum = a.attnum),
          'dims', greatest(a.attndims, CASE WHEN t.typcategory = 'A' THEN 1 ELSE 0 END),
          'nullable', NOT a.attnotnull,
          'hasDefault', a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
          -- What DEFAULT would insert (Prefer: missing=default). NULL for
          -- generated columns, which take no value, and identities, whose
          -- sequence DEFAULT may use without the privilege nextval() needs.
          'default', CASE WHEN a.attgenerated <> '' OR a.attidentity <> '' THEN NULL
                          ELSE (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
                                WHERE d.adrelid = c.oid AND d.adnum = a.attnum) END,
          'comment', col_description(c.oid, a.attnum),
          'references', (SELECT json_build_object('table', fc.relname, 'column', fa.attname)
                         FROM pg_constraint f
                         CROSS JOIN LATERAL unnest(f.conkey, f.confkey) AS fk(col, ref)
                         JOIN pg_class fc ON fc.oid = f.confrelid
                         JOIN pg_attribute fa ON fa.attrelid = f.confrelid AND fa.attnum = fk.ref
                         WHERE f.conrelid = c.oid AND f.contype = 'f' AND fk.col = a.attnum
                         LIMIT 1)
        ) ORDER BY a.attnum)
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::json)
    ) ORDER BY c.relname)
    FROM pg_class c
    WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND (NOT $2::bool OR has_table_privilege(c.oid, 'SELECT'))
      AND ($3::json IS NULL OR c.relname IN (SELECT json_array_elements_text($3::json)))), '[]'::json),)SQL")
        + FunctionInfo::catalogueSql() + QByteArrayLiteral(R"SQL(
)::text
FROM pg_namespace n WHERE n.nspname = $1
)SQL");
}

QByteArray SchemaCache::foreignKeysSql()
{
    // PostgREST's allM2OandO2ORels: a foreign key is one-to-one when its
    // columns are exactly a primary key or unique constraint of its table.
    // Partitions' copies of a parent's key (conparentid) are left out.
    return QByteArrayLiteral(R"SQL(
SELECT coalesce(json_agg(json_build_object(
  'table', c.relname,
  'name', f.conname,
  'columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum),
  'foreignTable', fc.relname,
  'foreignColumns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(f.confkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.attnum),
  'unique', EXISTS (SELECT 1 FROM pg_constraint u WHERE u.conrelid = f.conrelid AND u.contype IN ('p', 'u')
                    AND u.conkey @> f.conkey AND u.conkey <@ f.conkey)
) ORDER BY c.relname, f.conname), '[]'::json)::text
FROM pg_constraint f
JOIN pg_class c ON c.oid = f.conrelid
JOIN pg_class fc ON fc.oid = f.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE f.contype = 'f' AND f.conparentid = 0 AND n.nspname = $1 AND fc.relnamespace = n.oid
)SQL");
}

QByteArray SchemaCache::readableTablesSql()
{
    return QByteArrayLiteral(
        "SELECT coalesce(json_agg(c.relname ORDER BY c.relname) FILTER (WHERE has_table_privilege(c.oid, 'SELECT')), '[]')::text, "
        "coalesce(string_agg(c.relname || ':' || has_table_privilege(c.oid, 'SELECT')::text || has_table_privilege(c.oid, 'INSERT')::text"
        " || has_table_privilege(c.oid, 'UPDATE')::text || has_table_privilege(c.oid, 'DELETE')::text, ',' ORDER BY c.relname), '') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')");
}

QByteArray SchemaCache::policyVersionSql(const QByteArray &classOid)
{
    // Every CREATE, ALTER or DROP POLICY inserts, updates or deletes a
    // pg_policy row, so the set of (oid, xmin) pairs changes with it.
    return "(SELECT _c.relreplident::text || ';' || coalesce((SELECT string_agg(_p.oid::text || '.' || _p.xmin::text, ',' "
           "ORDER BY _p.oid) FROM pg_policy _p WHERE _p.polrelid = _c.oid), '') FROM pg_class _c WHERE _c.oid = "
        + classOid + ')';
}

QByteArray SchemaCache::rowSecuritySql()
{
    // pg_get_expr deparses under this connection's search_path, the same
    // pooled connections the checks later run on.
    return QByteArrayLiteral(R"SQL(
SELECT coalesce(json_agg(json_build_object(
  'name', c.relname,
  'replicaIdentityFull', c.relreplident = 'f',
  'policyVersion', )SQL") + policyVersionSql("c.oid") + QByteArrayLiteral(R"SQL(,
  'policies', coalesce((
    SELECT json_agg(json_build_object(
      'name', p.polname,
      'permissive', p.polpermissive,
      'roles', (SELECT json_agg(r::bigint) FROM unnest(p.polroles) AS r),
      'using', pg_get_expr(p.polqual, p.polrelid)) ORDER BY p.polname)
    FROM pg_policy p
    WHERE p.polrelid = c.oid AND p.polcmd IN ('r', '*')), '[]'::json)
) ORDER BY c.relname), '[]'::json)::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND ($2::text IS NULL AND c.relrowsecurity OR c.relname = $2::text)
)SQL");
}

bool SchemaCache::load(const QString &schema, const QByteArray &descriptionJson, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(descriptionJson, &parseError);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("schema \"%1\" does not exist or cannot be described").arg(schema);
        return false;
    }
    QHash<QString, TableInfo> tables;
    const QJsonArray list = doc.object().value(QLatin1String("tables")).toArray();
    for (const QJsonValue &v : list) {
        const QJsonObject t = v.toObject();
        TableInfo info;
        info.schema = schema;
        info.name = t.value(QLatin1String("name")).toString();
        info.insertable = t.value(QLatin1String("kind")).toString() != QLatin1String("materialized view");
        info.rowSecurity = t.value(QLatin1String("rowSecurity")).toBool();
        for (const QJsonValue &k : t.value(QLatin1String("primaryKey")).toArray())
            info.primaryKey.append(k.toString());
        for (const QJsonValue &c : t.value(QLatin1String("columns")).toArray()) {
            const QJsonObject col = c.toObject();
            info.columns.append({col.value(QLatin1String("name")).toString(),
                                 col.value(QLatin1String("type")).toString(),
                                 col.value(QLatin1String("default")).toString().toUtf8()});
        }
        tables.insert(info.name, info);
    }
    QHash<QString, QList<FunctionInfo>> functions;
    for (const QJsonValue &v : doc.object().value(QLatin1String("functions")).toArray()) {
        FunctionInfo f = FunctionInfo::fromJson(schema, v.toObject());
        functions[f.name].append(f);
    }
    m_functions.insert(schema, functions);
    m_schemas.insert(schema, tables);
    m_descriptions.insert(schema, descriptionJson);
    return true;
}

QStringList SchemaCache::loadRowSecurity(const QString &schema, const QByteArray &json)
{
    QStringList updated;
    auto s = m_schemas.find(schema);
    if (s == m_schemas.end())
        return updated;
    for (const QJsonValue &v : QJsonDocument::fromJson(json).array()) {
        const QJsonObject t = v.toObject();
        const auto table = s->find(t.value(QLatin1String("name")).toString());
        if (table == s->end())
            continue; // created after the schema was loaded: unknown to requests too
        table->replicaIdentityFull = t.value(QLatin1String("replicaIdentityFull")).toBool();
        table->policyVersion = t.value(QLatin1String("policyVersion")).toString().toUtf8();
        table->policies.clear();
        for (const QJsonValue &p : t.value(QLatin1String("policies")).toArray()) {
            const QJsonObject policy = p.toObject();
            RowPolicy rp;
            rp.name = policy.value(QLatin1String("name")).toString();
            rp.permissive = policy.value(QLatin1String("permissive")).toBool();
            for (const QJsonValue &r : policy.value(QLatin1String("roles")).toArray())
                rp.roles.append(quint32(r.toDouble()));
            rp.usingExpression = policy.value(QLatin1String("using")).toString().toUtf8();
            table->policies.append(rp);
        }
        updated.append(table->name);
    }
    return updated;
}

void SchemaCache::loadForeignKeys(const QString &schema, const QByteArray &json)
{
    auto s = m_schemas.find(schema);
    if (s == m_schemas.end())
        return;
    for (auto &table : *s)
        table.foreignKeys.clear();
    const auto strings = [](const QJsonValue &v) {
        QStringList out;
        for (const QJsonValue &x : v.toArray())
            out.append(x.toString());
        return out;
    };
    for (const QJsonValue &v : QJsonDocument::fromJson(json).array()) {
        const QJsonObject o = v.toObject();
        const auto table = s->find(o.value(QLatin1String("table")).toString());
        if (table == s->end())
            continue; // created after the schema was loaded: unknown to requests too
        ForeignKey fk;
        fk.name = o.value(QLatin1String("name")).toString();
        fk.columns = strings(o.value(QLatin1String("columns")));
        fk.foreignTable = o.value(QLatin1String("foreignTable")).toString();
        fk.foreignColumns = strings(o.value(QLatin1String("foreignColumns")));
        fk.unique = o.value(QLatin1String("unique")).toBool();
        table->foreignKeys.append(fk);
    }
    QList<const TableInfo *> tables;
    for (const TableInfo &t : std::as_const(*s))
        tables.append(&t);
    m_relationships.insert(schema, Relationship::derive(tables));
}

QList<Relationship> SchemaCache::relationships(const QString &schema, const QString &table) const
{
    return m_relationships.value(schema).value(table);
}

const TableInfo *SchemaCache::table(const QString &schema, const QString &name) const
{
    const auto s = m_schemas.constFind(schema);
    if (s == m_schemas.constEnd())
        return nullptr;
    const auto t = s->constFind(name);
    return t == s->constEnd() ? nullptr : &*t;
}

QList<FunctionInfo> SchemaCache::functions(const QString &schema, const QString &name) const
{
    return m_functions.value(schema).value(name);
}

QStringList SchemaCache::tableNames(const QString &schema) const
{
    QStringList names = m_schemas.value(schema).keys();
    names.sort();
    return names;
}

} // namespace Aiodata::Server
