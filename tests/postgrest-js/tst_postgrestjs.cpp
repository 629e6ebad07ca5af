// PostgREST's official JavaScript client against the real server: a fresh
// database (examples/pets.sql plus the data below), the real server binary,
// and `node postgrest-js-compat.mjs <url>/query <token>` run with
// @supabase/postgrest-js as pinned in package.json (installed into the build
// tree by the ctest fixture postgrestjs_install, `npm ci`).
//
// Skipped (QSKIP) when node is missing or the install could not reach the
// registry; once installed, every check of the script must pass and the
// database must end exactly as the script's writes leave it.
//
// Run: ctest -R "db_|postgrest" (the fixtures start the test PostgreSQL and
// install the package).

#include "testdatabase.h"
#include "testserver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QtTest>

namespace {

const QString NodeBin = QStringLiteral(AIODATA_NODE_BIN);
const QString PackageDir = QStringLiteral(AIODATA_POSTGRESTJS_DIR);
const QString Script = QStringLiteral("postgrest-js-compat.mjs");

// A second exposed schema with a pets table of its own, so Accept-Profile /
// Content-Profile visibly switch tables; then the data the script expects.
const char *const Setup = R"SQL(
CREATE SCHEMA archive;
GRANT USAGE ON SCHEMA archive TO anon, auth;
CREATE TABLE archive.pets (LIKE api.pets INCLUDING ALL);
GRANT SELECT ON archive.pets TO anon;
GRANT ALL ON archive.pets TO auth;

INSERT INTO api.pets (type, breed, name, color, groomed) VALUES
  ('Dog', 'Shiba Inu', 'Munch', 16766362, false),
  ('Dog', 'Shiba Inu', 'Rex', NULL, true),
  ('Dog', 'Poodle', 'Fifi', 16777215, false),
  ('Cat', 'Tabby', 'Tom', 8421504, true),
  ('Cat', 'Siamese', 'Luna', 0, NULL),
  ('Fish', 'Koi', 'Aqui', 16753920, false);
INSERT INTO archive.pets (type, breed, name, color, groomed) VALUES ('Dog', 'Mutt', 'Yeller', NULL, true);

-- For .rpc(): they write nothing, so the tables end as below.
CREATE FUNCTION api.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION api.pets_of_type(t text) RETURNS SETOF api.pets LANGUAGE sql STABLE
  AS 'SELECT * FROM api.pets WHERE type = t';
CREATE FUNCTION api.ret_void() RETURNS void LANGUAGE sql AS 'SELECT';

-- For resource embedding: part of the film database of PostgREST's docs
-- (resource_embedding.rst) and its orders with two keys to addresses.
CREATE TABLE api.directors (id int PRIMARY KEY, last_name text);
CREATE TABLE api.films (id int PRIMARY KEY, director_id int REFERENCES api.directors(id), title text);
CREATE TABLE api.actors (id int PRIMARY KEY, first_name text, last_name text);
CREATE TABLE api.roles (film_id int REFERENCES api.films(id), actor_id int REFERENCES api.actors(id), character text,
                        PRIMARY KEY (film_id, actor_id));
CREATE TABLE api.technical_specs (film_id int PRIMARY KEY REFERENCES api.films(id), camera text);
CREATE TABLE api.addresses (id int PRIMARY KEY, name text);
CREATE TABLE api.orders (id int PRIMARY KEY, name text,
                         billing_address_id int CONSTRAINT billing REFERENCES api.addresses(id),
                         shipping_address_id int CONSTRAINT shipping REFERENCES api.addresses(id));
GRANT SELECT ON api.directors, api.films, api.actors, api.roles, api.technical_specs, api.addresses, api.orders TO anon, auth;
INSERT INTO api.directors VALUES (1, 'Dickson'), (2, 'Lumière'), (3, 'Méliès');
INSERT INTO api.films VALUES (1, 2, 'Workers Leaving The Lumière Factory In Lyon'), (2, 1, 'The Dickson Experimental Sound Film'),
                             (3, 3, 'The Haunted Castle'), (4, NULL, 'The Lighthouse');
INSERT INTO api.actors VALUES (1, 'Jehanne', 'd''Alcy'), (2, 'Georges', 'Méliès'), (3, 'Willem', 'Dafoe');
INSERT INTO api.roles VALUES (3, 1, 'Lady'), (3, 2, 'Mephistopheles'), (4, 3, 'Thomas Wake');
INSERT INTO api.technical_specs VALUES (4, 'Panavision Millennium XL2');
INSERT INTO api.addresses VALUES (1, '32 Glenlake Dr.'), (2, '30 Glenlake Dr.');
INSERT INTO api.orders VALUES (1, 'Personal Water Filter', 1, 2), (2, 'Coffee Machine', 1, 1);
)SQL";

