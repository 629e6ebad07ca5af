// Tests for the relationships the schema cache derives from foreign keys
// (schema/Relationship) and for EmbedPlan's choice among them, PostgREST's
// rules (SchemaCache.hs addInverseRels/addM2MRels, Plan.hs findRel), on a
// schema cache loaded from JSON alone.

#include "rest/embedplan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace Aiodata::Server;

namespace {

QJsonObject table(const QString &name, const QStringList &columns, const QStringList &key)
{
    QJsonArray cols;
    for (const QString &c : columns)
        cols.append(QJsonObject{{QStringLiteral("name"), c}, {QStringLiteral("type"), QStringLiteral("integer")}});
    return {{QStringLiteral("name"), name}, {QStringLiteral("kind"), QStringLiteral("table")},
            {QStringLiteral("primaryKey"), QJsonArray::fromStringList(key)}, {QStringLiteral("columns"), cols}};
}

QJsonObject key(const QString &table, const QString &name, const QStringList &columns, const QString &foreign,
                const QStringList &foreignColumns, bool unique = false)
{
    return {{QStringLiteral("table"), table}, {QStringLiteral("name"), name},
            {QStringLiteral("columns"), QJsonArray::fromStringList(columns)}, {QStringLiteral("foreignTable"), foreign},
            {QStringLiteral("foreignColumns"), QJsonArray::fromStringList(foreignColumns)}, {QStringLiteral("unique"), unique}};
}

// agents/departments (two keys, both ways), employees (self), films/actors
// through roles (a junction), tags through notes (keys not in its primary
// key: no junction), technical_specs (one-to-one).
SchemaCache cache()
{
    const QJsonArray tables = {
        table(QStringLiteral("agents"), {QStringLiteral("id"), QStringLiteral("department_id")}, {QStringLiteral("id")}),
        table(QStringLiteral("departments"), {QStringLiteral("id"), QStringLiteral("head_id")}, {QStringLiteral("id")}),
        table(QStringLiteral("employees"), {QStringLiteral("id"), QStringLiteral("supervisor_id")}, {QStringLiteral("id")}),
        table(QStringLiteral("films"), {QStringLiteral("id")}, {QStringLiteral("id")}),
        table(QStringLiteral("actors"), {QStringLiteral("id")}, {QStringLiteral("id")}),
        table(QStringLiteral("roles"), {QStringLiteral("film_id"), QStringLiteral("actor_id")}, {QStringLiteral("film_id"), QStringLiteral("actor_id")}),
        table(QStringLiteral("tags"), {QStringLiteral("id")}, {QStringLiteral("id")}),
        table(QStringLiteral("notes"), {QStringLiteral("id"), QStringLiteral("film_id"), QStringLiteral("tag_id")}, {QStringLiteral("id")}),
        table(QStringLiteral("technical_specs"), {QStringLiteral("film_id")}, {QStringLiteral("film_id")}),
    };
    const QJsonArray keys = {
        key(QStringLiteral("agents"), QStringLiteral("agents_department_id_fkey"), {QStringLiteral("department_id")}, QStringLiteral("departments"), {QStringLiteral("id")}),
        key(QStringLiteral("departments"), QStringLiteral("departments_head_id_fkey"), {QStringLiteral("head_id")}, QStringLiteral("agents"), {QStringLiteral("id")}),
        key(QStringLiteral("employees"), QStringLiteral("employees_supervisor_id_fkey"), {QStringLiteral("supervisor_id")}, QStringLiteral("employees"), {QStringLiteral("id")}),
        key(QStringLiteral("roles"), QStringLiteral("roles_film_id_fkey"), {QStringLiteral("film_id")}, QStringLiteral("films"), {QStringLiteral("id")}),
        key(QStringLiteral("roles"), QStringLiteral("roles_actor_id_fkey"), {QStringLiteral("actor_id")}, QStringLiteral("actors"), {QStringLiteral("id")}),
        key(QStringLiteral("notes"), QStringLiteral("notes_film_id_fkey"), {QStringLiteral("film_id")}, QStringLiteral("films"), {QStringLiteral("id")}),
        key(QStringLiteral("notes"), QStringLiteral("notes_tag_id_fkey"), {QStringLiteral("tag_id")}, QStringLiteral("tags"), {QStringLiteral("id")}),
        key(QStringLiteral("technical_specs"), QStringLiteral("technical_specs_film_id_fkey"), {QStringLiteral("film_id")}, QStringLiteral("films"), {QStringLiteral("id")}, true),
    };
    SchemaCache c;
    c.load(QStringLiteral("api"), QJsonDocument(QJsonObject{{QStringLiteral("tables"), tables}}).toJson());
    c.loadForeignKeys(QStringLiteral("api"), QJsonDocument(keys).toJson());
    return c;
}

QStringList described(const QList<Relationship> &rels, const QString &foreignTable)
{
    QStringList out;
    for (const Relationship &r : rels) {
        if (r.foreignTable == foreignTable)
            out.append(r.cardinalityName() + QLatin1Char(' ') + r.description());
    }
    return out;
}

} // namespace

