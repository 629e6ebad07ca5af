// Resource embedding under /query, as PostgREST 12 answers it: many-to-one
// (an object or null), one-to-many (an array), one-to-one, many-to-many
// through a junction table, aliases, nesting, `*`, hints, !inner, spreads,
// filters/order/limit/offset on embedded resources, and PostgREST's
// PGRST200/PGRST201/PGRST108/PGRST119 errors. The fixture is the film
// database of PostgREST's docs (docs/references/api/resource_embedding.rst)
// with its orders/addresses example, and agents/departments from its
// test/spec/fixtures/schema.sql; expected answers quote those docs and
// test/spec/Feature/Query/EmbedDisambiguationSpec.hs. Real PostgreSQL, the
// real server.

#include "testdatabase.h"
#include "restcall.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QtTest>

using RestCall::Answer;
using RestCall::sameJson;

class tst_Embedding : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void embed_data();
    void embed();
    void keyOrder();
    void countWithInner();
    void writes();
    void reloadPicksUpNewForeignKeys();

private:
    Answer get(const QString &path, const QList<QPair<QByteArray, QByteArray>> &headers = {});
    Answer send(const QByteArray &method, const QString &path, const QByteArray &body,
                const QList<QPair<QByteArray, QByteArray>> &headers = {});

    TestDatabase m_db{QStringLiteral("tst_embedding")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
};

