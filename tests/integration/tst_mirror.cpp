// aiodata-mirror, the command-line tool (examples/mirror), as a user runs it:
// the real binary as a process against the real server and PostgreSQL.
// Its output is compared with what the REST API answers.

#include "testdatabase.h"
#include "testserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QtTest>

class tst_Mirror : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void read_data();
    void read();
    void readQuery_data();
    void readQuery();
    void follow();
    void followReconnects();
    void write_data();
    void write();
    void refused_data();
    void refused();
    void usage_data();
    void usage();
    void unreachable_data();
    void unreachable();
    void help();

private:
    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        qint64 elapsedMs = 0;
    };
    // Runs the tool to its end (killed after timeoutMs: exitCode -1).
    Run run(const QStringList &arguments, const QString &environmentToken = QString(), int timeoutMs = 20000);
    static QProcessEnvironment environment(const QString &token);
    // GET on the server, as the auth role; the body parsed.
    QJsonArray get(const QString &path);
    static QJsonArray sortedByKey(QJsonArray rows, const QStringList &key = {QStringLiteral("type"), QStringLiteral("breed"), QStringLiteral("name")});
    static QJsonArray parseArray(const QByteArray &line);
    // Reads the next line of a running tool (without the newline); null on timeout.
    static QByteArray nextLine(QProcess &process, QByteArray &buffer, int timeoutMs = 10000);

    TestDatabase m_db{QStringLiteral("tst_mirror")};
    TestServer m_server;
    QNetworkAccessManager m_nam;
    QString m_auth;
};

static const QString pets = QStringLiteral("pets");
// Keys that sort differently as text than by insertion, a null, a
// non-ASCII name and one with a slash (for --key's percent-encoding).
static const char seedPets[] =
    "INSERT INTO api.pets VALUES ('Dog', 'Shiba Inu', 'Munch', 16766362, false), ('Dog', 'Mutt', 'Rex', NULL, true),"
    " ('Cat', 'Tabby', 'Zoë', 3, false), ('Cat', 'Tabby', 'Amber', 4, false), ('Dog', 'Mutt', 'A/B', 5, false),"
    " ('Fish', 'Koi', 'Aqui', NULL, false)";

void tst_Mirror::initTestCase()
{
    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    // Values of other types, as the REST API writes them: the tool must print the same JSON.
    QVERIFY2(m_db.exec(QStringLiteral(
                 "CREATE TABLE api.kinds (id bigint PRIMARY KEY, n numeric, f float8, big bigint, t timestamptz, d date,"
                 " j jsonb, a int[], txt text[], b bytea, u uuid, s text);"
                 " GRANT SELECT ON api.kinds TO anon; GRANT ALL ON api.kinds TO auth;"
                 " INSERT INTO api.kinds VALUES"
                 " (10, 1.50, 0.1, 9007199254740993, '2024-02-29 12:34:56.789+00', '2024-02-29', '{\"b\": 1, \"a\": [1, null, \"x\"]}',"
                 "  '{1,2,3}', '{\"a b\",NULL}', '\\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'tab\there \"quoted\" \\ é 🐟'),"
                 " (2, -0.000001, 1e300, -9223372036854775808, NULL, NULL, 'null', '{}', '{}', '', NULL, ''),"
                 " (-3, NULL, 'NaN', NULL, NULL, NULL, '[]', NULL, NULL, NULL, NULL, NULL)"),
                 &error),
             qPrintable(error));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), QString(), &error), qPrintable(error));
    m_auth = TestServer::token(QStringLiteral("auth"));
    QVERIFY(m_db.exec(QString::fromUtf8(seedPets)));
}

void tst_Mirror::cleanupTestCase()
{
    m_server.stop();
}

QProcessEnvironment tst_Mirror::environment(const QString &token)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("AIODATA_TOKEN"));
    if (!token.isEmpty())
        env.insert(QStringLiteral("AIODATA_TOKEN"), token);
    return env;
}

