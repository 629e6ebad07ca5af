#include "base/config.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using Aiodata::Server::Config;

namespace {

// Restores the working directory, which the @file tests change.
struct CwdGuard
{
    QString saved = QDir::currentPath();
    ~CwdGuard() { QDir::setCurrent(saved); }
};

// Sets (or unsets, for a null value) an environment variable for one scope.
struct EnvGuard
{
    const char *name;
    bool wasSet;
    QByteArray old;
    EnvGuard(const char *n, const QByteArray &value)
        : name(n), wasSet(qEnvironmentVariableIsSet(n)), old(qgetenv(n))
    {
        if (value.isNull())
            qunsetenv(name);
        else
            qputenv(name, value);
    }
    ~EnvGuard()
    {
        if (wasSet)
            qputenv(name, old);
        else
            qunsetenv(name);
    }
};

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(contents) == contents.size();
}

const QByteArray Required = "db-uri = \"postgres://u@h/db\"\ndb-schemas = \"api\"\n";

// Named (not Required + "..."): QStringBuilder types cannot go into test data.
QByteArray withRequired(const QByteArray &more)
{
    return Required + more;
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void parseGood_data();
    void parseGood();
    void preparedStatements_data();
    void preparedStatements();
    void txEnd_data();
    void txEnd();
    void channel_data();
    void channel();
    void jwtSettings_data();
    void jwtSettings();
    void parseErrors_data();
    void parseErrors();
    void errorPointerMayBeNull();
    void base64Secret_data();
    void base64Secret();
    void fileSecret();
    void fileSecretMissing();
    void fromFile();
    void fromFileMissing();
    void environmentOverrides();
    void environmentIgnoredByParse();
    void setListen_data();
    void setListen();
};