class tst_EmbedPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void derived();
    void find_data();
    void find();
};

void tst_EmbedPlan::derived()
{
    const SchemaCache c = cache();
    // PostgREST's order: one-to-many before many-to-one (EmbedDisambiguationSpec's circular agents).
    QCOMPARE(described(c.relationships(QStringLiteral("api"), QStringLiteral("agents")), QStringLiteral("departments")),
             QStringList({QStringLiteral("one-to-many departments_head_id_fkey using agents(id) and departments(head_id)"),
                          QStringLiteral("many-to-one agents_department_id_fkey using agents(department_id) and departments(id)")}));
    QCOMPARE(described(c.relationships(QStringLiteral("api"), QStringLiteral("films")), QStringLiteral("actors")),
             QStringList({QStringLiteral("many-to-many roles using roles_film_id_fkey(film_id) and roles_actor_id_fkey(actor_id)")}));
    // notes' keys are not in its primary key: no many-to-many between films and tags.
    QVERIFY(described(c.relationships(QStringLiteral("api"), QStringLiteral("films")), QStringLiteral("tags")).isEmpty());
    QCOMPARE(described(c.relationships(QStringLiteral("api"), QStringLiteral("films")), QStringLiteral("technical_specs")),
             QStringList({QStringLiteral("one-to-one technical_specs_film_id_fkey using films(id) and technical_specs(film_id)")}));
    QCOMPARE(described(c.relationships(QStringLiteral("api"), QStringLiteral("technical_specs")), QStringLiteral("films")),
             QStringList({QStringLiteral("one-to-one technical_specs_film_id_fkey using technical_specs(film_id) and films(id)")}));
}

void tst_EmbedPlan::find_data()
{
    QTest::addColumn<QString>("origin");
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("hint");
    QTest::addColumn<QString>("expected"); // "<cardinality> <constraint or junction>", or the error code

    QTest::newRow("ambiguous") << "agents" << "departments" << "" << "PGRST201";
    QTest::newRow("hint: constraint") << "agents" << "departments" << "departments_head_id_fkey" << "one-to-many departments_head_id_fkey";
    QTest::newRow("hint: own column") << "agents" << "departments" << "department_id" << "many-to-one agents_department_id_fkey";
    QTest::newRow("hint: their column") << "agents" << "departments" << "head_id" << "one-to-many departments_head_id_fkey";
    QTest::newRow("target: constraint") << "agents" << "agents_department_id_fkey" << "" << "many-to-one agents_department_id_fkey";
    QTest::newRow("target: column") << "agents" << "department_id" << "" << "many-to-one agents_department_id_fkey";
    QTest::newRow("unknown hint") << "agents" << "departments" << "nope" << "PGRST200";
    QTest::newRow("no relationship") << "agents" << "films" << "" << "PGRST200";
    QTest::newRow("junction") << "films" << "actors" << "" << "many-to-many roles";
    QTest::newRow("hint: junction") << "films" << "actors" << "roles" << "many-to-many roles";
    QTest::newRow("to the junction") << "films" << "roles" << "" << "one-to-many roles_film_id_fkey";
    QTest::newRow("self: table is one-to-many") << "employees" << "employees" << "" << "one-to-many employees_supervisor_id_fkey";
    QTest::newRow("self: column is many-to-one") << "employees" << "supervisor_id" << "" << "many-to-one employees_supervisor_id_fkey";
    QTest::newRow("self: hint the referenced column") << "employees" << "employees" << "supervisor_id" << "one-to-many employees_supervisor_id_fkey";
}

void tst_EmbedPlan::find()
{
    QFETCH(QString, origin);
    QFETCH(QString, target);
    QFETCH(QString, hint);
    QFETCH(QString, expected);
    const SchemaCache c = cache();
    ApiError error;
    const auto r = EmbedPlan::find(c.relationships(QStringLiteral("api"), origin), QStringLiteral("api"), origin, target, hint, &error);
    const QString got = r ? r->cardinalityName() + QLatin1Char(' ') + r->hintName() : QString::fromLatin1(error.code);
    QCOMPARE(got, expected);
}

QTEST_GUILESS_MAIN(tst_EmbedPlan)
#include "tst_embedplan.moc"