tst_Mirror::Run tst_Mirror::run(const QStringList &arguments, const QString &environmentToken, int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(environment(environmentToken));
    QElapsedTimer timer;
    timer.start();
    process.start(QStringLiteral(AIODATA_MIRROR_BIN), arguments);
    Run result;
    if (!process.waitForStarted(5000)) {
        qWarning() << "cannot start" << AIODATA_MIRROR_BIN << process.errorString();
        return result;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
    } else if (process.exitStatus() == QProcess::NormalExit) {
        result.exitCode = process.exitCode();
    }
    result.elapsedMs = timer.elapsed();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QJsonArray tst_Mirror::get(const QString &path)
{
    QNetworkRequest request(QUrl(m_server.url().toString() + path));
    request.setRawHeader("Authorization", "Bearer " + m_auth.toLatin1());
    QNetworkReply *reply = m_nam.get(request);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !done.wait(10000))
        qWarning() << "GET" << path << "timed out";
    reply->deleteLater();
    if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
        qWarning() << "GET" << path << reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    return QJsonDocument::fromJson(reply->readAll()).array();
}

// By the key columns: numbers numerically, text by code point (the model's order).
QJsonArray tst_Mirror::sortedByKey(QJsonArray rows, const QStringList &key)
{
    QList<QJsonObject> list;
    for (const QJsonValue &row : rows)
        list.append(row.toObject());
    std::sort(list.begin(), list.end(), [&](const QJsonObject &a, const QJsonObject &b) {
        for (const QString &column : key) {
            const QJsonValue x = a.value(column);
            const QJsonValue y = b.value(column);
            if (x.isDouble() && y.isDouble()) {
                if (x.toDouble() != y.toDouble())
                    return x.toDouble() < y.toDouble();
            } else if (const int c = x.toString().compare(y.toString())) {
                return c < 0;
            }
        }
        return false;
    });
    QJsonArray sorted;
    for (const QJsonObject &o : list)
        sorted.append(o);
    return sorted;
}

QJsonArray tst_Mirror::parseArray(const QByteArray &line)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        qWarning() << "not a JSON array:" << line << error.errorString();
    return doc.array();
}

QByteArray tst_Mirror::nextLine(QProcess &process, QByteArray &buffer, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!buffer.contains('\n')) {
        const int left = timeoutMs - int(timer.elapsed());
        if (left <= 0 || (!process.waitForReadyRead(left) && process.state() != QProcess::Running))
            break;
        buffer += process.readAllStandardOutput();
    }
    const qsizetype end = buffer.indexOf('\n');
    if (end < 0)
        return QByteArray();
    const QByteArray line = buffer.left(end);
    buffer.remove(0, end + 1);
    return line;
}

void tst_Mirror::read_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QStringList>("key");
    QTest::addColumn<QString>("option"); // how the token is given
    QTest::addColumn<QString>("token");
    QTest::addColumn<QByteArray>("start"); // how the line begins: keys in column order

    const QStringList petsKey{QStringLiteral("type"), QStringLiteral("breed"), QStringLiteral("name")};
    const QByteArray petsStart(R"([{"type":"Cat","breed":"Tabby","name":"Amber","color":4,"groomed":false},)");
    const QString auth = TestServer::token(QStringLiteral("auth"));
    QTest::newRow("anonymous") << pets << petsKey << QString() << QString() << petsStart;
    QTest::newRow("--token") << pets << petsKey << QStringLiteral("--token") << auth << petsStart;
    QTest::newRow("AIODATA_TOKEN") << pets << petsKey << QStringLiteral("env") << auth << petsStart;
    QTest::newRow("value types") << QStringLiteral("kinds") << QStringList{QStringLiteral("id")} << QString() << QString()
                                 << QByteArray(R"([{"id":-3,"n":null,"f":"NaN",)");
}