void TestConfig::defaults()
{
    QString error;
    const auto c = Config::parse(Required, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->dbPool, 10);
    QCOMPARE(c->dbAnonRole, QString());
    QCOMPARE(c->jwtSecret, QByteArray());
    QCOMPARE(c->jwtAudience, QString());
    QCOMPARE(c->listenAddress, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(c->listenPort, quint16(4000));
}

void TestConfig::parseGood_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("dbUri");
    QTest::addColumn<QStringList>("schemas");
    QTest::addColumn<QString>("anonRole");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("audience");
    QTest::addColumn<int>("pool");

    const QString uri = QStringLiteral("postgres://u@h/db");
    const QStringList api{QStringLiteral("api")};

    QTest::newRow("minimal") << Required << uri << api << QString() << QByteArray() << QString() << 10;
    QTest::newRow("all keys")
        << QByteArray("db-uri = \"postgres://a:b@host:5432/x\"\n"
                      "db-schemas = \"api\"\n"
                      "db-anon-role = \"web_anon\"\n"
                      "jwt-secret = \"superdupersecret\"\n"
                      "jwt-aud = \"my-app\"\n"
                      "db-pool = 3\n")
        << QStringLiteral("postgres://a:b@host:5432/x") << api << QStringLiteral("web_anon")
        << QByteArray("superdupersecret") << QStringLiteral("my-app") << 3;
    QTest::newRow("unquoted values")
        << QByteArray("db-uri = postgres://u@h/db\ndb-schemas = api\ndb-anon-role = anon\n")
        << uri << api << QStringLiteral("anon") << QByteArray() << QString() << 10;
    QTest::newRow("no spaces around =")
        << QByteArray("db-uri=\"postgres://u@h/db\"\ndb-schemas=api\ndb-pool=7\n")
        << uri << api << QString() << QByteArray() << QString() << 7;
    QTest::newRow("escapes in quotes")
        << withRequired("db-anon-role = \"a\\\"b\\\\c\"\n")
        << uri << api << QStringLiteral("a\"b\\c") << QByteArray() << QString() << 10;
    QTest::newRow("= and # inside quotes")
        << withRequired("jwt-secret = \"s=e#c\\\"ret # not a comment\"\n")
        << uri << api << QString() << QByteArray("s=e#c\"ret # not a comment") << QString() << 10;
    QTest::newRow("comment after closing quote")
        << withRequired("db-anon-role = \"anon\"   # the role for anonymous requests\n")
        << uri << api << QStringLiteral("anon") << QByteArray() << QString() << 10;
    QTest::newRow("comment after closing quote, no space")
        << withRequired("db-anon-role = \"anon\"#x\n")
        << uri << api << QStringLiteral("anon") << QByteArray() << QString() << 10;
    QTest::newRow("comment after unquoted value")
        << withRequired("db-pool = 5 # five\n")
        << uri << api << QString() << QByteArray() << QString() << 5;
    QTest::newRow("comments, blanks, indentation, CRLF")
        << QByteArray("# PostgREST and aiodata share this file\r\n"
                      "\r\n"
                      "   # indented comment\r\n"
                      "\t db-uri   =   \"postgres://u@h/db\"   \r\n"
                      "   \r\n"
                      "  db-schemas = \"api\"\r\n"
                      "db-pool = 20")
        << uri << api << QString() << QByteArray() << QString() << 20;
    QTest::newRow("schemas list trimmed")
        << QByteArray("db-uri = \"postgres://u@h/db\"\ndb-schemas = \" api , v2,public  \"\n")
        << uri << QStringList{QStringLiteral("api"), QStringLiteral("v2"), QStringLiteral("public")}
        << QString() << QByteArray() << QString() << 10;
    QTest::newRow("legacy db-schema")
        << QByteArray("db-uri = \"postgres://u@h/db\"\ndb-schema = \"legacy\"\n")
        << uri << QStringList{QStringLiteral("legacy")} << QString() << QByteArray() << QString() << 10;
    QTest::newRow("db-schemas wins over db-schema (after)")
        << QByteArray("db-uri = \"postgres://u@h/db\"\ndb-schemas = \"a,b\"\ndb-schema = \"old\"\n")
        << uri << QStringList{QStringLiteral("a"), QStringLiteral("b")} << QString() << QByteArray()
        << QString() << 10;
    QTest::newRow("db-schemas wins over db-schema (before)")
        << QByteArray("db-uri = \"postgres://u@h/db\"\ndb-schema = \"old\"\ndb-schemas = \"a\"\n")
        << uri << QStringList{QStringLiteral("a")} << QString() << QByteArray() << QString() << 10;
    QTest::newRow("unknown keys ignored")
        << withRequired("server-port = 3000\nopenapi-mode = \"follow-privileges\"\nlog-level = \"info\"\n")
        << uri << api << QString() << QByteArray() << QString() << 10;
    QTest::newRow("repeated key: last wins")
        << withRequired("db-pool = 2\ndb-pool = 4\n")
        << uri << api << QString() << QByteArray() << QString() << 4;
    QTest::newRow("empty quoted value")
        << withRequired("db-anon-role = \"\"\n")
        << uri << api << QString() << QByteArray() << QString() << 10;
    QTest::newRow("base64 off keeps the secret")
        << withRequired("jwt-secret = \"c2VjcmV0\"\njwt-secret-is-base64 = false\n")
        << uri << api << QString() << QByteArray("c2VjcmV0") << QString() << 10;
    QTest::newRow("utf-8")
        << withRequired("db-anon-role = \"r\xc3\xb4le\"\n")
        << uri << api << QString::fromUtf8("r\xc3\xb4le") << QByteArray() << QString() << 10;
    QTest::newRow("no trailing newline")
        << QByteArray("db-uri = \"postgres://u@h/db\"\ndb-schemas = \"api\"")
        << uri << api << QString() << QByteArray() << QString() << 10;
}

void TestConfig::preparedStatements_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("prepared");
    QTest::newRow("default on, as in PostgREST") << withRequired("") << true;
    QTest::newRow("false") << withRequired("db-prepared-statements = false\n") << false;
    QTest::newRow("quoted true") << withRequired("db-prepared-statements = \"true\"\n") << true;
}