void tst_Embedding::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // The docs' film database ("Relationships"), its "Multiple Many-To-One"
    // orders and addresses, and the spec fixture's circular agents and
    // departments.
    QVERIFY2(m_db.exec(QStringLiteral(R"SQL(
CREATE TABLE api.actors (id int PRIMARY KEY, first_name text, last_name text);
CREATE TABLE api.directors (id int PRIMARY KEY, first_name text, last_name text);
CREATE TABLE api.films (id int PRIMARY KEY, director_id int REFERENCES api.directors(id), title text, year int,
                        rating numeric(3,1), language text);
CREATE TABLE api.technical_specs (film_id int REFERENCES api.films(id) PRIMARY KEY, runtime time, camera text, sound text);
CREATE TABLE api.roles (film_id int REFERENCES api.films(id), actor_id int REFERENCES api.actors(id), character text,
                        PRIMARY KEY (film_id, actor_id));
CREATE TABLE api.competitions (id int PRIMARY KEY, name text, year int);
CREATE TABLE api.nominations (competition_id int REFERENCES api.competitions(id), film_id int REFERENCES api.films(id),
                              rank int, PRIMARY KEY (competition_id, film_id));
CREATE TABLE api.addresses (id int PRIMARY KEY, name text, city text, state text, postal_code char(5));
CREATE TABLE api.orders (id int PRIMARY KEY, name text, billing_address_id int, shipping_address_id int,
                         CONSTRAINT billing FOREIGN KEY (billing_address_id) REFERENCES api.addresses(id),
                         CONSTRAINT shipping FOREIGN KEY (shipping_address_id) REFERENCES api.addresses(id));
CREATE TABLE api.agents (id int PRIMARY KEY, name text, department_id int);
CREATE TABLE api.departments (id int PRIMARY KEY, name text, head_id int REFERENCES api.agents(id));
ALTER TABLE api.agents ADD CONSTRAINT agents_department_id_fkey FOREIGN KEY (department_id) REFERENCES api.departments(id);
CREATE TABLE api.employees (id int PRIMARY KEY, last_name text, supervisor_id int REFERENCES api.employees(id));
CREATE FUNCTION api.getallfilms() RETURNS SETOF api.films LANGUAGE sql STABLE AS 'SELECT * FROM api.films';
CREATE FUNCTION api.ints() RETURNS SETOF int LANGUAGE sql STABLE AS 'SELECT 1';
CREATE TABLE api.secrets (id int PRIMARY KEY, film_id int REFERENCES api.films(id), note text);
GRANT SELECT ON ALL TABLES IN SCHEMA api TO anon, auth;
GRANT INSERT, UPDATE, DELETE ON api.films TO auth;
REVOKE SELECT ON api.secrets FROM anon;

INSERT INTO api.directors VALUES (1, 'William', 'Dickson'), (2, 'Louis', 'Lumière'), (3, 'Georges', 'Méliès'),
                                 (4, 'Robert', 'Eggers');
INSERT INTO api.films VALUES (1, 2, 'Workers Leaving The Lumière Factory In Lyon', 1895, 7.0, 'french'),
                             (2, 1, 'The Dickson Experimental Sound Film', 1894, 6.0, 'english'),
                             (3, 3, 'The Haunted Castle', 1896, 6.5, 'french'),
                             (4, NULL, 'The Lighthouse', 2019, 7.4, 'english');
INSERT INTO api.actors VALUES (1, 'Jehanne', 'd''Alcy'), (2, 'Georges', 'Méliès'), (3, 'William', 'Dickson'),
                              (4, 'Willem', 'Dafoe'), (5, 'Robert', 'Pattinson');
INSERT INTO api.roles VALUES (3, 1, 'Lady'), (3, 2, 'Mephistopheles'), (2, 3, 'Violinist'), (4, 4, 'Thomas Wake'),
                             (4, 5, 'Ephraim Winslow');
INSERT INTO api.technical_specs VALUES (4, '01:49', 'Panavision Millennium XL2', 'Dolby Digital');
INSERT INTO api.competitions VALUES (1, 'Venice', 1990), (2, 'Cannes', 1991), (3, 'Cannes', 2019);
INSERT INTO api.nominations VALUES (3, 4, 5), (1, 3, 2), (2, 3, 1);
INSERT INTO api.addresses VALUES (1, '32 Glenlake Dr.Dearborn, MI 48124', 'Dearborn', 'MI', '48124'),
                                 (2, '30 Glenlake Dr.Dearborn, MI 48124', 'Dearborn', 'MI', '48124');
INSERT INTO api.orders VALUES (1, 'Personal Water Filter', 1, 2), (2, 'Coffee Machine', 1, 1);
INSERT INTO api.employees VALUES (1, 'Taylor', NULL), (2, 'Johnson', 1), (3, 'Miller', 1);
INSERT INTO api.secrets VALUES (1, 4, 'hidden');
)SQL"),
                       &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
}

Answer tst_Embedding::get(const QString &path, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    return send("GET", path, {}, headers);
}

// Writes as auth; reads as anon.
Answer tst_Embedding::send(const QByteArray &method, const QString &path, const QByteArray &body,
                           const QList<QPair<QByteArray, QByteArray>> &headers)
{
    return RestCall::send(m_nam, m_server.url(), method, path, body, headers,
                          method == "GET" ? QString() : QStringLiteral("auth"));
}

void tst_Embedding::embed_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("expected"); // empty: only the status and an error's code are checked
    QTest::addColumn<QByteArray>("code");

    const auto row = [](const char *name, const QString &path, int status, const QByteArray &expected,
                        const QByteArray &code = {}) {
        QTest::newRow(name) << path << status << expected << code;
    };

    // Docs, "Many-to-one relationships":
    //   curl "http://localhost:3000/films?select=title,directors(id,last_name)"
    //   [{ "title": "Workers Leaving The Lumière Factory In Lyon", "directors": { "id": 2, "last_name": "Lumière" } },
    //    { "title": "The Dickson Experimental Sound Film", "directors": { "id": 1, "last_name": "Dickson" } },
    //    { "title": "The Haunted Castle", "directors": { "id": 3, "last_name": "Méliès" } }]
    // (our fourth film has no director: null, the "to-one" end without a match.)
    row("many-to-one", QStringLiteral("/query/films?select=title,directors(id,last_name)&order=id"), 200,
        R"J([{"title":"Workers Leaving The Lumière Factory In Lyon","directors":{"id":2,"last_name":"Lumière"}},
             {"title":"The Dickson Experimental Sound Film","directors":{"id":1,"last_name":"Dickson"}},
             {"title":"The Haunted Castle","directors":{"id":3,"last_name":"Méliès"}},
             {"title":"The Lighthouse","directors":null}])J");
    // Docs: "films?select=title,director:directors(id,last_name)" -> "director": {"id": 2, "last_name": "Lumière"}
    row("alias", QStringLiteral("/query/films?select=title,director:directors(id,last_name)&id=eq.1"), 200,
        R"J([{"title":"Workers Leaving The Lumière Factory In Lyon","director":{"id":2,"last_name":"Lumière"}}])J");
    // Docs, "One-to-many relationships":
    //   curl "http://localhost:3000/directors?select=last_name,films(title)"
    //   [{ "last_name": "Lumière", "films": [{"title": "Workers Leaving The Lumière Factory In Lyon"}] }, ...]
    row("one-to-many", QStringLiteral("/query/directors?select=last_name,films(title)&order=id"), 200,
        R"J([{"last_name":"Dickson","films":[{"title":"The Dickson Experimental Sound Film"}]},
             {"last_name":"Lumière","films":[{"title":"Workers Leaving The Lumière Factory In Lyon"}]},
             {"last_name":"Méliès","films":[{"title":"The Haunted Castle"}]},
             {"last_name":"Eggers","films":[]}])J");
    // Docs, "Many-to-many relationships":
    //   curl "http://localhost:3000/actors?select=first_name,last_name,films(title)"
    //   [{ "first_name": "Willem", "last_name": "Dafoe", "films": [{"title": "The Lighthouse"}] }, ...]
    row("many-to-many", QStringLiteral("/query/actors?select=first_name,last_name,films(title)&id=eq.4"), 200,
        R"J([{"first_name":"Willem","last_name":"Dafoe","films":[{"title":"The Lighthouse"}]}])J");
    row("many-to-many, ordered", QStringLiteral("/query/films?select=title,actors(last_name)&id=eq.3&actors.order=id.desc"),
        200, R"J([{"title":"The Haunted Castle","actors":[{"last_name":"Méliès"},{"last_name":"d'Alcy"}]}])J");
    // Docs, "One-to-one relationships":
    //   curl "http://localhost:3000/films?select=title,technical_specs(camera)"
    //   [{ "title": "Pulp Fiction", "technical_specs": {"camera": "Arriflex 35-III"} }, ...]
    row("one-to-one", QStringLiteral("/query/films?select=title,technical_specs(camera)&id=in.(3,4)&order=id"), 200,
        R"J([{"title":"The Haunted Castle","technical_specs":null},
             {"title":"The Lighthouse","technical_specs":{"camera":"Panavision Millennium XL2"}}])J");
    row("one-to-one, parent side", QStringLiteral("/query/technical_specs?select=camera,films(title)"), 200,
        R"J([{"camera":"Panavision Millennium XL2","films":{"title":"The Lighthouse"}}])J");
    // Docs, "Nested Embedding": "actors?select=roles(character,films(title,year))"; only embeds: no columns of actors.
    row("nested", QStringLiteral("/query/actors?select=roles(character,films(title,year))&id=eq.4"), 200,
        R"J([{"roles":[{"character":"Thomas Wake","films":{"title":"The Lighthouse","year":2019}}]}])J");
    row("nested three deep", QStringLiteral("/query/roles?select=character,films(title,directors(last_name))&actor_id=eq.1"), 200,
        R"J([{"character":"Lady","films":{"title":"The Haunted Castle","directors":{"last_name":"Méliès"}}}])J");
    row("star inside and outside", QStringLiteral("/query/films?select=*,directors(*)&id=eq.2"), 200,
        R"J([{"id":2,"director_id":1,"title":"The Dickson Experimental Sound Film","year":1894,"rating":6.0,"language":"english",
              "directors":{"id":1,"first_name":"William","last_name":"Dickson"}}])J");
    // EmbedDisambiguationSpec "can embed by FK name": projects?select=id,name,client(id,name) (client is the constraint)
    row("target is the constraint", QStringLiteral("/query/orders?select=name,billing(name)&id=eq.1"), 200,
        R"J([{"name":"Personal Water Filter","billing":{"name":"32 Glenlake Dr.Dearborn, MI 48124"}}])J");
    // ... "or the column": /projects?select=client_id(*)
    row("target is the column", QStringLiteral("/query/orders?select=name,shipping_address_id(name)&id=eq.1"), 200,
        R"J([{"name":"Personal Water Filter","shipping_address_id":{"name":"30 Glenlake Dr.Dearborn, MI 48124"}}])J");

    // Docs, "Multiple Many-To-One":
    //   curl "http://localhost:3000/orders?select=*,addresses(*)" -> 300
    //   {"code": "PGRST201",
    //    "details": [{"cardinality": "many-to-one", "embedding": "orders with addresses",
    //                 "relationship": "billing using orders(billing_address_id) and addresses(id)"},
    //                {"cardinality": "many-to-one", "embedding": "orders with addresses",
    //                 "relationship": "shipping using orders(shipping_address_id) and addresses(id)"}],
    //    "hint": "Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.",
    //    "message": "Could not embed because more than one relationship was found for 'orders' and 'addresses'"}
    row("PGRST201", QStringLiteral("/query/orders?select=*,addresses(*)"), 300,
        R"J({"code":"PGRST201",
             "details":[{"cardinality":"many-to-one","embedding":"orders with addresses",
                         "relationship":"billing using orders(billing_address_id) and addresses(id)"},
                        {"cardinality":"many-to-one","embedding":"orders with addresses",
                         "relationship":"shipping using orders(shipping_address_id) and addresses(id)"}],
             "hint":"Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.",
             "message":"Could not embed because more than one relationship was found for 'orders' and 'addresses'"})J");
    // Docs: "orders?select=name,billing_address:addresses!billing(name),shipping_address:addresses!shipping(name)"
    //   [{"name": "Personal Water Filter", "billing_address": {"name": "32 Glenlake Dr.Dearborn, MI 48124"},
    //     "shipping_address": {"name": "30 Glenlake Dr.Dearborn, MI 48124"}}]
    row("hint: constraint", QStringLiteral("/query/orders?select=name,billing_address:addresses!billing(name),"
                                           "shipping_address:addresses!shipping(name)&id=eq.1"),
        200, R"J([{"name":"Personal Water Filter","billing_address":{"name":"32 Glenlake Dr.Dearborn, MI 48124"},
                   "shipping_address":{"name":"30 Glenlake Dr.Dearborn, MI 48124"}}])J");
    row("hint: column", QStringLiteral("/query/orders?select=name,addresses!shipping_address_id(name)&id=eq.1"), 200,
        R"J([{"name":"Personal Water Filter","addresses":{"name":"30 Glenlake Dr.Dearborn, MI 48124"}}])J");
    // Docs, "Multiple One-To-Many":
    //   "addresses?select=name,billing_orders:orders!billing(name),shipping_orders!shipping(name)&id=eq.1"
    //   [{"name": "32 Glenlake Dr.Dearborn, MI 48124",
    //     "billing_orders": [{ "name": "Personal Water Filter" }, { "name": "Coffee Machine" }],
    //     "shipping_orders": [{ "name": "Coffee Machine" }]}]
    // (the docs' second alias lacks its "orders"; an order on the alias makes the array's order certain.)
    row("hint: one-to-many", QStringLiteral("/query/addresses?select=name,billing_orders:orders!billing(name),"
                                            "shipping_orders:orders!shipping(name)&id=eq.1&billing_orders.order=id"),
        200, R"J([{"name":"32 Glenlake Dr.Dearborn, MI 48124",
                   "billing_orders":[{"name":"Personal Water Filter"},{"name":"Coffee Machine"}],
                   "shipping_orders":[{"name":"Coffee Machine"}]}])J");
    // EmbedDisambiguationSpec "errs on an ambiguous embed that has a circular reference":
    //   get "/agents?select=*,departments(*)" -> 300, details in this order (one-to-many first).
    row("PGRST201 circular", QStringLiteral("/query/agents?select=*,departments(*)"), 300,
        R"J({"details":[{"cardinality":"one-to-many","relationship":"departments_head_id_fkey using agents(id) and departments(head_id)",
                         "embedding":"agents with departments"},
                        {"cardinality":"many-to-one","relationship":"agents_department_id_fkey using agents(department_id) and departments(id)",
                         "embedding":"agents with departments"}],
             "hint":"Try changing 'departments' to one of the following: 'departments!departments_head_id_fkey', 'departments!agents_department_id_fkey'. Find the desired relationship in the 'details' key.",
             "message":"Could not embed because more than one relationship was found for 'agents' and 'departments'",
             "code":"PGRST201"})J");
    // Error.hs NoRelBetween: "Could not find a relationship between 'parent' and 'child' in the schema cache",
    // details "Searched for a foreign key relationship between 'parent' and 'child' in the schema 'api', but no matches were found."
    row("PGRST200", QStringLiteral("/query/films?select=title,addresses(name)"), 400,
        R"J({"code":"PGRST200","message":"Could not find a relationship between 'films' and 'addresses' in the schema cache",
             "details":"Searched for a foreign key relationship between 'films' and 'addresses' in the schema 'api', but no matches were found.",
             "hint":null})J");
    row("PGRST200 with a hint", QStringLiteral("/query/orders?select=name,addresses!nope(name)"), 400,
        R"J({"code":"PGRST200","message":"Could not find a relationship between 'orders' and 'addresses' in the schema cache",
             "details":"Searched for a foreign key relationship between 'orders' and 'addresses' using the hint 'nope' in the schema 'api', but no matches were found.",
             "hint":null})J");
    row("PGRST200 unknown table", QStringLiteral("/query/films?select=title,nosuch(name)"), 400, {}, "PGRST200");
    row("unknown column inside", QStringLiteral("/query/films?select=title,directors(nosuch)"), 400, {}, "42703");
    row("unbalanced", QStringLiteral("/query/films?select=title,directors(id"), 400, {}, "PGRST100");
    // Self-reference (findRel): the column gives the many-to-one, the table the one-to-many.
    row("self many-to-one by column", QStringLiteral("/query/employees?select=last_name,supervisor_id(last_name)&id=eq.3"), 200,
        R"J([{"last_name":"Miller","supervisor_id":{"last_name":"Taylor"}}])J");
    row("self one-to-many by table", QStringLiteral("/query/employees?select=last_name,employees(last_name)&id=eq.1&employees.order=id"),
        200, R"J([{"last_name":"Taylor","employees":[{"last_name":"Johnson"},{"last_name":"Miller"}]}])J");

    // Docs, "Top-level Filtering":
    //   "films?select=title,actors(first_name,last_name)&actors.first_name=eq.Jehanne"
    //   [{"title": "Workers Leaving The Lumière Factory In Lyon", "actors": []},
    //    {"title": "The Dickson Experimental Sound Film", "actors": []},
    //    {"title": "The Haunted Castle", "actors": [{"first_name": "Jehanne", "last_name": "d'Alcy"}]}]
    row("embedded filter", QStringLiteral("/query/films?select=title,actors(first_name,last_name)&actors.first_name=eq.Jehanne&order=id"),
        200, R"J([{"title":"Workers Leaving The Lumière Factory In Lyon","actors":[]},
                  {"title":"The Dickson Experimental Sound Film","actors":[]},
                  {"title":"The Haunted Castle","actors":[{"first_name":"Jehanne","last_name":"d'Alcy"}]},
                  {"title":"The Lighthouse","actors":[]}])J");
    //   "films?select=title,actors!inner(first_name,last_name)&actors.first_name=eq.Jehanne"
    //   [{"title": "The Haunted Castle", "actors": [{"first_name": "Jehanne", "last_name": "d'Alcy"}]}]
    row("!inner", QStringLiteral("/query/films?select=title,actors!inner(first_name,last_name)&actors.first_name=eq.Jehanne"),
        200, R"J([{"title":"The Haunted Castle","actors":[{"first_name":"Jehanne","last_name":"d'Alcy"}]}])J");
    row("!inner many-to-one", QStringLiteral("/query/films?select=title,directors!inner(last_name)&directors.last_name=eq.Dickson"),
        200, R"J([{"title":"The Dickson Experimental Sound Film","directors":{"last_name":"Dickson"}}])J");
    row("to-one filter without !inner: null", QStringLiteral("/query/films?select=id,directors(last_name)&directors.last_name=eq.Dickson&id=lte.2&order=id"),
        200, R"J([{"id":1,"directors":null},{"id":2,"directors":{"last_name":"Dickson"}}])J");
    row("!inner without a match: no parents", QStringLiteral("/query/directors?select=last_name,films!inner(title)&id=eq.4"), 200, "[]");
    // Docs, "Empty Embed": an empty embed filters with !inner and is not in the answer.
    row("empty embed", QStringLiteral("/query/films?select=title,technical_specs!inner()"), 200, R"J([{"title":"The Lighthouse"}])J");
    // Docs, "Embedded Filters": "films?select=*,roles(*)&roles.character=in.(Chico,Harpo,Groucho)",
    // "roles.or=(character.eq.Gummo,character.eq.Zeppo)", "actors.limit=10&actors.offset=2".
    row("embedded in", QStringLiteral("/query/films?select=id,roles(character)&roles.character=in.(Lady,Violinist)&order=id"),
        200, R"J([{"id":1,"roles":[]},{"id":2,"roles":[{"character":"Violinist"}]},{"id":3,"roles":[{"character":"Lady"}]},
                  {"id":4,"roles":[]}])J");
    row("embedded or", QStringLiteral("/query/films?select=id,roles(character)&roles.or=(character.eq.Lady,character.eq.Thomas%20Wake)&id=gte.3&order=id"),
        200, R"J([{"id":3,"roles":[{"character":"Lady"}]},{"id":4,"roles":[{"character":"Thomas Wake"}]}])J");
    row("embedded order, limit, offset", QStringLiteral("/query/films?select=id,roles(character)&id=eq.4&roles.order=character&roles.limit=1&roles.offset=1"),
        200, R"J([{"id":4,"roles":[{"character":"Thomas Wake"}]}])J");
    // Docs: "films?select=*,90_comps:competitions(name),91_comps:competitions(name)&90_comps.year=eq.1990&91_comps.year=eq.1991"
    row("filters on aliases", QStringLiteral("/query/films?select=id,90_comps:competitions(name),91_comps:competitions(name)"
                                             "&90_comps.year=eq.1990&91_comps.year=eq.1991&id=eq.3"),
        200, R"J([{"id":3,"90_comps":[{"name":"Venice"}],"91_comps":[{"name":"Cannes"}]}])J");
    // Docs: "films?select=*,roles(*,actors(*))&roles.actors.order=last_name&roles.actors.first_name=like.*Tom*"
    row("nested filter", QStringLiteral("/query/films?select=id,roles(character,actors(first_name))&id=eq.4&roles.order=character"
                                        "&roles.actors.first_name=like.*Wil*"),
        200, R"J([{"id":4,"roles":[{"character":"Ephraim Winslow","actors":null},{"character":"Thomas Wake","actors":{"first_name":"Willem"}}]}])J");
    // Docs, "Null filtering on Embedded Resources": "films?select=title,actors(*)&actors=not.is.null"
    // returns the same as actors!inner(*); "films?select=title,nominations()&nominations=is.null" the films
    // without nominations; "or=(actors.is.null,directors.is.null)" those without actors or directors.
    row("not.is.null on an embed", QStringLiteral("/query/films?select=title,actors(last_name)&actors=not.is.null&order=id&actors.order=id"),
        200, R"J([{"title":"The Dickson Experimental Sound Film","actors":[{"last_name":"Dickson"}]},
                  {"title":"The Haunted Castle","actors":[{"last_name":"d'Alcy"},{"last_name":"Méliès"}]},
                  {"title":"The Lighthouse","actors":[{"last_name":"Dafoe"},{"last_name":"Pattinson"}]}])J");
    row("is.null on an empty embed", QStringLiteral("/query/films?select=title,nominations()&nominations=is.null&order=id"), 200,
        R"J([{"title":"Workers Leaving The Lumière Factory In Lyon"},{"title":"The Dickson Experimental Sound Film"}])J");
    row("is.null in or=", QStringLiteral("/query/films?select=id,actors(),directors()&or=(actors.is.null,directors.is.null)&order=id"),
        200, R"J([{"id":1},{"id":4}])J");
    row("null filter with an embedded filter", QStringLiteral("/query/directors?select=last_name,films(title)&films.year=gt.1895&films=not.is.null&order=id"),
        200, R"J([{"last_name":"Méliès","films":[{"title":"The Haunted Castle"}]}])J");
    // Error.hs UnacceptableFilter: "Bad operator on the 'actors' embedded resource",
    // details "Only is null or not is null filters are allowed on embedded resources"
    row("PGRST120", QStringLiteral("/query/films?select=title,actors(*)&actors=eq.1"), 400,
        R"J({"code":"PGRST120","message":"Bad operator on the 'actors' embedded resource",
             "details":"Only is null or not is null filters are allowed on embedded resources","hint":null})J");

    // Related order (PostgREST 11+, RelatedQueriesSpec): order=clients(name) on a to-one embed.
    row("related order", QStringLiteral("/query/films?select=title,directors(last_name)&order=directors(last_name).desc&id=lte.3"),
        200, R"J([{"title":"The Haunted Castle","directors":{"last_name":"Méliès"}},
                  {"title":"Workers Leaving The Lumière Factory In Lyon","directors":{"last_name":"Lumière"}},
                  {"title":"The Dickson Experimental Sound Film","directors":{"last_name":"Dickson"}}])J");
    row("related order on an alias, nulls first", QStringLiteral("/query/films?select=id,d:directors(id)&order=d(id).desc.nullsfirst"),
        200, R"J([{"id":4,"d":null},{"id":3,"d":{"id":3}},{"id":1,"d":{"id":2}},{"id":2,"d":{"id":1}}])J");
    // Error.hs RelatedOrderNotToOne: "A related order on 'films' is not possible",
    // details "'directors' and 'films' do not form a many-to-one or one-to-one relationship"
    row("PGRST118", QStringLiteral("/query/directors?select=last_name,films(title)&order=films(title)"), 400,
        R"J({"code":"PGRST118","message":"A related order on 'films' is not possible",
             "details":"'directors' and 'films' do not form a many-to-one or one-to-one relationship","hint":null})J");
    row("related order without the embed", QStringLiteral("/query/films?select=title&order=directors(last_name)"), 400, {}, "PGRST108");

    // Docs, "Foreign Key Joins on Table-Valued Functions":
    //   curl "http://localhost:3000/rpc/getallfilms?select=title,directors(id,last_name)&title=like.*Workers*"
    //   [{ "title": "Workers Leaving The Lumière Factory In Lyon", "directors": { "id": 2, "last_name": "Lumière" } }]
    row("function returning a table's rows", QStringLiteral("/query/rpc/getallfilms?select=title,directors(id,last_name)&title=like.*Workers*"),
        200, R"J([{"title":"Workers Leaving The Lumière Factory In Lyon","directors":{"id":2,"last_name":"Lumière"}}])J");
    row("function: !inner, embedded filter and order", QStringLiteral("/query/rpc/getallfilms?select=id,actors!inner(id)&actors.id=gt.3"
                                                                      "&actors.order=id.desc&order=id"),
        200, R"J([{"id":4,"actors":[{"id":5},{"id":4}]}])J");
    row("function returning scalars", QStringLiteral("/query/rpc/ints?select=ints,directors(id)"), 400, {}, "AIODATA012");

    // Error.hs NotEmbedded: "'<resource>' is not an embedded resource in this request",
    // hint "Verify that '<resource>' is included in the 'select' query parameter."
    row("PGRST108", QStringLiteral("/query/films?select=title&actors.first_name=eq.Jehanne"), 400,
        R"J({"code":"PGRST108","message":"'actors' is not an embedded resource in this request","details":null,
             "hint":"Verify that 'actors' is included in the 'select' query parameter."})J");
    row("PGRST108 nested", QStringLiteral("/query/films?select=title,roles(character)&roles.nope.id=eq.1"), 400, {}, "PGRST108");

    // Spreads (PostgREST 12, SpreadQueriesSpec): a to-one embed's columns become the parent's.
    row("spread", QStringLiteral("/query/films?select=title,...directors(director_last_name:last_name)&id=in.(1,4)&order=id"), 200,
        R"J([{"title":"Workers Leaving The Lumière Factory In Lyon","director_last_name":"Lumière"},
             {"title":"The Lighthouse","director_last_name":null}])J");
    // Error.hs SpreadNotToOne: "A spread operation on 'films' is not possible",
    // details "'directors' and 'films' do not form a many-to-one or one-to-one relationship"
    row("PGRST119", QStringLiteral("/query/directors?select=last_name,...films(title)"), 400,
        R"J({"code":"PGRST119","message":"A spread operation on 'films' is not possible",
             "details":"'directors' and 'films' do not form a many-to-one or one-to-one relationship","hint":null})J");

    // The statement runs under the request's role: an embedded table it may not read is 42501.
    row("embedded table without SELECT", QStringLiteral("/query/films?select=title,secrets(note)"), 401, {}, "42501");
}