void tst_Mirror::read()
{
    QFETCH(QString, table);
    QFETCH(QStringList, key);
    QFETCH(QString, option);
    QFETCH(QString, token);
    QFETCH(QByteArray, start);
    QStringList arguments{QStringLiteral("--url"), m_server.url().toString()};
    if (option == QLatin1String("--token"))
        arguments << QStringLiteral("--token") << token;
    arguments << table;
    const Run r = run(arguments, option == QLatin1String("env") ? token : QString());
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.isEmpty(), r.err.constData());

    // One line, ending in a newline, equal to the REST API's rows sorted by key.
    QVERIFY2(r.out.endsWith('\n') && r.out.count('\n') == 1, r.out.constData());
    const QJsonArray printed = parseArray(r.out.trimmed());
    const QJsonArray expected = sortedByKey(get(QStringLiteral("/query/") + table), key);
    QVERIFY(expected.size() >= 3);
    QCOMPARE(printed, expected);
    // Objects are keyed in column order, not alphabetically.
    QVERIFY2(r.out.startsWith(start), r.out.constData());
}

// TABLE QUERY mirrors a live subset: the rows GET /query/TABLE?QUERY gives
// (with the key columns), or the server's refusal (exit 1).
void tst_Mirror::readQuery_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("restQuery"); // what the REST API answers the same rows for
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("error");
    QTest::newRow("filter") << QStringLiteral("type=eq.Dog") << QStringLiteral("type=eq.Dog") << 0 << QString();
    QTest::newRow("or tree") << QStringLiteral("or=(color.gt.4,name.eq.Aqui)") << QStringLiteral("or=(color.gt.4,name.eq.Aqui)")
                             << 0 << QString();
    QTest::newRow("select keeps the key") << QStringLiteral("type=eq.Cat&select=color")
                                          << QStringLiteral("type=eq.Cat&select=type,breed,name,color") << 0 << QString();
    QTest::newRow("nothing matches") << QStringLiteral("color=gt.99999999") << QStringLiteral("color=gt.99999999") << 0
                                     << QString();
    QTest::newRow("unknown column") << QStringLiteral("nope=eq.1") << QString() << 1 << QStringLiteral("nope");
    QTest::newRow("order refused") << QStringLiteral("order=name") << QString() << 1
                                   << QStringLiteral("not supported in a subscription");
}

void tst_Mirror::readQuery()
{
    QFETCH(QString, query);
    QFETCH(QString, restQuery);
    QFETCH(int, exitCode);
    QFETCH(QString, error);
    const Run r = run({QStringLiteral("--url"), m_server.url().toString(), pets, query});
    QVERIFY2(r.exitCode == exitCode, r.err.constData());
    if (exitCode != 0) {
        QVERIFY2(r.out.isEmpty(), r.out.constData());
        QVERIFY2(QString::fromUtf8(r.err).contains(error), r.err.constData());
        return;
    }
    QVERIFY2(r.err.isEmpty(), r.err.constData());
    QVERIFY2(r.out.endsWith('\n') && r.out.count('\n') == 1, r.out.constData());
    QCOMPARE(parseArray(r.out.trimmed()), sortedByKey(get(QStringLiteral("/query/pets?") + restQuery)));
}