void TestConfig::txEnd_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("txEnd");
    QTest::addColumn<bool>("overridable");
    QTest::newRow("default commit, as in PostgREST") << withRequired("") << int(Config::TxEnd::Commit) << false;
    QTest::newRow("commit") << withRequired("db-tx-end = commit\n") << int(Config::TxEnd::Commit) << false;
    QTest::newRow("commit-allow-override") << withRequired("db-tx-end = \"commit-allow-override\"\n")
                                           << int(Config::TxEnd::CommitAllowOverride) << true;
    QTest::newRow("rollback") << withRequired("db-tx-end = rollback\n") << int(Config::TxEnd::Rollback) << false;
    QTest::newRow("rollback-allow-override") << withRequired("db-tx-end = rollback-allow-override\n")
                                             << int(Config::TxEnd::RollbackAllowOverride) << true;
}

void TestConfig::txEnd()
{
    QFETCH(QByteArray, text);
    QFETCH(int, txEnd);
    QFETCH(bool, overridable);
    QString error;
    const auto c = Config::parse(text, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(int(c->dbTxEnd), txEnd);
    QCOMPARE(c->txOverrideAllowed(), overridable);
}

void TestConfig::preparedStatements()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, prepared);
    QString error;
    const auto c = Config::parse(text, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->dbPreparedStatements, prepared);
}

void TestConfig::channel_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("channel");
    QTest::addColumn<bool>("enabled");
    QTest::newRow("defaults, as in PostgREST") << withRequired("") << QStringLiteral("pgrst") << true;
    QTest::newRow("own channel") << withRequired("db-channel = \"schema_events\"\n") << QStringLiteral("schema_events") << true;
    QTest::newRow("channel needing quotes in SQL")
        << withRequired("db-channel = \"My \\\"Channel\\\"\"\n") << QStringLiteral("My \"Channel\"") << true;
    QTest::newRow("disabled") << withRequired("db-channel-enabled = false\n") << QStringLiteral("pgrst") << false;
    QTest::newRow("disabled, quoted, capitalised")
        << withRequired("db-channel-enabled = \"False\"\ndb-channel = other\n") << QStringLiteral("other") << false;
    QTest::newRow("enabled") << withRequired("db-channel-enabled = true\n") << QStringLiteral("pgrst") << true;
}

void TestConfig::channel()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, channel);
    QFETCH(bool, enabled);
    QString error;
    const auto c = Config::parse(text, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->dbChannel, channel);
    QCOMPARE(c->dbChannelEnabled, enabled);
}

void TestConfig::parseGood()
{
    QFETCH(QByteArray, text);
    QString error;
    const auto c = Config::parse(text, &error);
    QVERIFY2(c, qPrintable(error));
    QFETCH(QString, dbUri);
    QFETCH(QStringList, schemas);
    QFETCH(QString, anonRole);
    QFETCH(QByteArray, secret);
    QFETCH(QString, audience);
    QFETCH(int, pool);
    QCOMPARE(c->dbUri, dbUri);
    QCOMPARE(c->dbSchemas, schemas);
    QCOMPARE(c->dbAnonRole, anonRole);
    QCOMPARE(c->jwtSecret, secret);
    QCOMPARE(c->jwtAudience, audience);
    QCOMPARE(c->dbPool, pool);
}