void tst_Embedding::embed()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, code);

    const Answer a = get(path);
    QVERIFY2(a.status == status, qPrintable(QStringLiteral("status %1, body %2").arg(a.status).arg(QString::fromUtf8(a.body))));
    if (!expected.isEmpty())
        QVERIFY2(sameJson(a.body, expected), a.body.constData());
    if (!code.isEmpty())
        QCOMPARE(QJsonDocument::fromJson(a.body).object().value(QLatin1String("code")).toString().toUtf8(), code);
}

void tst_Embedding::keyOrder()
{
    // PostgREST selects the columns first, then the embedded resources.
    const Answer a = get(QStringLiteral("/query/films?select=directors(last_name),title&id=eq.3"));
    QCOMPARE(a.status, 200);
    QCOMPARE(a.body, QByteArray(R"J([{"title":"The Haunted Castle","directors":{"last_name":"Méliès"}}])J"));
}

void tst_Embedding::countWithInner()
{
    // count=exact counts the rows !inner leaves, as the answer has them.
    const Answer a = get(QStringLiteral("/query/films?select=title,actors!inner(last_name)&actors.last_name=eq.Dafoe"),
                         {{"Prefer", "count=exact"}});
    QCOMPARE(a.status, 200);
    QCOMPARE(a.contentRange, QByteArray("0-0/1"));
}