void tst_Mirror::follow()
{
    QProcess process;
    process.setProcessEnvironment(environment(QString()));
    process.start(QStringLiteral(AIODATA_MIRROR_BIN), {QStringLiteral("--url"), m_server.url().toString(),
                                                      QStringLiteral("--follow"), pets});
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));
    auto stop = qScopeGuard([&] {
        process.kill();
        process.waitForFinished(5000);
    });
    QByteArray buffer;
    const QByteArray first = nextLine(process, buffer);
    QVERIFY2(!first.isNull(), process.readAllStandardError().constData());
    QCOMPARE(parseArray(first), sortedByKey(get(QStringLiteral("/query/pets"))));

    // Writes by another client (psql's way: straight into PostgreSQL), one line each.
    struct Step
    {
        QString sql;
        QString action;
        QJsonArray rows;
        QJsonArray old;
    };
    const auto pet = [](const char *type, const char *breed, const char *name, const QJsonValue &color, bool groomed) {
        return QJsonObject{{QStringLiteral("type"), QLatin1String(type)}, {QStringLiteral("breed"), QLatin1String(breed)},
                           {QStringLiteral("name"), QLatin1String(name)}, {QStringLiteral("color"), color},
                           {QStringLiteral("groomed"), groomed}};
    };
    const QList<Step> steps{
        {QStringLiteral("INSERT INTO api.pets VALUES ('Bird', 'Parrot', 'Polly', 9, false)"), QStringLiteral("create"),
         {pet("Bird", "Parrot", "Polly", 9, false)}, {}},
        {QStringLiteral("UPDATE api.pets SET color = 10, groomed = true WHERE name = 'Polly'"), QStringLiteral("update"),
         {pet("Bird", "Parrot", "Polly", 10, true)}, {pet("Bird", "Parrot", "Polly", 9, false)}},
        {QStringLiteral("DELETE FROM api.pets WHERE name = 'Polly'"), QStringLiteral("delete"),
         {pet("Bird", "Parrot", "Polly", 10, true)}, {}},
        // One transaction, another table's change in it: one line, two rows.
        {QStringLiteral("BEGIN; INSERT INTO api.kinds (id) VALUES (99);"
                        " INSERT INTO api.pets VALUES ('Bird', 'Tit', 'T1', 1, false), ('Bird', 'Tit', 'T2', 2, false);"
                        " UPDATE api.kinds SET s = 'x' WHERE id = 99; COMMIT"),
         QStringLiteral("create"), {pet("Bird", "Tit", "T1", 1, false), pet("Bird", "Tit", "T2", 2, false)}, {}},
        // A new primary key: old and new row.
        {QStringLiteral("UPDATE api.pets SET name = 'T3' WHERE name = 'T2'"), QStringLiteral("update"),
         {pet("Bird", "Tit", "T3", 2, false)}, {pet("Bird", "Tit", "T2", 2, false)}},
        {QStringLiteral("TRUNCATE api.pets"), QStringLiteral("truncate"), {}, {}},
    };
    for (const Step &step : steps) {
        QVERIFY(m_db.exec(step.sql));
        const QByteArray line = nextLine(process, buffer, 5000);
        QVERIFY2(!line.isNull(), qPrintable(QStringLiteral("no line after %1; stderr: %2")
                                                .arg(step.sql, QString::fromLocal8Bit(process.readAllStandardError()))));
        const QJsonObject change = QJsonDocument::fromJson(line).object();
        QCOMPARE(change.value(QLatin1String("action")).toString(), step.action);
        QCOMPARE(change.value(QLatin1String("table")).toString(), pets);
        QCOMPARE(change.value(QLatin1String("rows")).toArray(), step.rows);
        QCOMPARE(change.value(QLatin1String("old")).toArray(), step.old);
        QCOMPARE(change.keys(), (QStringList{QStringLiteral("action"), QStringLiteral("old"), QStringLiteral("rows"),
                                             QStringLiteral("table")}));
    }
    // The seed again (the tests after this one use it): one create line.
    QVERIFY(m_db.exec(QString::fromUtf8(seedPets)));
    const QJsonObject reseeded = QJsonDocument::fromJson(nextLine(process, buffer, 5000)).object();
    QCOMPARE(reseeded.value(QLatin1String("action")).toString(), QStringLiteral("create"));
    QCOMPARE(reseeded.value(QLatin1String("rows")).toArray().size(), 6);
    QCOMPARE(m_db.changed(QStringLiteral("DELETE FROM api.kinds WHERE id = 99")), 1);

    // Still running, nothing more printed.
    QCOMPARE(process.state(), QProcess::Running);
    QVERIFY2(nextLine(process, buffer, 300).isNull(), buffer.constData());
}