void TestConfig::parseErrors_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("error");

    QTest::newRow("empty file") << QByteArray() << QStringLiteral("missing db-uri");
    QTest::newRow("missing db-uri") << QByteArray("db-schemas = \"api\"\n")
                                    << QStringLiteral("missing db-uri");
    QTest::newRow("empty db-uri") << QByteArray("db-uri = \"\"\ndb-schemas = \"api\"\n")
                                  << QStringLiteral("missing db-uri");
    QTest::newRow("missing db-schemas") << QByteArray("db-uri = \"postgres://u@h/db\"\n")
                                        << QStringLiteral("missing db-schemas (or db-schema)");
    QTest::newRow("empty db-schemas")
        << QByteArray("db-uri = \"x\"\ndb-schemas = \" , ,\"\n")
        << QStringLiteral("line 2: db-schemas must name at least one schema");
    QTest::newRow("pool not a number") << withRequired("# pool\ndb-pool = \"abc\"\n")
                                       << QStringLiteral("line 4: db-pool must be a positive integer, got \"abc\"");
    QTest::newRow("pool unquoted word") << withRequired("db-pool = abc\n")
                                        << QStringLiteral("line 3: db-pool must be a positive integer, got \"abc\"");
    QTest::newRow("pool zero") << withRequired("db-pool = 0\n")
                               << QStringLiteral("line 3: db-pool must be a positive integer, got \"0\"");
    QTest::newRow("pool negative") << withRequired("db-pool = -1\n")
                                   << QStringLiteral("line 3: db-pool must be a positive integer, got \"-1\"");
    QTest::newRow("pool fraction") << withRequired("db-pool = 1.5\n")
                                   << QStringLiteral("line 3: db-pool must be a positive integer, got \"1.5\"");
    QTest::newRow("pool empty quoted") << withRequired("db-pool = \"\"\n")
                                       << QStringLiteral("line 3: db-pool must be a positive integer, got \"\"");
    QTest::newRow("tx end unknown") << withRequired("db-tx-end = abort\n")
                                    << QStringLiteral("line 3: db-tx-end must be commit, commit-allow-override, rollback or "
                                                      "rollback-allow-override, got \"abort\"");
    QTest::newRow("tx end case") << withRequired("db-tx-end = Commit\n")
                                 << QStringLiteral("line 3: db-tx-end must be commit, commit-allow-override, rollback or "
                                                   "rollback-allow-override, got \"Commit\"");
    QTest::newRow("prepared statements not a bool")
        << withRequired("db-prepared-statements = sometimes\n")
        << QStringLiteral("line 3: db-prepared-statements must be true or false, got \"sometimes\"");
    QTest::newRow("no equals sign") << QByteArray("db-uri = \"x\"\n\n# c\n\ndb-schemas = \"api\"\n\njust words\n")
                                    << QStringLiteral("line 7: expected key = value");
    QTest::newRow("empty key") << QByteArray("= \"x\"\n") << QStringLiteral("line 1: expected key = value");
    QTest::newRow("missing value") << QByteArray("db-uri =\n")
                                   << QStringLiteral("line 1: missing value for db-uri");
    QTest::newRow("only a comment as value") << QByteArray("db-uri = # nothing\n")
                                             << QStringLiteral("line 1: missing value for db-uri");
    QTest::newRow("unterminated quote") << QByteArray("db-uri = \"postgres://x\n")
                                        << QStringLiteral("line 1: unterminated quoted value for db-uri");
    QTest::newRow("escaped closing quote only") << QByteArray("db-uri = \"abc\\\"\n")
                                                << QStringLiteral("line 1: unterminated quoted value for db-uri");
    QTest::newRow("backslash at end") << QByteArray("db-uri = \"abc\\\n")
                                      << QStringLiteral("line 1: unterminated quoted value for db-uri");
    QTest::newRow("unknown escape") << QByteArray("db-uri = \"a\\nb\"\n")
                                    << QStringLiteral("line 1: invalid escape \\n in db-uri");
    QTest::newRow("text after quote") << QByteArray("db-uri = \"a\" b\n")
                                      << QStringLiteral("line 1: unexpected text after quoted value for db-uri");
    QTest::newRow("bad boolean") << withRequired("jwt-secret-is-base64 = yes\n")
                                 << QStringLiteral("line 3: jwt-secret-is-base64 must be true or false, got \"yes\"");
    QTest::newRow("invalid base64 secret")
        << withRequired("jwt-secret = \"not base64!\"\njwt-secret-is-base64 = true\n")
        << QStringLiteral("line 3: jwt-secret is not valid base64 (jwt-secret-is-base64 is true)");
    QTest::newRow("base64 with dangling character")
        << withRequired("jwt-secret-is-base64 = true\njwt-secret = \"abcde\"\n")
        << QStringLiteral("line 4: jwt-secret is not valid base64 (jwt-secret-is-base64 is true)");
    QTest::newRow("channel enabled not a bool")
        << withRequired("db-channel-enabled = 1\n")
        << QStringLiteral("line 3: db-channel-enabled must be true or false, got \"1\"");
    QTest::newRow("empty role claim key") << withRequired("jwt-role-claim-key = \"  \"\n")
                                          << QStringLiteral("line 3: jwt-role-claim-key must not be empty");
    QTest::newRow("negative cache entries") << withRequired("jwt-cache-max-entries = -1\n")
                                            << QStringLiteral("line 3: jwt-cache-max-entries must be a number (0 or more), got \"-1\"");
    QTest::newRow("cache lifetime not a number") << withRequired("jwt-cache-max-lifetime = 1h\n")
                                                 << QStringLiteral("line 3: jwt-cache-max-lifetime must be a number of seconds (0 or more), got \"1h\"");
    QTest::newRow("empty channel") << withRequired("db-channel = \"\"\n")
                                   << QStringLiteral("line 3: db-channel must not be empty");
    QTest::newRow("first bad line wins over a missing key")
        << QByteArray("db-pool = x\n") << QStringLiteral("line 1: db-pool must be a positive integer, got \"x\"");
}

