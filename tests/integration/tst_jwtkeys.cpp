// JWT as identity providers issue it: asymmetric keys (RS/PS/ES/EdDSA),
// JWK and JWKS secrets, the role claim path, and keys rotated without a
// restart (SIGUSR2, NOTIFY pgrst 'reload config'). Keys and tokens come from
// python3-jwt (tests/support/jwttool.py), not from the server's own code.
// Real server, real PostgreSQL, real signals.

#include "statesubscriber.h"
#include "testdatabase.h"
#include "testserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

#include <sys/types.h>

using namespace Qt::StringLiterals;

class tst_JwtKeys : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void accepted_data();
    void accepted();
    void keyForms_data();
    void keyForms();
    void refused_data();
    void refused();
    void roleClaimPath_data();
    void roleClaimPath();
    void badKeySetIsAStartError();
    void rotation();

private:
    struct Answer
    {
        int status = 0;
        QByteArray body;
        QByteArray wwwAuthenticate;
        QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    };
    Answer get(const TestServer &server, const QByteArray &path, const QByteArray &token);
    // Signed by jwttool.py; each spec is {"key", "alg", "claims", ["kid"], ["forge"]}.
    QStringList tokens(const QJsonArray &specs);
    QString token(const QString &key, const QString &alg, const QJsonObject &claims = {{u"role"_s, u"auth"_s}});
    // A JWKS of the named public keys.
    QByteArray keySet(const QStringList &names) const;
    bool writeKeySet(const QString &path, const QStringList &names) const;

    TestDatabase m_db{u"tst_jwtkeys"_s};
    QTemporaryDir m_dir;
    QJsonObject m_publicKeys;     // name -> public JWK (kid = name)
    TestServer m_server;          // jwt-secret = every key, as a JWKS file
    QNetworkAccessManager m_network;
};

static QByteArray python() { return QByteArrayLiteral("/usr/bin/python3"); }

void tst_JwtKeys::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QProcess keys;
    keys.start(QString::fromUtf8(python()), {QStringLiteral(AIODATA_JWTTOOL), u"keys"_s, m_dir.filePath(u"keys"_s)});
    QVERIFY2(keys.waitForFinished(60000) && keys.exitCode() == 0,
             qPrintable(u"jwttool.py keys failed (scripts/deps installs python3-jwt): "_s
                        + QString::fromUtf8(keys.readAllStandardError())));
    m_publicKeys = QJsonDocument::fromJson(keys.readAllStandardOutput()).object();
    QCOMPARE(m_publicKeys.size(), 7);

    QString error;
    QVERIFY2(m_db.create(&error), qPrintable(error));
    const QString jwks = m_dir.filePath(u"all.jwks"_s);
    QVERIFY(writeKeySet(jwks, {u"rsa"_s, u"ec256"_s, u"ec384"_s, u"ed25519"_s, u"oct"_s}));
    QVERIFY2(m_server.start(m_db.authenticatorUri(), u"jwt-secret = \"@%1\"\njwt-aud = \"aiodata-tests\""_s.arg(jwks),
                            &error),
             qPrintable(error));
}

QByteArray tst_JwtKeys::keySet(const QStringList &names) const
{
    QJsonArray keys;
    for (const QString &name : names)
        keys.append(m_publicKeys.value(name));
    return QJsonDocument(QJsonObject{{u"keys"_s, keys}}).toJson(QJsonDocument::Compact);
}

bool tst_JwtKeys::writeKeySet(const QString &path, const QStringList &names) const
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(keySet(names) + '\n') > 0;
}

QStringList tst_JwtKeys::tokens(const QJsonArray &specs)
{
    QProcess p;
    p.start(QString::fromUtf8(python()), {QStringLiteral(AIODATA_JWTTOOL), u"tokens"_s, m_dir.filePath(u"keys"_s)});
    p.write(QJsonDocument(specs).toJson(QJsonDocument::Compact));
    p.closeWriteChannel();
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        qWarning() << "jwttool.py tokens failed:" << p.readAllStandardError();
        return {};
    }
    QStringList out;
    for (const QJsonValue &t : QJsonDocument::fromJson(p.readAllStandardOutput()).array())
        out.append(t.toString());
    return out;
}