void tst_Mirror::followReconnects()
{
    QProcess process;
    process.setProcessEnvironment(environment(QString()));
    process.start(QStringLiteral(AIODATA_MIRROR_BIN), {QStringLiteral("--url"), m_server.url().toString(),
                                                      QStringLiteral("--follow"), pets});
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));
    auto stop = qScopeGuard([&] {
        process.kill();
        process.waitForFinished(5000);
    });
    QByteArray buffer;
    QVERIFY(!nextLine(process, buffer).isNull());

    // The server goes away; a write happens meanwhile (not seen by any stream).
    m_server.stop();
    QVERIFY(m_db.exec(QStringLiteral("INSERT INTO api.pets VALUES ('Bird', 'Owl', 'O1', 1, false)")));
    QString error;
    QVERIFY2(m_server.restart(&error), qPrintable(error));

    // Consistent again: the whole table once more. After a re-snapshot it
    // holds the row written while away; after a resume (a server whose slot
    // outlives it) the row follows as a create line.
    const QByteArray again = nextLine(process, buffer, 15000);
    const QByteArray err = process.readAllStandardError(); // (QVERIFY2 evaluates its message always)
    QVERIFY2(!again.isNull(), err.constData());
    QJsonArray rows = parseArray(again);
    const QJsonObject o1{{QStringLiteral("type"), QStringLiteral("Bird")}, {QStringLiteral("breed"), QStringLiteral("Owl")},
                         {QStringLiteral("name"), QStringLiteral("O1")}, {QStringLiteral("color"), 1},
                         {QStringLiteral("groomed"), false}};
    if (!rows.contains(o1)) {
        const QJsonObject created = QJsonDocument::fromJson(nextLine(process, buffer, 5000)).object();
        QCOMPARE(created.value(QLatin1String("action")).toString(), QStringLiteral("create"));
        QCOMPARE(created.value(QLatin1String("rows")).toArray(), QJsonArray{o1});
        rows.append(o1);
    }
    QCOMPARE(sortedByKey(rows), sortedByKey(get(QStringLiteral("/query/pets"))));
    QVERIFY2(err.contains("aiodata-mirror: connection lost, reconnecting") && err.contains("aiodata-mirror: reconnected"),
             err.constData());

    // And changes follow again.
    QVERIFY(m_db.exec(QStringLiteral("DELETE FROM api.pets WHERE name = 'O1'")));
    const QJsonObject deleted = QJsonDocument::fromJson(nextLine(process, buffer, 5000)).object();
    QCOMPARE(deleted.value(QLatin1String("action")).toString(), QStringLiteral("delete"));
    QCOMPARE(deleted.value(QLatin1String("rows")).toArray().size(), 1);
    QCOMPARE(process.state(), QProcess::Running);
}