void TestConfig::jwtSettings_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("roleClaimKey");
    QTest::addColumn<int>("cacheEntries");
    QTest::addColumn<qint64>("cacheLifetime");

    QTest::newRow("defaults") << Required << QStringLiteral(".role") << 1000 << qint64(3600);
    QTest::newRow("nested claim, quoted key")
        << withRequired("jwt-role-claim-key = \".\\\"https://example.com/claims\\\".role\"\n")
        << QStringLiteral(".\"https://example.com/claims\".role") << 1000 << qint64(3600);
    QTest::newRow("JSON path, trimmed") << withRequired("jwt-role-claim-key = \" $.app_metadata.role \"\n")
                                        << QStringLiteral("$.app_metadata.role") << 1000 << qint64(3600);
    QTest::newRow("cache off") << withRequired("jwt-cache-max-entries = 0\n") << QStringLiteral(".role") << 0
                               << qint64(3600);
    QTest::newRow("legacy lifetime") << withRequired("jwt-cache-max-lifetime = 60\njwt-cache-max-entries = 5\n")
                                     << QStringLiteral(".role") << 5 << qint64(60);
}

void TestConfig::jwtSettings()
{
    QFETCH(QByteArray, text);
    QString error;
    const auto c = Config::parse(text, &error);
    QVERIFY2(c, qPrintable(error));
    QTEST(c->jwtRoleClaimKey, "roleClaimKey");
    QTEST(c->jwtCacheMaxEntries, "cacheEntries");
    QTEST(c->jwtCacheMaxLifetime, "cacheLifetime");
}

void TestConfig::parseErrors()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, error);
    QString actual;
    const auto c = Config::parse(text, &actual);
    QVERIFY(!c);
    QCOMPARE(actual, error);
}

void TestConfig::errorPointerMayBeNull()
{
    QVERIFY(!Config::parse("db-pool = 0\n", nullptr));
    QVERIFY(!Config::parse(QByteArray(), nullptr));
    QVERIFY(Config::parse(Required, nullptr));
}

void TestConfig::base64Secret_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QByteArray>("secret");

    QTest::newRow("padded") << QByteArray("c3VwZXJkdXBlcnNlY3JldA==") << QByteArray("superdupersecret");
    QTest::newRow("unpadded") << QByteArray("c3VwZXJkdXBlcnNlY3JldA") << QByteArray("superdupersecret");
    QTest::newRow("standard alphabet") << QByteArray("+/8=") << QByteArray("\xfb\xff");
    QTest::newRow("url alphabet") << QByteArray("-_8") << QByteArray("\xfb\xff");
}