void tst_Embedding::writes()
{
    // Docs, "Foreign Key Joins on Writes":
    //   curl "http://localhost:3000/films?select=title,year,director:directors(first_name,last_name)"
    //     -H "Prefer: return=representation" -d '{"id": 100, "director_id": 40, "title": "127 hours", "year": 2010, ...}'
    //   {"title": "127 hours", "year": 2010, "director": {"first_name": "Danny", "last_name": "Boyle"}}
    // (PostgREST answers an array; the docs show its one element.)
    const QList<QPair<QByteArray, QByteArray>> representation = {{"Prefer", "return=representation"}};
    Answer a = send("POST", QStringLiteral("/query/films?select=title,year,director:directors(first_name,last_name)"),
                    R"J({"id": 100, "director_id": 4, "title": "The Witch", "year": 2015})J", representation);
    QVERIFY2(a.status == 201, a.body.constData());
    QVERIFY2(sameJson(a.body, R"J([{"title":"The Witch","year":2015,"director":{"first_name":"Robert","last_name":"Eggers"}}])J"),
             a.body.constData());
    // Twice: the same shape again (an INSERT with embeds is not replayed from the cache with other embed queries).
    a = send("POST", QStringLiteral("/query/films?select=title,directors(last_name)&directors.last_name=eq.Nobody"),
             R"J({"id": 101, "director_id": 4, "title": "The Northman", "year": 2022})J", representation);
    QVERIFY2(sameJson(a.body, R"J([{"title":"The Northman","directors":null}])J"), a.body.constData());
    a = send("PATCH", QStringLiteral("/query/films?id=eq.100&select=title,directors(last_name),actors(last_name)"),
             R"J({"title": "The VVitch"})J", representation);
    QCOMPARE(a.status, 200);
    QVERIFY2(sameJson(a.body, R"J([{"title":"The VVitch","directors":{"last_name":"Eggers"},"actors":[]}])J"), a.body.constData());
    // return=minimal: no answer, and the embeds' values are not sent with the bare write.
    a = send("PATCH", QStringLiteral("/query/films?id=eq.101&select=title,directors(last_name)&directors.last_name=eq.Eggers"),
             R"J({"year": 2021})J", {{"Prefer", "return=minimal"}});
    QCOMPARE(a.status, 204);
    a = send("DELETE", QStringLiteral("/query/films?id=in.(100,101)&select=title,year,directors!inner(last_name)"), {},
             representation);
    QCOMPARE(a.status, 200);
    QVERIFY2(sameJson(a.body, R"J([{"title":"The VVitch","year":2015,"directors":{"last_name":"Eggers"}},
                                   {"title":"The Northman","year":2021,"directors":{"last_name":"Eggers"}}])J"),
             a.body.constData());
    QCOMPARE(get(QStringLiteral("/query/films?id=gte.100")).body, QByteArray("[]"));
}

void tst_Embedding::reloadPicksUpNewForeignKeys()
{
    QVERIFY(m_db.exec(QStringLiteral("CREATE TABLE api.posters (id int PRIMARY KEY, film_id int, url text);"
                                     "GRANT SELECT ON api.posters TO anon;"
                                     "INSERT INTO api.posters VALUES (1, 4, 'lighthouse.png');"
                                     "NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(QStringLiteral("/query/posters?select=url")).status, 200, 10000);
    QCOMPARE(get(QStringLiteral("/query/posters?select=url,films(title)")).status, 400); // no foreign key yet
    QVERIFY(m_db.exec(QStringLiteral("ALTER TABLE api.posters ADD FOREIGN KEY (film_id) REFERENCES api.films(id);"
                                     "NOTIFY pgrst, 'reload schema'")));
    QTRY_COMPARE_WITH_TIMEOUT(get(QStringLiteral("/query/posters?select=url,films(title)")).status, 200, 10000);
    QVERIFY(sameJson(get(QStringLiteral("/query/posters?select=url,films(title)")).body,
                     R"J([{"url":"lighthouse.png","films":{"title":"The Lighthouse"}}])J"));
}

QTEST_GUILESS_MAIN(tst_Embedding)
#include "tst_embedding.moc"