void tst_Mirror::write_data()
{
    QTest::addColumn<QString>("setup");       // SQL run first
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("check");       // GET path afterwards
    QTest::addColumn<QByteArray>("expected"); // what it answers, and what the tool printed
    QTest::addColumn<QString>("envToken");

    QTest::newRow("create one") << QString() << QStringList{QStringLiteral("--create"), QStringLiteral(R"({"type": "Cat", "breed": "Tabby", "name": "Tom", "color": 5})")}
                                << QStringLiteral("/query/pets/Cat/Tabby/Tom")
                                << QByteArray(R"([{"type":"Cat","breed":"Tabby","name":"Tom","color":5,"groomed":false}])")
                                << QString();
    // As in PostgREST, a column some objects of an array lack is NULL for
    // them (no Prefer: missing=default): B1's groomed.
    QTest::newRow("create array, token from the environment")
        << QString()
        << QStringList{QStringLiteral("--create"), QStringLiteral(R"([{"type": "Bird", "breed": "Tit", "name": "B1"}, {"type": "Bird", "breed": "Tit", "name": "B2", "groomed": true}])")}
        << QStringLiteral("/query/pets/Bird/Tit")
        << QByteArray(R"([{"type":"Bird","breed":"Tit","name":"B1","color":null,"groomed":null},{"type":"Bird","breed":"Tit","name":"B2","color":null,"groomed":true}])")
        << QStringLiteral("env");
    QTest::newRow("update by full key")
        << QStringLiteral("INSERT INTO api.pets VALUES ('Cow', 'Jersey', 'Daisy', 1, false)")
        << QStringList{QStringLiteral("--update"), QStringLiteral(R"({"groomed": true, "color": 2})"), QStringLiteral("--key"), QStringLiteral("Cow/Jersey/Daisy")}
        << QStringLiteral("/query/pets/Cow")
        << QByteArray(R"([{"type":"Cow","breed":"Jersey","name":"Daisy","color":2,"groomed":true}])") << QString();
    QTest::newRow("update by key prefix")
        << QStringLiteral("INSERT INTO api.pets VALUES ('Hen', 'Silkie', 'H1', 1, false), ('Hen', 'Silkie', 'H2', 1, false)")
        << QStringList{QStringLiteral("--update"), QStringLiteral(R"({"color": 7})"), QStringLiteral("--key"), QStringLiteral("Hen")}
        << QStringLiteral("/query/pets/Hen")
        << QByteArray(R"([{"type":"Hen","breed":"Silkie","name":"H1","color":7,"groomed":false},{"type":"Hen","breed":"Silkie","name":"H2","color":7,"groomed":false}])")
        << QString();
    QTest::newRow("remove by full key")
        << QStringLiteral("INSERT INTO api.pets VALUES ('Ant', 'Red', 'A1', NULL, false), ('Ant', 'Red', 'A2', NULL, false)")
        << QStringList{QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("Ant/Red/A1")}
        << QStringLiteral("/query/pets/Ant")
        << QByteArray(R"([{"type":"Ant","breed":"Red","name":"A2","color":null,"groomed":false}])") << QString();
    QTest::newRow("remove, percent-encoded key part")
        << QStringLiteral("INSERT INTO api.pets VALUES ('Yak', 'Wild', 'x/y', NULL, false)")
        << QStringList{QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("Yak/Wild/x%2Fy")}
        << QStringLiteral("/query/pets/Yak")
        << QByteArray("[]") << QString();
}

void tst_Mirror::write()
{
    QFETCH(QString, setup);
    QFETCH(QStringList, arguments);
    QFETCH(QString, check);
    QFETCH(QByteArray, expected);
    QFETCH(QString, envToken);
    if (!setup.isEmpty())
        QVERIFY(m_db.exec(setup));
    const QJsonArray before = get(check);

    QStringList all{QStringLiteral("--url"), m_server.url().toString()};
    if (envToken.isEmpty())
        all << QStringLiteral("--token") << m_auth;
    all << pets << arguments;
    const Run r = run(all, envToken.isEmpty() ? QString() : m_auth);
    QVERIFY2(r.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
    QVERIFY2(r.err.isEmpty(), r.err.constData());

    const QJsonArray after = get(check);
    QCOMPARE(after, QJsonDocument::fromJson(expected).array());
    // The tool prints the affected rows: new ones, or the removed ones.
    QVERIFY2(r.out.count('\n') == 1, r.out.constData());
    const QJsonArray printed = parseArray(r.out.trimmed());
    if (arguments.contains(QStringLiteral("--remove"))) {
        QCOMPARE(printed.size(), before.size() - after.size());
        for (const QJsonValue &row : printed)
            QVERIFY(before.contains(row) && !after.contains(row));
    } else {
        QCOMPARE(sortedByKey(printed), after);
    }
}

void tst_Mirror::refused_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message"); // part of stderr

    const QString auth = TestServer::token(QStringLiteral("auth"));
    QTest::newRow("duplicate key") << auth
                                   << QStringList{QStringLiteral("--create"), QStringLiteral(R"({"type": "Dog", "breed": "Mutt", "name": "Rex"})")}
                                   << QStringLiteral("duplicate key value violates unique constraint \"pets_pkey\" (Key (type, breed, name)=(Dog, Mutt, Rex) already exists.) (HTTP 409, code 23505)");
    QTest::newRow("anon may not insert") << QString()
                                         << QStringList{QStringLiteral("--create"), QStringLiteral(R"({"type": "Dog", "breed": "Mutt", "name": "New"})")}
                                         << QStringLiteral("permission denied for table pets (HTTP 401, code 42501)");
    QTest::newRow("anon may not delete") << QString()
                                         << QStringList{QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("Dog")}
                                         << QStringLiteral("permission denied");
    QTest::newRow("unknown column") << auth
                                    << QStringList{QStringLiteral("--update"), QStringLiteral(R"({"nope": 1})"), QStringLiteral("--key"), QStringLiteral("Dog")}
                                    << QStringLiteral("nope");
    QTest::newRow("bad token") << QStringLiteral("not.a.token") << QStringList() << QString();
}