void TestConfig::base64Secret()
{
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, secret);
    // Both orders: the flag may come before or after the secret.
    const QByteArray after = Required + "jwt-secret = \"" + value + "\"\njwt-secret-is-base64 = true\n";
    const QByteArray before = Required + "jwt-secret-is-base64 = TRUE\njwt-secret = \"" + value + "\"\n";
    for (const QByteArray &text : {after, before}) {
        QString error;
        const auto c = Config::parse(text, &error);
        QVERIFY2(c, qPrintable(error));
        QCOMPARE(c->jwtSecret, secret);
    }
}

void TestConfig::fileSecret()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // The bytes are used as-is but for one final LF (as PostgREST does).
    QVERIFY(writeFile(dir.filePath(QStringLiteral("secret.txt")), "from a file\n"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("two.txt")), " two\r\n\n"));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("secret.b64")), "c3VwZXJkdXBlcnNlY3JldA==\n"));

    QString error;
    const QByteArray absolute = Required + "jwt-secret = \"@"
        + dir.filePath(QStringLiteral("secret.txt")).toUtf8() + "\"\n";
    auto c = Config::parse(absolute, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->jwtSecret, QByteArray("from a file"));

    CwdGuard cwd;
    QVERIFY(QDir::setCurrent(dir.path()));
    c = Config::parse(withRequired("jwt-secret = \"@secret.txt\"\n"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->jwtSecret, QByteArray("from a file"));
    c = Config::parse(withRequired("jwt-secret = \"@two.txt\"\n"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->jwtSecret, QByteArray(" two\r\n"));

    // Base64 applies to the file's contents; the newline is not an error.
    c = Config::parse(withRequired("jwt-secret = \"@secret.b64\"\njwt-secret-is-base64 = true\n"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->jwtSecret, QByteArray("superdupersecret"));
}

void TestConfig::fileSecretMissing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("nope"));
    QString error;
    QVERIFY(!Config::parse(withRequired("jwt-secret = \"@" + path.toUtf8() + "\"\n"), &error));
    QVERIFY2(error.startsWith(QStringLiteral("line 3: jwt-secret: cannot read ") + path + QLatin1String(": ")),
             qPrintable(error));
    QVERIFY(error.size() > QStringLiteral("line 3: jwt-secret: cannot read : ").size() + path.size());
}

void TestConfig::fromFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("postgrest.conf"));
    QVERIFY(writeFile(path, Required + "db-pool = 2\n"));
    QString error;
    const auto c = Config::fromFile(path, &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->dbUri, QStringLiteral("postgres://u@h/db"));
    QCOMPARE(c->dbPool, 2);
    QCOMPARE(c->sourcePath, path); // re-read on 'reload config'
    QCOMPARE(Config::parse(Required, &error)->sourcePath, QString());

    QVERIFY(writeFile(path, "db-pool = 0\n"));
    QVERIFY(!Config::fromFile(path, &error));
    QCOMPARE(error, QStringLiteral("line 1: db-pool must be a positive integer, got \"0\""));
}