QString tst_JwtKeys::token(const QString &key, const QString &alg, const QJsonObject &claims)
{
    const QStringList t = tokens({QJsonObject{{u"key"_s, key}, {u"alg"_s, alg}, {u"claims"_s, claims}}});
    return t.value(0);
}

tst_JwtKeys::Answer tst_JwtKeys::get(const TestServer &server, const QByteArray &path, const QByteArray &token)
{
    QNetworkRequest r(QUrl(server.url().toString() + QString::fromLatin1(path)));
    if (!token.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply *reply = m_network.get(r);
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(10000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    a.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
    reply->deleteLater();
    return a;
}

void tst_JwtKeys::accepted_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("alg");
    QTest::addColumn<bool>("withKid");
    for (bool kid : {true, false}) {
        const char *suffix = kid ? "" : ", no kid";
        QTest::addRow("RS256%s", suffix) << u"rsa"_s << u"RS256"_s << kid;
        QTest::addRow("RS512%s", suffix) << u"rsa"_s << u"RS512"_s << kid;
        QTest::addRow("PS256%s", suffix) << u"rsa"_s << u"PS256"_s << kid;
        QTest::addRow("ES256%s", suffix) << u"ec256"_s << u"ES256"_s << kid;
        QTest::addRow("ES384%s", suffix) << u"ec384"_s << u"ES384"_s << kid;
        QTest::addRow("EdDSA%s", suffix) << u"ed25519"_s << u"EdDSA"_s << kid;
        QTest::addRow("HS256 oct JWK%s", suffix) << u"oct"_s << u"HS256"_s << kid;
        QTest::addRow("HS512 oct JWK%s", suffix) << u"oct"_s << u"HS512"_s << kid;
    }
}

void tst_JwtKeys::accepted()
{
    QFETCH(QString, key);
    QFETCH(QString, alg);
    QFETCH(bool, withKid);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QJsonObject spec{{u"key"_s, key}, {u"alg"_s, alg},
                     {u"claims"_s, QJsonObject{{u"role"_s, u"auth"_s}, {u"aud"_s, u"aiodata-tests"_s},
                                               {u"exp"_s, double(now + 600)}, {u"iat"_s, double(now)}}}};
    if (!withKid)
        spec.insert(u"kid"_s, QJsonValue::Null);
    const QString t = tokens({spec}).value(0);
    QVERIFY(!t.isEmpty());

    // REST: a write only the token's role (auth) may make.
    QNetworkRequest r(QUrl(m_server.url().toString() + u"/query/pets"_s));
    r.setRawHeader("Authorization", "Bearer " + t.toUtf8());
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QByteArray row = QJsonDocument(QJsonObject{{u"type"_s, u"jwt"_s}, {u"breed"_s, alg},
                                                     {u"name"_s, QString(key + QString::number(withKid))}})
                               .toJson(QJsonDocument::Compact);
    QNetworkReply *reply = m_network.post(r, row);
    QSignalSpy done(reply, &QNetworkReply::finished);
    QVERIFY(done.wait(10000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
    reply->deleteLater();

    // WebSocket: the hello names the token's role.
    StateSubscriber s;
    s.open(m_server.url(), t);
    QVERIFY(s.waitForHello());
    QCOMPARE(s.messages.first().value(u"role"_s).toString(), u"auth"_s);
}

void tst_JwtKeys::keyForms_data()
{
    // Every way to write jwt-secret (the JWKS file is m_server's): the
    // config line, and the key the token is signed with.
    QTest::addColumn<QString>("configLine");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("alg");

    auto inlined = [](QByteArray json) { return QString::fromUtf8(json.replace('"', "\\\"")); };
    const QByteArray ed = QJsonDocument(m_publicKeys.value(u"ed25519"_s).toObject()).toJson(QJsonDocument::Compact);
    QTest::newRow("one JWK, inline") << u"jwt-secret = \"%1\""_s.arg(inlined(ed)) << u"ed25519"_s << u"EdDSA"_s;
    QTest::newRow("a JWKS, inline") << u"jwt-secret = \"%1\""_s.arg(inlined(keySet({u"rsa"_s, u"ec384"_s})))
                                    << u"ec384"_s << u"ES384"_s;
    QFile octKey(m_dir.filePath(u"keys/oct.key"_s));
    QVERIFY(octKey.open(QIODevice::ReadOnly));
    const QByteArray secret = octKey.readAll();
    QTest::newRow("plain secret, base64") << u"jwt-secret = \"%1\"\njwt-secret-is-base64 = true"_s.arg(
        QString::fromLatin1(secret.toBase64()))
                                          << u"oct"_s << u"HS256"_s;
    const QString secretFile = m_dir.filePath(u"plain.secret"_s);
    QFile plain(secretFile);
    QVERIFY(plain.open(QIODevice::WriteOnly | QIODevice::Truncate));
    plain.write(secret.toBase64() + '\n');
    plain.close();
    QTest::newRow("plain secret, base64 in a file") << u"jwt-secret = \"@%1\"\njwt-secret-is-base64 = true"_s.arg(secretFile)
                                                    << u"oct"_s << u"HS384"_s;
}

void tst_JwtKeys::keyForms()
{
    QFETCH(QString, configLine);
    QFETCH(QString, key);
    QFETCH(QString, alg);
    TestServer server;
    QString error;
    QVERIFY2(server.start(m_db.authenticatorUri(), configLine, &error), qPrintable(error + QString::fromUtf8(server.output())));
    const QString t = token(key, alg);
    QVERIFY(!t.isEmpty());
    QCOMPARE(get(server, "/query/pets", t.toUtf8()).status, 200);
    StateSubscriber s;
    s.open(server.url(), t);
    QVERIFY(s.waitForHello());
    QCOMPARE(s.messages.first().value(u"role"_s).toString(), u"auth"_s);
    // A key the form does not hold is refused.
    QCOMPARE(get(server, "/query/pets", token(u"rsa2"_s, u"RS256"_s).toUtf8()).status, 401);
}

void tst_JwtKeys::refused_data()
{
    QTest::addColumn<QJsonObject>("spec");
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QString>("message");

    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QJsonObject auth{{u"role"_s, u"auth"_s}};
    auto with = [&](const QString &name, const QJsonValue &value) {
        QJsonObject c = auth;
        c.insert(name, value);
        return c;
    };
    auto spec = [](const QString &key, const QString &alg, const QJsonObject &claims) {
        return QJsonObject{{u"key"_s, key}, {u"alg"_s, alg}, {u"claims"_s, claims}};
    };
    auto forged = [&](QJsonObject s, const QString &how) {
        s.insert(u"forge"_s, how);
        return s;
    };
    auto kid = [](QJsonObject s, const QJsonValue &k) {
        s.insert(u"kid"_s, k);
        return s;
    };
    QTest::newRow("tampered payload") << forged(spec(u"rsa"_s, u"RS256"_s, auth), u"tamper"_s) << QByteArray("PGRST301")
                                      << u"No suitable key or wrong key type"_s;
    QTest::newRow("tampered EdDSA") << forged(spec(u"ed25519"_s, u"EdDSA"_s, auth), u"tamper"_s)
                                    << QByteArray("PGRST301") << u"No suitable key or wrong key type"_s;
    // rsa2 is not in the server's set: by kid, and tried as the rsa key.
    QTest::newRow("kid of a key not in the set") << spec(u"rsa2"_s, u"RS256"_s, auth) << QByteArray("PGRST301")
                                                 << u"No suitable key or wrong key type"_s;
    QTest::newRow("wrong key, no kid") << kid(spec(u"rsa2"_s, u"RS256"_s, auth), QJsonValue::Null)
                                       << QByteArray("PGRST301") << u"No suitable key or wrong key type"_s;
    QTest::newRow("wrong key, its kid") << kid(spec(u"rsa2"_s, u"RS256"_s, auth), u"rsa"_s) << QByteArray("PGRST301")
                                        << u"No suitable key or wrong key type"_s;
    QTest::newRow("alg confusion: HS256 keyed with the RSA public key")
        << forged(spec(u"rsa"_s, u"HS256"_s, auth), u"hmac-pem"_s) << QByteArray("PGRST301") << QString();
    QTest::newRow("alg confusion, no kid")
        << kid(forged(spec(u"rsa"_s, u"HS256"_s, auth), u"hmac-pem"_s), QJsonValue::Null) << QByteArray("PGRST301")
        << QString();
    QTest::newRow("alg none") << forged(spec(u"rsa"_s, u"RS256"_s, auth), u"none"_s) << QByteArray("PGRST301")
                              << QString();
    QTest::newRow("ES256 token for the P-384 key") << kid(spec(u"ec256"_s, u"ES256"_s, auth), u"ec384"_s)
                                                   << QByteArray("PGRST301") << QString();
    QTest::newRow("expired") << spec(u"ec256"_s, u"ES256"_s, with(u"exp"_s, double(now - 120)))
                             << QByteArray("PGRST303") << u"JWT expired"_s;
    QTest::newRow("not yet valid") << spec(u"ec256"_s, u"ES256"_s, with(u"nbf"_s, double(now + 600)))
                                   << QByteArray("PGRST303") << u"JWT not yet valid"_s;
    QTest::newRow("issued in the future") << spec(u"ed25519"_s, u"EdDSA"_s, with(u"iat"_s, double(now + 600)))
                                          << QByteArray("PGRST303") << u"JWT issued at future"_s;
    QTest::newRow("wrong audience") << spec(u"rsa"_s, u"RS256"_s, with(u"aud"_s, u"someone-else"_s))
                                    << QByteArray("PGRST303") << u"JWT not in audience"_s;
    QTest::newRow("audience list without ours")
        << spec(u"rsa"_s, u"RS256"_s, with(u"aud"_s, QJsonArray{u"a"_s, u"b"_s})) << QByteArray("PGRST303")
        << u"JWT not in audience"_s;
}

void tst_JwtKeys::refused()
{
    QFETCH(QJsonObject, spec);
    QFETCH(QByteArray, code);
    QFETCH(QString, message);
    const QString t = tokens({spec}).value(0);
    QVERIFY(!t.isEmpty());
    const Answer a = get(m_server, "/query/pets", t.toUtf8());
    QCOMPARE(a.status, 401);
    QCOMPARE(a.json().value(u"code"_s).toString().toUtf8(), code);
    if (!message.isEmpty())
        QCOMPARE(a.json().value(u"message"_s).toString(), message);
    // RFC 6750: the client learns why, as PostgREST says it.
    QVERIFY2(a.wwwAuthenticate.startsWith("Bearer error=\"invalid_token\""), a.wwwAuthenticate.constData());

    // The same token opens no subscription.
    StateSubscriber s;
    s.open(m_server.url(), t);
    QVERIFY(!s.waitForHello(3000));
}

void tst_JwtKeys::roleClaimPath_data()
{
    QTest::addColumn<QString>("claimKey");
    QTest::addColumn<QJsonObject>("claims");
    QTest::addColumn<QString>("role");

    const QJsonObject nested{{u"app_metadata"_s, QJsonObject{{u"role"_s, u"auth"_s}}}};
    const QJsonObject url{{u"https://example.com/claims"_s, QJsonObject{{u"role"_s, u"auth"_s}}}};
    const QJsonObject list{{u"roles"_s, QJsonArray{u"auth"_s, u"anon"_s}}};
    QTest::newRow("nested") << u".app_metadata.role"_s << nested << u"auth"_s;
    QTest::newRow("quoted key") << u".\\\"https://example.com/claims\\\".role"_s << url << u"auth"_s;
    QTest::newRow("index") << u".roles[0]"_s << list << u"auth"_s;
    QTest::newRow("absent: the anonymous role") << u".app_metadata.role"_s << QJsonObject{{u"role"_s, u"auth"_s}}
                                               << u"anon"_s;
}

void tst_JwtKeys::roleClaimPath()
{
    QFETCH(QString, claimKey);
    QFETCH(QJsonObject, claims);
    QFETCH(QString, role);
    TestServer server;
    QString error;
    QVERIFY2(server.start(m_db.authenticatorUri(),
                          u"jwt-secret = \"%1\"\njwt-role-claim-key = \"%2\""_s
                              .arg(QString::fromUtf8(keySet({u"ec256"_s}).replace('"', "\\\"")), claimKey),
                          &error),
             qPrintable(error));
    StateSubscriber s;
    s.open(server.url(), token(u"ec256"_s, u"ES256"_s, claims));
    QVERIFY(s.waitForHello());
    QCOMPARE(s.messages.first().value(u"role"_s).toString(), role);
}

void tst_JwtKeys::badKeySetIsAStartError()
{
    // A key set that cannot be used stops the start with one line naming jwt-secret.
    TestServer server;
    QString error;
    QVERIFY(!server.start(m_db.authenticatorUri(), u"jwt-secret = \"{\\\"keys\\\":[{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"AQAB\\\"}]}\""_s,
                          &error));
    QVERIFY2(server.output().contains("jwt-secret"), server.output().constData());
}

void tst_JwtKeys::rotation()
{
    const QString path = m_dir.filePath(u"rotating.jwks"_s);
    QVERIFY(writeKeySet(path, {u"rsa"_s, u"ec256"_s}));
    TestServer server;
    QString error;
    QVERIFY2(server.start(m_db.authenticatorUri(), u"jwt-secret = \"@%1\""_s.arg(path), &error), qPrintable(error));

    const QString byRsa = token(u"rsa"_s, u"RS256"_s);
    const QString byEc = token(u"ec256"_s, u"ES256"_s);
    const QString byEd = token(u"ed25519"_s, u"EdDSA"_s);
    StateSubscriber keeps;
    keeps.open(server.url(), byRsa);
    StateSubscriber dropped;
    dropped.open(server.url(), byEc);
    QVERIFY(keeps.waitForHello());
    QVERIFY(dropped.waitForHello());
    QCOMPARE(get(server, "/query/pets", byEd.toUtf8()).status, 401);

    // SIGUSR2 re-reads the file: ec256 is gone, ed25519 is new.
    QVERIFY(writeKeySet(path, {u"rsa"_s, u"ed25519"_s}));
    QCOMPARE(::kill(pid_t(server.pid()), SIGUSR2), 0);
    QTRY_COMPARE_WITH_TIMEOUT(dropped.socket().state(), QAbstractSocket::UnconnectedState, 10000);
    QCOMPARE(dropped.socket().closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
    QVERIFY2(!dropped.socket().closeReason().isEmpty(), "the close says why");
    QCOMPARE(get(server, "/query/pets", byEd.toUtf8()).status, 200);
    QCOMPARE(get(server, "/query/pets", byEc.toUtf8()).status, 401);

    // The kept subscriber still gets events.
    const qsizetype before = keeps.messages.size();
    QVERIFY(m_db.exec(u"INSERT INTO api.pets (type, breed, name) VALUES ('rotation', 'kept', 'one')"_s));
    QTRY_VERIFY_WITH_TIMEOUT(keeps.messages.size() > before, 10000);
    QCOMPARE(keeps.socket().state(), QAbstractSocket::ConnectedState);

    // NOTIFY pgrst, 'reload config' does the same: now rsa goes.
    QVERIFY(writeKeySet(path, {u"ed25519"_s}));
    QVERIFY(m_db.exec(u"NOTIFY pgrst, 'reload config'"_s));
    QTRY_COMPARE_WITH_TIMEOUT(keeps.socket().state(), QAbstractSocket::UnconnectedState, 10000);
    QCOMPARE(keeps.socket().closeCode(), QWebSocketProtocol::CloseCodePolicyViolated);
    QCOMPARE(get(server, "/query/pets", byRsa.toUtf8()).status, 401);

    // A file that no longer parses is refused; the keys in force stay.
    QFile broken(path);
    QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
    broken.write("{\"keys\": [");
    broken.close();
    QCOMPARE(::kill(pid_t(server.pid()), SIGUSR2), 0);
    QTRY_VERIFY_WITH_TIMEOUT(server.output().contains("reload"), 10000);
    QCOMPARE(get(server, "/query/pets", byEd.toUtf8()).status, 200);
    QVERIFY(server.isRunning());
}

QTEST_MAIN(tst_JwtKeys)
#include "tst_jwtkeys.moc"