void tst_Mirror::refused()
{
    QFETCH(QString, token);
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const QJsonArray before = get(QStringLiteral("/query/pets"));

    QStringList all{QStringLiteral("--url"), m_server.url().toString()};
    if (!token.isEmpty())
        all << QStringLiteral("--token") << token;
    const Run r = run(all << pets << arguments);
    QVERIFY2(r.exitCode == 1, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
    QVERIFY2(r.err.startsWith("aiodata-mirror: "), r.err.constData());
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QVERIFY2(r.out.isEmpty(), r.out.constData());
    QCOMPARE(get(QStringLiteral("/query/pets")), before);
}

void tst_Mirror::usage_data()
{
    QTest::addColumn<QStringList>("arguments"); // after --url and --token
    QTest::addColumn<QString>("message");       // part of stderr

    QTest::newRow("--update without --key") << QStringList{pets, QStringLiteral("--update"), QStringLiteral(R"({"color": 1})")}
                                            << QStringLiteral("--update needs --key");
    QTest::newRow("--remove without --key") << QStringList{pets, QStringLiteral("--remove")} << QStringLiteral("--remove needs --key");
    QTest::newRow("unknown option") << QStringList{pets, QStringLiteral("--bogus")} << QStringLiteral("Unknown option 'bogus'");
    QTest::newRow("no table") << QStringList() << QStringLiteral("No TABLE");
    QTest::newRow("too many arguments") << QStringList{pets, QStringLiteral("a=eq.1"), QStringLiteral("b")} << QStringLiteral("Too many");
    QTest::newRow("two writes") << QStringList{pets, QStringLiteral("--create"), QStringLiteral("{}"), QStringLiteral("--remove"),
                                               QStringLiteral("--key"), QStringLiteral("Dog")}
                                << QStringLiteral("one of --create, --update and --remove");
    QTest::newRow("bad JSON") << QStringList{pets, QStringLiteral("--create"), QStringLiteral("{type:")} << QStringLiteral("not valid JSON");
    QTest::newRow("--create of a number") << QStringList{pets, QStringLiteral("--create"), QStringLiteral("[1]")} << QStringLiteral("--create: give");
    QTest::newRow("--follow with a write") << QStringList{pets, QStringLiteral("--follow"), QStringLiteral("--remove"),
                                                          QStringLiteral("--key"), QStringLiteral("Dog")}
                                           << QStringLiteral("--follow is for reading");
    QTest::newRow("--key alone") << QStringList{pets, QStringLiteral("--key"), QStringLiteral("Dog")} << QStringLiteral("--key goes with");
    QTest::newRow("empty key part") << QStringList{pets, QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("Dog//Rex")}
                                    << QStringLiteral("empty key part");
    QTest::newRow("--offline without --cache") << QStringList{QStringLiteral("--offline"), pets} << QStringLiteral("--offline needs --cache DIR");
    QTest::newRow("--offline with a QUERY") << QStringList{QStringLiteral("--cache"), QStringLiteral("/tmp/x"), QStringLiteral("--offline"), pets,
                                                           QStringLiteral("type=eq.Dog")}
                                            << QStringLiteral("subsets are not cached");
    QTest::newRow("--offline --follow") << QStringList{QStringLiteral("--cache"), QStringLiteral("/tmp/x"), QStringLiteral("--offline"),
                                                       QStringLiteral("--follow"), pets}
                                        << QStringLiteral("--follow needs the server");
    QTest::newRow("bad URL") << QStringList{QStringLiteral("--url"), QStringLiteral("ftp://x"), pets} << QStringLiteral("--url");
    // These two need the server's description.
    QTest::newRow("unknown table") << QStringList{QStringLiteral("nosuch")} << QStringLiteral("No table nosuch");
    QTest::newRow("unknown table, write") << QStringList{QStringLiteral("nosuch"), QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("x")}
                                          << QStringLiteral("No table nosuch");
    QTest::newRow("key longer than the primary key")
        << QStringList{pets, QStringLiteral("--remove"), QStringLiteral("--key"), QStringLiteral("Dog/Mutt/Rex/4")}
        << QStringLiteral("--key has 4 parts; the primary key of pets has 3");
}

void tst_Mirror::usage()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const QJsonArray before = get(QStringLiteral("/query/pets"));
    QStringList all{QStringLiteral("--token"), m_auth};
    if (!arguments.contains(QStringLiteral("--url")))
        all << QStringLiteral("--url") << m_server.url().toString();
    const Run r = run(all + arguments);
    QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QVERIFY2(r.out.isEmpty(), r.out.constData());
    QCOMPARE(get(QStringLiteral("/query/pets")), before);
}