void TestConfig::fromFileMissing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("missing.conf"));
    QString error;
    QVERIFY(!Config::fromFile(path, &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot read ") + path + QLatin1String(": ")), qPrintable(error));
    QVERIFY2(error.size() > QStringLiteral("cannot read : ").size() + path.size(), qPrintable(error));

    // A directory cannot be read as a file either.
    QVERIFY(!Config::fromFile(dir.path(), &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot read ") + dir.path()), qPrintable(error));
}

void TestConfig::environmentOverrides()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("postgrest.conf"));
    QVERIFY(writeFile(path, "db-uri = \"postgres://file\"\n"
                            "db-schemas = \"file_schema\"\n"
                            "db-anon-role = \"file_anon\"\n"
                            "jwt-secret = \"file_secret\"\n"
                            "db-pool = 5\n"));
    QString error;
    {
        EnvGuard uri("PGRST_DB_URI", "postgres://env");
        EnvGuard schemas("PGRST_DB_SCHEMAS", "a, b");
        EnvGuard anon("PGRST_DB_ANON_ROLE", "env_anon");
        EnvGuard secret("PGRST_JWT_SECRET", "env_secret");
        EnvGuard channel("PGRST_DB_CHANNEL", "env_channel");
        EnvGuard channelEnabled("PGRST_DB_CHANNEL_ENABLED", "false");
        EnvGuard audience("PGRST_JWT_AUD", "env_aud");
        EnvGuard claim("PGRST_JWT_ROLE_CLAIM_KEY", ".env.role");
        EnvGuard entries("PGRST_JWT_CACHE_MAX_ENTRIES", "7");
        EnvGuard lifetime("PGRST_JWT_CACHE_MAX_LIFETIME", "8");
        const auto c = Config::fromFile(path, &error);
        QVERIFY2(c, qPrintable(error));
        QCOMPARE(c->jwtAudience, QStringLiteral("env_aud"));
        QCOMPARE(c->jwtRoleClaimKey, QStringLiteral(".env.role"));
        QCOMPARE(c->jwtCacheMaxEntries, 7);
        QCOMPARE(c->jwtCacheMaxLifetime, qint64(8));
        QCOMPARE(c->dbChannel, QStringLiteral("env_channel"));
        QCOMPARE(c->dbChannelEnabled, false);
        QCOMPARE(c->dbUri, QStringLiteral("postgres://env"));
        QCOMPARE(c->dbSchemas, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
        QCOMPARE(c->dbAnonRole, QStringLiteral("env_anon"));
        QCOMPARE(c->jwtSecret, QByteArray("env_secret"));
        QCOMPARE(c->dbPool, 5); // not overridable
    }
    {
        // Unset variables leave the file alone; an empty one clears the value.
        EnvGuard uri("PGRST_DB_URI", QByteArray());
        EnvGuard schemas("PGRST_DB_SCHEMAS", QByteArray());
        EnvGuard anon("PGRST_DB_ANON_ROLE", "");
        EnvGuard secret("PGRST_JWT_SECRET", QByteArray());
        const auto c = Config::fromFile(path, &error);
        QVERIFY2(c, qPrintable(error));
        QCOMPARE(c->dbUri, QStringLiteral("postgres://file"));
        QCOMPARE(c->dbSchemas, QStringList{QStringLiteral("file_schema")});
        QCOMPARE(c->dbAnonRole, QString());
        QCOMPARE(c->jwtSecret, QByteArray("file_secret"));
    }
    {
        // Environment values get the same checks and the same secret handling.
        EnvGuard uri("PGRST_DB_URI", "");
        QVERIFY(!Config::fromFile(path, &error));
        QCOMPARE(error, QStringLiteral("missing db-uri"));
    }
    {
        EnvGuard schemas("PGRST_DB_SCHEMAS", " , ");
        QVERIFY(!Config::fromFile(path, &error));
        QCOMPARE(error, QStringLiteral("PGRST_DB_SCHEMAS: db-schemas must name at least one schema"));
    }
    {
        const QString secretPath = dir.filePath(QStringLiteral("secret"));
        QVERIFY(writeFile(secretPath, "c3VwZXJkdXBlcnNlY3JldA"));
        QVERIFY(writeFile(path, Required + "jwt-secret-is-base64 = true\n"));
        EnvGuard secret("PGRST_JWT_SECRET", "@" + secretPath.toUtf8());
        const auto c = Config::fromFile(path, &error);
        QVERIFY2(c, qPrintable(error));
        QCOMPARE(c->jwtSecret, QByteArray("superdupersecret"));
    }
}

void TestConfig::environmentIgnoredByParse()
{
    EnvGuard uri("PGRST_DB_URI", "postgres://env");
    EnvGuard secret("PGRST_JWT_SECRET", "env_secret");
    const auto c = Config::parse(withRequired("jwt-secret = \"file\"\n"), nullptr);
    QVERIFY(c);
    QCOMPARE(c->dbUri, QStringLiteral("postgres://u@h/db"));
    QCOMPARE(c->jwtSecret, QByteArray("file"));
}

void TestConfig::setListen_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QHostAddress>("address"); // expected afterwards
    QTest::addColumn<int>("port");

    // Every row starts from 10.0.0.1:4000, so a kept host is told apart from a reset one.
    const QHostAddress start(QStringLiteral("10.0.0.1"));
    QTest::newRow("v4 host and port") << QStringLiteral("0.0.0.0:8080") << true << QHostAddress(QStringLiteral("0.0.0.0")) << 8080;
    QTest::newRow("other v4") << QStringLiteral("192.168.1.20:80") << true << QHostAddress(QStringLiteral("192.168.1.20")) << 80;
    QTest::newRow(":port keeps host") << QStringLiteral(":5000") << true << start << 5000;
    QTest::newRow("port only") << QStringLiteral("5001") << true << start << 5001;
    QTest::newRow("port 0 = any") << QStringLiteral("0") << true << start << 0;
    QTest::newRow("port 65535") << QStringLiteral("65535") << true << start << 65535;
    QTest::newRow("leading zeros") << QStringLiteral("00080") << true << start << 80;
    QTest::newRow("bracketed v6") << QStringLiteral("[::1]:4001") << true << QHostAddress(QStringLiteral("::1")) << 4001;
    QTest::newRow("bracketed any v6") << QStringLiteral("[::]:0") << true << QHostAddress(QStringLiteral("::")) << 0;
    QTest::newRow("localhost") << QStringLiteral("localhost:81") << true << QHostAddress(QHostAddress::LocalHost) << 81;
    QTest::newRow("star = any") << QStringLiteral("*:82") << true << QHostAddress(QHostAddress::Any) << 82;

    QTest::newRow("empty") << QString() << false << start << 4000;
    QTest::newRow("colon only") << QStringLiteral(":") << false << start << 4000;
    QTest::newRow("port 65536") << QStringLiteral("65536") << false << start << 4000;
    QTest::newRow("huge port") << QStringLiteral("4294967296") << false << start << 4000;
    QTest::newRow("negative port") << QStringLiteral("-1") << false << start << 4000;
    QTest::newRow("plus sign") << QStringLiteral("+80") << false << start << 4000;
    QTest::newRow("space") << QStringLiteral(" 80") << false << start << 4000;
    QTest::newRow("word") << QStringLiteral("abc") << false << start << 4000;
    QTest::newRow("host without port") << QStringLiteral("0.0.0.0:") << false << start << 4000;
    QTest::newRow("host alone") << QStringLiteral("0.0.0.0") << false << start << 4000;
    QTest::newRow("port with junk") << QStringLiteral("1.2.3.4:80x") << false << start << 4000;
    QTest::newRow("bad v4") << QStringLiteral("999.1.1.1:80") << false << start << 4000;
    QTest::newRow("hostname") << QStringLiteral("example.com:80") << false << start << 4000;
    QTest::newRow("unbracketed v6") << QStringLiteral("::1:80") << false << start << 4000;
    QTest::newRow("unbracketed v6 with host") << QStringLiteral("fe80::1:80") << false << start << 4000;
    QTest::newRow("bracket without port") << QStringLiteral("[::1]") << false << start << 4000;
    QTest::newRow("bracket unclosed") << QStringLiteral("[::1:80") << false << start << 4000;
    QTest::newRow("empty brackets") << QStringLiteral("[]:80") << false << start << 4000;
    QTest::newRow("v4 in brackets") << QStringLiteral("[127.0.0.1]:80") << false << start << 4000;
    QTest::newRow("bad v6") << QStringLiteral("[::g]:80") << false << start << 4000;
    QTest::newRow("two ports") << QStringLiteral("1.2.3.4:80:81") << false << start << 4000;
}

void TestConfig::setListen()
{
    QFETCH(QString, input);
    QFETCH(bool, ok);
    QFETCH(QHostAddress, address);
    QFETCH(int, port);
    Config c;
    c.listenAddress = QHostAddress(QStringLiteral("10.0.0.1"));
    QCOMPARE(c.setListen(input), ok);
    // A refused value leaves the previous address untouched.
    QCOMPARE(c.listenAddress, address);
    QCOMPARE(int(c.listenPort), port);
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