// The tables once the script's writes are done.
const char *const FinalApiPets = R"([
  {"type":"Fish","breed":"Koi","name":"Aqui","color":16753920,"groomed":false},
  {"type":"Dog","breed":"Poodle","name":"Fifi","color":16777215,"groomed":false},
  {"type":"Cat","breed":"Tabby","name":"Garfield","color":16753920,"groomed":false},
  {"type":"Bird","breed":"Owl","name":"Hedwig","color":null,"groomed":true},
  {"type":"Bird","breed":"Parrot","name":"Kiwi","color":3,"groomed":false},
  {"type":"Cat","breed":"Siamese","name":"Luna","color":0,"groomed":null},
  {"type":"Dog","breed":"Shiba Inu","name":"Munch","color":1,"groomed":true},
  {"type":"Bird","breed":"Parrot","name":"Polly","color":null,"groomed":false},
  {"type":"Dog","breed":"Shiba Inu","name":"Rex","color":42,"groomed":true},
  {"type":"Bird","breed":"Canary","name":"Sunny","color":5,"groomed":true},
  {"type":"Cat","breed":"Tabby","name":"Tom","color":9,"groomed":true},
  {"type":"Bird","breed":"Canary","name":"Tweety","color":5,"groomed":null}])";
const char *const FinalArchivePets = R"([
  {"type":"Cat","breed":"Tabby","name":"Felix","color":null,"groomed":false},
  {"type":"Dog","breed":"Mutt","name":"Yeller","color":null,"groomed":true}])";

QJsonArray parseArray(const char *json)
{
    return QJsonDocument::fromJson(json).array();
}

QString compact(const QJsonArray &a)
{
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}

} // namespace

class tst_PostgrestJs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void postgrestJs();
    void cleanupTestCase();

private:
    TestDatabase m_db{QStringLiteral("tst_postgrestjs")};
    TestServer m_server;
};

void tst_PostgrestJs::initTestCase()
{
    if (NodeBin.isEmpty() || !QFileInfo(NodeBin).isExecutable())
        QSKIP("node not found when configuring: install nodejs (node >= 18) and npm, then re-run cmake");
    const QDir dir(PackageDir);
    if (!QFile::exists(dir.filePath(QStringLiteral("node_modules/@supabase/postgrest-js/package.json")))) {
        QFile skipped(dir.filePath(QStringLiteral("SKIPPED")));
        if (skipped.open(QIODevice::ReadOnly))
            QSKIP(qPrintable(QStringLiteral("@supabase/postgrest-js not installed: ")
                             + QString::fromUtf8(skipped.readAll()).trimmed()));
        QFAIL(qPrintable(QStringLiteral("@supabase/postgrest-js is not installed in %1: run it through ctest, whose "
                                        "fixture test postgrestjs_install runs npm ci there")
                             .arg(PackageDir)));
    }

    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    QVERIFY2(m_db.exec(QString::fromUtf8(Setup), &error), qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QStringLiteral("db-schemas = \"api, archive\""), &error),
             qPrintable(error));
}

void tst_PostgrestJs::cleanupTestCase()
{
    m_server.stop();
}

void tst_PostgrestJs::postgrestJs()
{
    const QString url = m_server.url().toString() + QLatin1String("/query");
    QProcess node;
    node.setWorkingDirectory(PackageDir);
    node.setProcessChannelMode(QProcess::MergedChannels);
    node.start(NodeBin, {QDir(PackageDir).filePath(Script), url, TestServer::token(QStringLiteral("auth"))});
    QVERIFY2(node.waitForStarted(10000), qPrintable(node.errorString()));
    const bool finished = node.waitForFinished(120000);
    const QByteArray output = node.readAll();
    if (!finished) {
        node.kill();
        node.waitForFinished(5000);
    }
    // The script's TAP-like report, always: it names each check.
    for (const QByteArray &line : output.split('\n')) {
        if (!line.isEmpty())
            qInfo().noquote() << QString::fromUtf8(line);
    }
    QVERIFY2(finished, "node did not finish within 120 s");
    const QByteArray server = m_server.output();
    QVERIFY2(node.exitStatus() == QProcess::NormalExit, "node crashed");
    QVERIFY2(node.exitCode() == 0,
             qPrintable(QStringLiteral("postgrest-js: node exited with %1 (the number of failed checks): see the \"not ok\" lines above.\n"
                                       "Server output:\n%2")
                            .arg(node.exitCode())
                            .arg(QString::fromUtf8(server.right(4000)))));
    QVERIFY2(!output.contains("not ok "), "a check failed although node exited with 0");
    QVERIFY2(output.contains("# all ") && output.contains(" checks passed"), "the script did not run to its end");

    // The database itself ends as the writes left it.
    const QJsonArray api = m_db.rows(QStringLiteral("SELECT * FROM api.pets ORDER BY name"));
    QVERIFY2(api == parseArray(FinalApiPets), qPrintable(compact(api)));
    const QJsonArray archive = m_db.rows(QStringLiteral("SELECT * FROM archive.pets ORDER BY name"));
    QVERIFY2(archive == parseArray(FinalArchivePets), qPrintable(compact(archive)));
}

QTEST_GUILESS_MAIN(tst_PostgrestJs)
#include "tst_postgrestjs.moc"