void tst_Mirror::unreachable_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<bool>("silent"); // a port that accepts connections and never answers
    QTest::addColumn<int>("atLeastMs");
    QTest::addColumn<int>("withinMs");
    QTest::newRow("read") << QStringList{pets} << false << 0 << 5000;
    QTest::newRow("follow") << QStringList{QStringLiteral("--follow"), pets} << false << 0 << 5000;
    QTest::newRow("create") << QStringList{pets, QStringLiteral("--create"), QStringLiteral(R"({"type": "Dog"})")} << false
                            << 0 << 5000;
    // Mirror::ConnectTimeoutMs is 15 s.
    QTest::newRow("silent server") << QStringList{QStringLiteral("--follow"), pets} << true << 14000 << 25000;
}

void tst_Mirror::unreachable()
{
    QFETCH(QStringList, arguments);
    QFETCH(bool, silent);
    QFETCH(int, atLeastMs);
    QFETCH(int, withinMs);
    // A loopback port nothing listens on, or one whose connections the
    // kernel accepts into the backlog and nobody reads.
    QTcpServer silentServer;
    quint16 port = TestServer::freePort();
    if (silent) {
        QVERIFY(silentServer.listen(QHostAddress::LocalHost));
        port = silentServer.serverPort();
    }
    const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);
    const Run r = run(QStringList{QStringLiteral("--url"), url} + arguments, QString(), 30000);
    QVERIFY2(r.exitCode == 3, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
    QVERIFY2(r.elapsedMs >= atLeastMs && r.elapsedMs < withinMs, qPrintable(QString::number(r.elapsedMs)));
    QVERIFY2(r.err.startsWith("aiodata-mirror: "), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void tst_Mirror::help()
{
    const Run r = run({QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    for (const char *word : {"--url", "--token", "AIODATA_TOKEN", "--cache", "--offline", "--follow", "--create", "--update",
                             "--remove", "--key", "TABLE", "QUERY", "Exit codes", "0  done", "1  the server refused",
                             "2  usage", "3  the server is unreachable", "4  the cache"})
        QVERIFY2(r.out.contains(word), word);
}

QTEST_MAIN(tst_Mirror)
#include "tst_mirror.moc"
