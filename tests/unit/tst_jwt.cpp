#include "auth/claimpath.h"
#include "auth/jwtverifier.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

using Aiodata::Server::ClaimPath;
using Aiodata::Server::JwtVerifier;
using Status = JwtVerifier::Status;
using Options = JwtVerifier::Options;

Q_DECLARE_METATYPE(JwtVerifier::Status)

namespace Aiodata::Server {
// Found by QCOMPARE through ADL, so failures print the status name.
char *toString(JwtVerifier::Status s)
{
    const char *names[] = {"Valid", "NoSecret", "Malformed", "NoSuitableKey", "BadAlgorithm", "BadSignature",
                           "Expired", "NotYetValid", "IssuedInFuture", "BadAudience", "BadClaim"};
    return qstrdup(names[int(s)]);
}
} // namespace Aiodata::Server

namespace {

// The PostgREST tutorial's secret and token ("Tutorial 1 - The Golden Key").
// The secret is shorter than a plain jwt-secret may be, so it is given as an
// oct JWK here.
const QByteArray TutorialSecret = "superdupersecret";
const QByteArray TutorialJwk = R"({"kty":"oct","k":"c3VwZXJkdXBlcnNlY3JldA"})";
const QByteArray TutorialToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aCJ9."
    "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx4";
const QByteArray PlainSecret = "a plain secret that is 32 bytes+";
const qint64 Now = 1700000000;

QByteArray b64(const QByteArray &raw)
{
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// A token from raw header and payload JSON, HMAC'd by Qt (not by the code
// under test, which uses OpenSSL), so that odd headers can be signed too.
QByteArray token(const QByteArray &header, const QByteArray &payload, const QByteArray &secret,
                 QCryptographicHash::Algorithm hash = QCryptographicHash::Sha256)
{
    const QByteArray input = b64(header) + '.' + b64(payload);
    return input + '.' + b64(QMessageAuthenticationCode::hash(input, secret, hash));
}

const QByteArray Hs256 = R"({"alg":"HS256","typ":"JWT"})";

QByteArray hs256(const QByteArray &payload, const QByteArray &secret = TutorialSecret)
{
    return token(Hs256, payload, secret);
}

QByteArray claims(const char *json, qint64 a)
{
    return QString::fromLatin1(json).arg(a).toUtf8();
}

QByteArray withPart(const QByteArray &tok, int index, const QByteArray &part)
{
    QList<QByteArray> parts = tok.split('.');
    parts[index] = part;
    return parts.join('.');
}

JwtVerifier make(const QByteArray &secret, const Options &options = {})
{
    QString error;
    auto v = JwtVerifier::create(secret, options, &error);
    if (!v)
        qFatal("JwtVerifier::create failed: %s", qPrintable(error));
    return std::move(*v);
}

// What a row expects of the role: absent, or this text.
const QString NoRole = QStringLiteral("<absent>");

QString roleOf(const JwtVerifier::Result &r)
{
    return r.role ? *r.role : NoRole;
}

} // namespace

class TestJwt : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void independentTokens_data();
    void independentTokens();
    void handMadeTokens_data();
    void handMadeTokens();
    void messages_data();
    void messages();
    void roleClaim_data();
    void roleClaim();
    void claimPathSyntax_data();
    void claimPathSyntax();
    void createRefuses_data();
    void createRefuses();
    void keyForms();
    void copiesShareKeys();
    void signMatchesTutorial();
    void roundTrip_data();
    void roundTrip();
    void currentTime();
    void cachedTokensStillMeetTheClock_data();
    void cachedTokensStillMeetTheClock();
    void cacheLifetime();
    void cacheKeepsOnlySignedTokens();
    void cacheIsBounded();
    void oversizedToken();

private:
    QByteArray secret(const char *name) const;
    QByteArray tok(const char *name) const;

    QJsonObject m_secrets;
    QJsonObject m_tokens;
    QJsonObject m_pems;
};

// The keys and tokens come from tests/unit/jwt_fixtures.py (PyJWT and
// cryptography), made afresh on every run.
void TestJwt::initTestCase()
{
    const QString script = QStringLiteral(AIODATA_JWT_FIXTURES);
    QVERIFY2(QFile::exists(script), qPrintable(script));
    // Debian's interpreter first: scripts/deps installs python3-jwt and
    // python3-cryptography for it, while a python3 earlier on PATH (pyenv,
    // a venv) may lack them. AIODATA_PYTHON overrides both.
    QStringList candidates;
    if (qEnvironmentVariableIsSet("AIODATA_PYTHON"))
        candidates << qEnvironmentVariable("AIODATA_PYTHON");
    candidates << QStringLiteral("/usr/bin/python3");
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (!onPath.isEmpty())
        candidates << onPath;
    QString problems;
    for (const QString &python : std::as_const(candidates)) {
        if (!QFile::exists(python))
            continue;
        QProcess p;
        p.start(python, {script, QString::number(Now)});
        if (!p.waitForFinished(120000)) {
            problems += python + QStringLiteral(": did not finish\n");
            continue;
        }
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            problems += python + QStringLiteral(": ") + QString::fromUtf8(p.readAllStandardError()).trimmed().split(u'\n').last() + u'\n';
            continue;
        }
        const QJsonObject out = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        m_secrets = out.value(QLatin1StringView("secrets")).toObject();
        m_tokens = out.value(QLatin1StringView("tokens")).toObject();
        m_pems = out.value(QLatin1StringView("pems")).toObject();
        QVERIFY2(!m_tokens.isEmpty(), qPrintable(python + QStringLiteral(": no tokens from ") + script));
        return;
    }
    QFAIL(qPrintable(QStringLiteral("tst_jwt needs python3 with the jwt and cryptography modules "
                                    "(Debian: python3-jwt python3-cryptography; scripts/deps installs them) to "
                                    "run %1:\n%2").arg(script, problems)));
}

QByteArray TestJwt::secret(const char *name) const
{
    const QJsonValue v = m_secrets.value(QLatin1StringView(name));
    if (!v.isString())
        qFatal("no fixture secret %s", name);
    return v.toString().toUtf8();
}

QByteArray TestJwt::tok(const char *name) const
{
    const QJsonValue v = m_tokens.value(QLatin1StringView(name));
    if (!v.isString())
        qFatal("no fixture token %s", name);
    return v.toString().toUtf8();
}

void TestJwt::independentTokens_data()
{
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("audience");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<Status>("status");

    const QString any;
    auto row = [&](const char *secretName, const QByteArray &tokenName, Status status, const QString &audience = {}) {
        QTest::addRow("%s / %s%s%s", tokenName.constData(), secretName, audience.isEmpty() ? "" : " / aud ",
                      qPrintable(audience))
            << secret(secretName) << audience << tok(tokenName.constData()) << status;
    };

    // Every algorithm with every form of its key: the one JWK, the JWKS (by
    // kid, and without a kid by trying every key that fits).
    for (const char *alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}) {
        row("rsa-jwk", alg, Status::Valid);
        row("rsa-private-jwk", alg, Status::Valid);
        row("jwks", alg, Status::Valid);
        row("jwks", QByteArray(alg) + "-nokid", Status::Valid);
        row("rsa-jwks", alg, Status::Valid);
    }
    row("ec256-jwk", "ES256", Status::Valid);
    row("jwks", "ES256", Status::Valid);
    row("jwks", "ES256-nokid", Status::Valid);
    row("jwks", "ES256-key2-nokid", Status::Valid);
    row("ec256-short-jwk", "ES256-short", Status::Valid); // leading zero byte of x dropped
    row("ec256-short-jwk", "ES256", Status::NoSuitableKey);
    row("ec384-jwk", "ES384", Status::Valid);
    row("jwks", "ES384", Status::Valid);
    row("jwks", "ES384-nokid", Status::Valid);
    row("ed25519-jwk", "EdDSA", Status::Valid);
    row("jwks", "EdDSA", Status::Valid);
    row("jwks", "EdDSA-nokid", Status::Valid);
    for (const char *alg : {"HS256", "HS384", "HS512"}) {
        row("oct-jwk", alg, Status::Valid);
        row("jwks", alg, Status::Valid);
        row("jwks", QByteArray(alg) + "-nokid", Status::Valid);
        row("plain", QByteArray(alg) + "-plain", Status::Valid);
        row("plain", alg, Status::BadSignature);       // the oct key's token
        row("oct-jwk", QByteArray(alg) + "-plain", Status::BadSignature);
    }

    // A key that does not fit the token's algorithm.
    row("rsa-jwk-rs256", "RS256", Status::Valid);
    row("rsa-jwk-rs256", "PS256", Status::NoSuitableKey); // the JWK's alg narrows its kty's
    row("rsa-jwk-rs256", "RS512", Status::NoSuitableKey);
    row("ec256-jwk", "ES384", Status::NoSuitableKey);
    row("ec384-jwk", "ES256", Status::NoSuitableKey);
    row("ed25519-jwk", "ES256", Status::NoSuitableKey);
    row("rsa-jwk", "EdDSA", Status::NoSuitableKey);
    row("plain", "RS256", Status::NoSuitableKey);
    row("oct-jwk", "ES256", Status::NoSuitableKey);
    row("jwks", "ES256-wrong-curve-key", Status::NoSuitableKey); // ES384 token, kid of the P-256 key
    row("rsa-enc-jwks", "RS256", Status::NoSuitableKey); // rsa-1 is for encryption here
    row("rsa-enc-jwks", "RS256-nokid", Status::BadSignature);

    // Kids.
    row("jwks", "RS256-rsa2-kid", Status::Valid);
    row("jwks", "RS256-rsa2-nokid", Status::Valid);      // rsa-1 tried, then rsa-2
    row("jwks", "RS256-rsa2-as-rsa1", Status::BadSignature); // the kid picks rsa-1 only
    row("jwks", "RS256-kid-unknown", Status::NoSuitableKey);
    row("rsa-jwk", "RS256-kid-unknown", Status::Valid);  // a key without kid serves any kid
    row("rotated-jwks", "RS256", Status::NoSuitableKey); // its key was removed
    row("rotated-jwks", "RS256-nokid", Status::BadSignature);
    row("rotated-jwks", "RS256-rsa2-kid", Status::Valid);
    row("rotated-jwks", "ES256", Status::Valid);

    // Wrong keys.
    row("rsa-jwks", "RS256-stranger", Status::BadSignature);
    row("rsa-jwks", "RS256-stranger-kid", Status::BadSignature);
    row("rsa-jwk", "RS256-stranger", Status::BadSignature);

    // Algorithm confusion: HS256 signed with the RSA public key's bytes.
    for (const char *secretName : {"rsa-jwks", "rsa-jwk", "rsa-jwk-rs256", "rsa-private-jwk"}) {
        row(secretName, "confusion-pem", Status::NoSuitableKey);
        row(secretName, "confusion-pem-kid", Status::NoSuitableKey);
        row(secretName, "confusion-jwk", Status::NoSuitableKey);
        row(secretName, "confusion-n", Status::NoSuitableKey);
    }
    // alg none.
    row("jwks", "none", Status::BadAlgorithm);
    row("jwks", "none-kid", Status::BadAlgorithm);
    row("plain", "none", Status::BadAlgorithm);

    // Time, PostgREST's 30 s of skew each way.
    row("jwks", "exp-past", Status::Expired);
    row("jwks", "exp-skew", Status::Valid);
    row("jwks", "exp-future", Status::Valid);
    row("jwks", "exp-fraction", Status::Expired);  // PostgREST reads a fraction as 0
    row("jwks", "exp-null", Status::Valid);
    row("jwks", "exp-string", Status::BadClaim);
    row("jwks", "nbf-future", Status::NotYetValid);
    row("jwks", "nbf-skew", Status::Valid);
    row("jwks", "nbf-string", Status::BadClaim);
    row("jwks", "iat-future", Status::IssuedInFuture);
    row("jwks", "iat-skew", Status::Valid);
    row("jwks", "iat-past", Status::Valid);
    row("jwks", "iat-string", Status::BadClaim);
    row("jwks", "exp-and-nbf", Status::NotYetValid);

    // Audience.
    const QString app = QStringLiteral("my-app");
    row("jwks", "aud-match", Status::Valid, app);
    row("jwks", "aud-other", Status::BadAudience, app);
    row("jwks", "aud-other", Status::Valid, any);
    row("jwks", "aud-array", Status::Valid, app);
    row("jwks", "aud-array-lacks", Status::BadAudience, app);
    row("jwks", "aud-array-empty", Status::Valid, app);
    row("jwks", "aud-number", Status::BadClaim, app);
    row("jwks", "aud-number", Status::BadClaim, any);
    row("jwks", "aud-array-mixed", Status::BadClaim, app);
    row("jwks", "no-aud", Status::Valid, app);

    // Claims that are not an object.
    row("jwks", "payload-array", Status::BadClaim);
    row("jwks", "payload-not-json", Status::BadClaim);
}

void TestJwt::independentTokens()
{
    QFETCH(QByteArray, secret);
    QFETCH(QString, audience);
    QFETCH(QByteArray, token);
    QFETCH(Status, status);

    Options options;
    options.audience = audience;
    const JwtVerifier verifier = make(secret, options);
    const auto r = verifier.verify(token, Now);
    QCOMPARE(r.status, status);
    QCOMPARE(r.isValid(), status == Status::Valid);
    // Asked again (now from the verifier's memory when it passed), the same.
    const auto again = verifier.verify(token, Now);
    QCOMPARE(again.status, status);
    QCOMPARE(again.claimsJson, r.claimsJson);
    if (r.isValid()) {
        QVERIFY(r.code.isEmpty());
        QVERIFY(r.message.isEmpty());
        QCOMPARE(r.claimsJson, QJsonDocument(r.claims).toJson(QJsonDocument::Compact));
        const QJsonObject payload = QJsonDocument::fromJson(QByteArray::fromBase64(
            token.split('.').at(1), QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(r.claims, payload);
    } else {
        QVERIFY(!r.message.isEmpty());
        QVERIFY(r.code.startsWith("PGRST30"));
        QCOMPARE(r.httpStatus, 401);
        QVERIFY(r.claims.isEmpty()); // nothing from a refused token leaks out
        QVERIFY(r.claimsJson.isEmpty());
        QVERIFY(!r.role);
    }

    // Tampered: the payload swapped for another role, same signature.
    if (status == Status::Valid) {
        const QByteArray tampered = withPart(token, 1, b64(R"({"role":"postgres"})"));
        QCOMPARE(verifier.verify(tampered, Now).status, Status::BadSignature);
        // One flipped bit of the signature.
        QByteArray sig = QByteArray::fromBase64(token.split('.').at(2), QByteArray::Base64UrlEncoding);
        sig[sig.size() / 2] = char(sig.at(sig.size() / 2) ^ 0x01);
        QCOMPARE(verifier.verify(withPart(token, 2, b64(sig)), Now).status, Status::BadSignature);
    }
}

void TestJwt::handMadeTokens_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<Status>("status");

    QTest::newRow("tutorial token") << TutorialToken << Status::Valid;

    // Tampering.
    QTest::newRow("tampered payload") << withPart(TutorialToken, 1, b64(R"({"role":"postgres"})")) << Status::BadSignature;
    QTest::newRow("tampered signature") << withPart(TutorialToken, 2, "kOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx4")
                                        << Status::BadSignature;
    QTest::newRow("truncated signature") << withPart(TutorialToken, 2, "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAA")
                                         << Status::BadSignature;
    QTest::newRow("empty signature") << withPart(TutorialToken, 2, QByteArray()) << Status::BadSignature;
    // Same bytes, but the last character differs only in its unused bits.
    QTest::newRow("non-canonical signature") << withPart(TutorialToken, 2, "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx5")
                                             << Status::Malformed;
    QTest::newRow("header swapped for another HS256 header") << withPart(TutorialToken, 0, b64(R"({"alg":"HS256"})"))
                                                             << Status::BadSignature;

    // Algorithms.
    const QByteArray payload = R"({"role":"auth"})";
    const QByteArray s = TutorialSecret;
    QTest::newRow("alg none, empty signature")
        << QByteArray(b64(R"({"alg":"none","typ":"JWT"})") + '.' + b64(payload) + '.') << Status::BadAlgorithm;
    QTest::newRow("alg none, fake signature")
        << QByteArray(b64(R"({"alg":"none"})") + '.' + b64(payload) + '.' + b64("fake")) << Status::BadAlgorithm;
    QTest::newRow("alg none, HS256 signature") << token(R"({"alg":"none"})", payload, s) << Status::BadAlgorithm;
    QTest::newRow("alg NONE") << token(R"({"alg":"NONE"})", payload, s) << Status::BadAlgorithm;
    QTest::newRow("alg hs256 lowercase") << token(R"({"alg":"hs256"})", payload, s) << Status::BadAlgorithm;
    QTest::newRow("alg HS999") << token(R"({"alg":"HS999"})", payload, s) << Status::BadAlgorithm;
    QTest::newRow("alg HS512") << token(R"({"alg":"HS512","typ":"JWT"})", payload, s, QCryptographicHash::Sha512)
                               << Status::Valid;
    QTest::newRow("alg HS384") << token(R"({"alg":"HS384"})", payload, s, QCryptographicHash::Sha384) << Status::Valid;
    QTest::newRow("alg HS512 header, HS256 MAC") << token(R"({"alg":"HS512"})", payload, s) << Status::BadSignature;
    QTest::newRow("alg RS256 with an HMAC") << token(R"({"alg":"RS256","typ":"JWT"})", payload, s)
                                           << Status::NoSuitableKey;
    QTest::newRow("alg missing") << token(R"({"typ":"JWT"})", payload, s) << Status::BadAlgorithm;
    QTest::newRow("alg not a string") << token(R"({"alg":256})", payload, s) << Status::BadAlgorithm;
    QTest::newRow("crit header") << token(R"({"alg":"HS256","crit":["b64"],"b64":false})", payload, s)
                                 << Status::BadAlgorithm;
    QTest::newRow("kid not a string") << token(R"({"alg":"HS256","kid":7})", payload, s) << Status::Malformed;
    QTest::newRow("typ optional") << token(R"({"alg":"HS256"})", payload, s) << Status::Valid;

    // Time (Now is the verifier's clock; 30 seconds of skew).
    QTest::newRow("expired") << hs256(claims(R"({"role":"auth","exp":%1})", Now - 60)) << Status::Expired;
    QTest::newRow("expired by 31 s") << hs256(claims(R"({"role":"auth","exp":%1})", Now - 31)) << Status::Expired;
    QTest::newRow("expired by 30 s, within skew") << hs256(claims(R"({"role":"auth","exp":%1})", Now - 30))
                                                  << Status::Valid;
    QTest::newRow("exp now") << hs256(claims(R"({"role":"auth","exp":%1})", Now)) << Status::Valid;
    QTest::newRow("exp huge: not representable, 0") << hs256(R"({"role":"auth","exp":1e300})") << Status::Expired;
    QTest::newRow("exp not a number") << hs256(R"({"role":"auth","exp":"tomorrow"})") << Status::BadClaim;
    QTest::newRow("exp boolean") << hs256(R"({"role":"auth","exp":true})") << Status::BadClaim;
    QTest::newRow("nbf by 31 s") << hs256(claims(R"({"role":"auth","nbf":%1})", Now + 31)) << Status::NotYetValid;
    QTest::newRow("nbf by 30 s, within skew") << hs256(claims(R"({"role":"auth","nbf":%1})", Now + 30))
                                              << Status::Valid;
    QTest::newRow("nbf null: absent") << hs256(R"({"role":"auth","nbf":null})") << Status::Valid;
    QTest::newRow("iat by 31 s") << hs256(claims(R"({"role":"auth","iat":%1})", Now + 31)) << Status::IssuedInFuture;
    QTest::newRow("iat object") << hs256(R"({"role":"auth","iat":{}})") << Status::BadClaim;
    QTest::newRow("exp checked before nbf")
        << hs256(claims(R"({"nbf":"x","exp":%1})", Now - 60)) << Status::Expired;
    QTest::newRow("expired and wrong secret: signature first")
        << token(Hs256, claims(R"({"role":"auth","exp":%1})", Now - 60), "other") << Status::BadSignature;

    // Malformed.
    QTest::newRow("two parts") << QByteArray("eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYXV0aCJ9") << Status::Malformed;
    QTest::newRow("four parts") << QByteArray(TutorialToken + ".x") << Status::Malformed;
    QTest::newRow("empty") << QByteArray() << Status::Malformed;
    QTest::newRow("empty parts") << QByteArray("..") << Status::Malformed;
    QTest::newRow("bad base64 header") << withPart(TutorialToken, 0, "eyJh!GciOiJIUzI1NiJ9") << Status::Malformed;
    QTest::newRow("padded base64") << withPart(TutorialToken, 1, "eyJyb2xlIjoiYXV0aCJ9==") << Status::Malformed;
    QTest::newRow("standard alphabet") << withPart(TutorialToken, 2, "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz/vlAAZx4")
                                       << Status::Malformed;
    QTest::newRow("dangling base64 char") << withPart(TutorialToken, 1, "eyJyb2xlIjoiYXV0aCJ9a") << Status::Malformed;
    QTest::newRow("header not JSON") << token("not json", payload, s) << Status::Malformed;
    QTest::newRow("header JSON array") << token(R"(["HS256"])", payload, s) << Status::Malformed;
    QTest::newRow("payload not JSON") << hs256("{role: auth}") << Status::BadClaim;
    QTest::newRow("payload JSON array") << hs256(R"([{"role":"auth"}])") << Status::BadClaim;
    QTest::newRow("payload JSON string") << hs256(R"("auth")") << Status::BadClaim;
}

void TestJwt::handMadeTokens()
{
    QFETCH(QByteArray, token);
    QFETCH(Status, status);

    const JwtVerifier verifier = make(TutorialJwk);
    const auto r = verifier.verify(token, Now);
    QCOMPARE(r.status, status);
    QCOMPARE(verifier.verify(token, Now).status, status);
    if (r.isValid())
        QCOMPARE(roleOf(r), QStringLiteral("auth"));
    else
        QVERIFY(r.claims.isEmpty() && r.claimsJson.isEmpty() && !r.role);
}

// PostgREST's codes, statuses, messages and details (Error.hs; its
// test/spec/Feature/Query/ErrorSpec.hs and Auth/AuthSpec.hs).
void TestJwt::messages_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("httpStatus");
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("details");

    const QString none;
    QTest::newRow("empty") << QByteArray() << 401 << QByteArray("PGRST301")
                           << "Empty JWT is sent in Authorization header" << none;
    QTest::newRow("two parts") << QByteArray("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGFuIG9iamVjdA") << 401
                               << QByteArray("PGRST301") << "Expected 3 parts in JWT; got 2" << none;
    QTest::newRow("four parts") << QByteArray("a.b.c.d") << 401 << QByteArray("PGRST301")
                                << "Expected 3 parts in JWT; got 4" << none;
    QTest::newRow("one part") << QByteArray("abc") << 401 << QByteArray("PGRST301") << "Expected 3 parts in JWT; got 1"
                              << none;
    QTest::newRow("random characters") << QByteArray("quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah") << 401
                                       << QByteArray("PGRST301") << "JWT cryptographic operation failed" << none;
    QTest::newRow("alg none") << QByteArray("eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30.yOBhlOIqn56T-4NvyEXCjfi3UmyQZ-BzXtePMO2NgRI")
                              << 401 << QByteArray("PGRST301") << "Wrong or unsupported encoding algorithm"
                              << "JWT is unsecured but expected 'alg' was not 'none'";
    QTest::newRow("unknown alg") << token(R"({"alg":"XX1"})", "{}", TutorialSecret) << 401 << QByteArray("PGRST301")
                                 << "Wrong or unsupported encoding algorithm" << "Unsupported JWS algorithm \"XX1\"";
    QTest::newRow("wrong secret") << token(Hs256, "{}", "wrong secret") << 401 << QByteArray("PGRST301")
                                  << "No suitable key or wrong key type" << "None of the keys was able to decode the JWT";
    QTest::newRow("no key of that type") << token(R"({"alg":"ES256"})", "{}", TutorialSecret) << 401
                                         << QByteArray("PGRST301") << "No suitable key or wrong key type"
                                         << "No suitable key was found to decode the JWT";
    QTest::newRow("expired") << hs256(claims(R"({"exp":%1})", Now - 100)) << 401 << QByteArray("PGRST303")
                             << "JWT expired" << none;
    QTest::newRow("nbf") << hs256(claims(R"({"nbf":%1})", Now + 100)) << 401 << QByteArray("PGRST303")
                         << "JWT not yet valid" << none;
    QTest::newRow("iat") << hs256(claims(R"({"iat":%1})", Now + 100)) << 401 << QByteArray("PGRST303")
                         << "JWT issued at future" << none;
    QTest::newRow("aud") << hs256(R"({"aud":"x"})") << 401 << QByteArray("PGRST303") << "JWT not in audience" << none;
    QTest::newRow("exp type") << hs256(R"({"exp":"x"})") << 401 << QByteArray("PGRST303")
                              << "The JWT 'exp' claim must be a number" << none;
    QTest::newRow("nbf type") << hs256(R"({"nbf":"x"})") << 401 << QByteArray("PGRST303")
                              << "The JWT 'nbf' claim must be a number" << none;
    QTest::newRow("iat type") << hs256(R"({"iat":"x"})") << 401 << QByteArray("PGRST303")
                              << "The JWT 'iat' claim must be a number" << none;
    QTest::newRow("aud type") << hs256(R"({"aud":{"invalid":"value"}})") << 401 << QByteArray("PGRST303")
                              << "The JWT 'aud' claim must be a string or an array of strings" << none;
    QTest::newRow("claims not an object") << hs256("[]") << 401 << QByteArray("PGRST303") << "Parsing claims failed"
                                          << none;
}

void TestJwt::messages()
{
    QFETCH(QByteArray, token);
    QFETCH(int, httpStatus);
    QFETCH(QByteArray, code);
    QFETCH(QString, message);
    QFETCH(QString, details);

    Options options;
    options.audience = QStringLiteral("my-app");
    const auto r = make(TutorialJwk, options).verify(token, Now);
    QCOMPARE(r.httpStatus, httpStatus);
    QCOMPARE(r.code, code);
    QCOMPARE(r.message, message);
    QCOMPARE(r.details, details);

    const auto noSecret = JwtVerifier().verify(token, Now);
    QCOMPARE(noSecret.status, Status::NoSecret);
    QCOMPARE(noSecret.httpStatus, 500);
    QCOMPARE(noSecret.code, QByteArray("PGRST300"));
    QCOMPARE(noSecret.message, QStringLiteral("Server lacks JWT secret"));
}

void TestJwt::roleClaim_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("role");

    QTest::newRow("default") << QStringLiteral(".role") << tok("nested") << QStringLiteral("outer");
    QTest::newRow("$.role") << QStringLiteral("$.role") << tok("nested") << QStringLiteral("outer");
    QTest::newRow("nested") << QStringLiteral(".app_metadata.role") << tok("nested") << QStringLiteral("inner");
    QTest::newRow("nested, $") << QStringLiteral("$.app_metadata.role") << tok("nested") << QStringLiteral("inner");
    QTest::newRow("index") << QStringLiteral(".app_metadata.roles[1]") << tok("nested") << QStringLiteral("second");
    QTest::newRow("index, $") << QStringLiteral("$.app_metadata.roles[0]") << tok("nested") << QStringLiteral("first");
    QTest::newRow("negative index") << QStringLiteral("$.app_metadata.roles[-1]") << tok("nested")
                                    << QStringLiteral("second");
    QTest::newRow("index out of range") << QStringLiteral(".app_metadata.roles[2]") << tok("nested") << NoRole;
    QTest::newRow("index then key") << QStringLiteral(".groups[1].name") << tok("roles-array") << QStringLiteral("g1");
    QTest::newRow("bracket name") << QStringLiteral("$['app_metadata'][\"role\"]") << tok("nested")
                                  << QStringLiteral("inner");
    QTest::newRow("quoted key") << QStringLiteral(".\"https://example.com/claims\".role") << tok("quoted")
                                << QStringLiteral("quoted");
    QTest::newRow("quoted key, $") << QStringLiteral("$['https://example.com/claims'].role") << tok("quoted")
                                   << QStringLiteral("quoted");
    QTest::newRow("quoted key with a dot") << QStringLiteral(".\"a.b\"") << tok("quoted") << QStringLiteral("dotted");
    QTest::newRow("filter ==") << QStringLiteral(".roles[?(@ == \"user\")]") << tok("roles-filter")
                               << QStringLiteral("user");
    QTest::newRow("filter ^==") << QStringLiteral(".roles[?(@ ^== \"x-\")]") << tok("roles-filter")
                                << QStringLiteral("x-admin");
    QTest::newRow("filter ==^") << QStringLiteral(".roles[?(@ ==^ \"ger\")]") << tok("roles-filter")
                                << QStringLiteral("manager");
    QTest::newRow("filter *==") << QStringLiteral(".roles[?(@ *== \"anag\")]") << tok("roles-filter")
                                << QStringLiteral("manager");
    QTest::newRow("filter !=") << QStringLiteral(".roles[?(@ != \"x-admin\")]") << tok("roles-filter")
                               << QStringLiteral("user");
    QTest::newRow("filter, no match") << QStringLiteral(".roles[?(@ == \"root\")]") << tok("roles-filter") << NoRole;
    QTest::newRow("absent") << QStringLiteral(".role") << tok("no-role") << NoRole;
    QTest::newRow("absent nested") << QStringLiteral(".app_metadata.role") << tok("no-aud") << NoRole;
    QTest::newRow("key of a string") << QStringLiteral(".role.x") << tok("no-aud") << NoRole;
    QTest::newRow("index of an object") << QStringLiteral(".app_metadata[0]") << tok("nested") << NoRole;
    QTest::newRow("number, JSON-encoded") << QStringLiteral(".role") << tok("role-number") << QStringLiteral("7");
    QTest::newRow("object, JSON-encoded") << QStringLiteral(".role") << tok("role-object")
                                          << QStringLiteral(R"({"a":[1,true,null]})");
    QTest::newRow("null, JSON-encoded") << QStringLiteral(".role") << tok("role-null") << QStringLiteral("null");
    QTest::newRow("array, JSON-encoded") << QStringLiteral(".roles") << tok("roles-array")
                                         << QStringLiteral(R"(["admin","user"])");
}

void TestJwt::roleClaim()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, token);
    QFETCH(QString, role);

    Options options;
    options.roleClaimKey = path;
    const auto r = make(secret("jwks"), options).verify(token, Now);
    QCOMPARE(r.status, Status::Valid);
    QCOMPARE(roleOf(r), role);
}

void TestJwt::claimPathSyntax_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("error"); // empty: accepted; else a part of the error

    QTest::newRow(".role") << ".role" << QString();
    QTest::newRow("$") << "$" << QString();
    QTest::newRow("$.a.b[0]") << "$.a.b[0]" << QString();
    QTest::newRow("$[ 'a' ]") << "$[ 'a' ]" << QString();
    QTest::newRow("escapes") << R"($["a\"b\u0041"])" << QString();
    QTest::newRow(".$@_x9") << ".$@_x9" << QString();
    QTest::newRow("unicode key") << ".r\u00f4le" << QString();
    QTest::newRow("empty") << "" << "a path such as .role";
    QTest::newRow("no dot") << "role" << "at position 1";
    QTest::newRow("dot only") << "." << "at position 2";
    QTest::newRow("unclosed quote") << ".\"abc" << "closing";
    QTest::newRow("unclosed index") << ".a[0" << "]";
    QTest::newRow("negative index, old syntax") << ".a[-1]" << "a digit";
    QTest::newRow("filter not last") << ".a[?(@ == \"x\")].b" << "the end";
    QTest::newRow("bad operator") << ".a[?(@ = \"x\")]" << "one of";
    QTest::newRow("wildcard") << "$.*" << "wildcards";
    QTest::newRow("wildcard index") << "$[*]" << "wildcards";
    QTest::newRow("descendants") << "$..role" << "descendant";
    QTest::newRow("rfc filter") << "$.roles[?@ == 'x']" << "filters";
    QTest::newRow("slice") << "$.a[0:2]" << "slices";
    QTest::newRow("union") << "$.a[0,1]" << "list of selectors";
    QTest::newRow("leading zero") << "$.a[01]" << "leading zeros";
    QTest::newRow("minus zero") << "$.a[-0]" << "leading zeros";
    QTest::newRow("digit first name") << "$.0a" << "member name";
    QTest::newRow("bad escape") << R"($["a\x"])" << "an escape";
    QTest::newRow("trailing garbage") << "$.a b" << "\".\" or \"[\"";
    QTest::newRow("huge index") << "$.a[99999999999999999]" << "at most";
}

void TestJwt::claimPathSyntax()
{
    QFETCH(QString, path);
    QFETCH(QString, error);

    QString message;
    const auto parsed = ClaimPath::parse(path, &message);
    QCOMPARE(bool(parsed), error.isEmpty());
    if (!parsed) {
        QVERIFY2(message.contains(error), qPrintable(message));
        QVERIFY2(message.contains(path), qPrintable(message));
        // create() refuses it the same way.
        Options options;
        options.roleClaimKey = path;
        QString createError;
        QVERIFY(!JwtVerifier::create(PlainSecret, options, &createError));
        QCOMPARE(createError, message);
    }
}

void TestJwt::createRefuses_data()
{
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("error"); // a part of it

    const QByteArray n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    QTest::newRow("short plain secret") << QByteArray("superdupersecret")
                                        << "The JWT secret must be at least 32 characters long.";
    QTest::newRow("31 bytes") << QByteArray(31, 'x') << "at least 32";
    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("broken JSON") << QByteArray(R"({"kty":"oct",)") << "not valid JSON";
    QTest::newRow("no kty") << QByteArray(R"({"k":"abc"})") << "has no \"kty\"";
    QTest::newRow("kty unknown") << QByteArray(R"({"kty":"XYZ","k":"abc"})") << "unsupported kty \"XYZ\"";
    QTest::newRow("EC curve unknown") << QByteArray(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})")
                                      << "unsupported EC curve \"secp256k1\"";
    QTest::newRow("OKP X25519") << QByteArray(R"({"kty":"OKP","crv":"X25519","x":"AA"})") << "unsupported OKP curve";
    QTest::newRow("oct without k") << QByteArray(R"({"kty":"oct"})") << "has no \"k\"";
    QTest::newRow("oct empty k") << QByteArray(R"({"kty":"oct","k":""})") << "empty \"k\"";
    QTest::newRow("oct k not base64url") << QByteArray(R"({"kty":"oct","k":"a+b/"})") << "not base64url";
    QTest::newRow("RSA without e") << QByteArray(R"({"kty":"RSA","n":")" + n + R"("})") << "has no \"e\"";
    QTest::newRow("RSA too small") << QByteArray(R"({"kty":"RSA","n":"AQAB","e":"AQAB"})") << "17-bit modulus";
    QTest::newRow("RSA even e") << QByteArray(R"({"kty":"RSA","n":")" + n + R"(","e":"Ag"})") << "public exponent";
    QTest::newRow("EC x longer than the field") << secret("ec256-long-jwk") << "33/32 bytes; its curve needs 32";
    QTest::newRow("EC x empty") << QByteArray(R"({"kty":"EC","crv":"P-256","x":"","y":"AAAA"})") << "empty \"x\"";
    // Short coordinates are padded (PyJWT < 2.8 drops leading zeros): zeros are no point.
    QTest::newRow("EC short zeros") << QByteArray(R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})")
                                    << "not a point on its curve";
    QTest::newRow("EC point off the curve")
        << QByteArray(R"({"kty":"EC","crv":"P-256","x":")" + b64(QByteArray(32, '\x01')) + R"(","y":")"
                      + b64(QByteArray(32, '\x02')) + R"("})")
        << "not a point on its curve";
    QTest::newRow("Ed25519 x short") << QByteArray(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})") << "needs 32";
    QTest::newRow("alg does not fit kty") << QByteArray(R"({"kty":"oct","k":"abcd","alg":"RS256"})")
                                          << "does not fit its kty";
    QTest::newRow("kid not a string") << QByteArray(R"({"kty":"oct","k":"abcd","kid":1})") << "\"kid\"";
    QTest::newRow("key_ops not an array") << QByteArray(R"({"kty":"oct","k":"abcd","key_ops":"verify"})") << "key_ops";
    QTest::newRow("keys not an array") << QByteArray(R"({"keys":{}})") << "not an array";
    QTest::newRow("no keys") << QByteArray(R"({"keys":[]})") << "has no keys";
    QTest::newRow("only enc keys") << QByteArray(R"({"keys":[{"kty":"oct","k":"abcd","use":"enc"}]})")
                                   << "no key is for verifying";
    QTest::newRow("only encrypt ops") << QByteArray(R"({"kty":"oct","k":"abcd","key_ops":["encrypt"]})")
                                   << "no key is for verifying";
    QTest::newRow("bad key in a set, named")
        << QByteArray(R"({"keys":[{"kty":"oct","k":"abcd"},{"kty":"EC","kid":"k2","crv":"P-256"}]})")
        << "JWKS key 1 (kid \"k2\") has no \"x\"";
    QTest::newRow("JSON neither JWK nor JWKS") << QByteArray(R"({"secret":"0123456789012345678901234567890123"})")
                                               << "has no \"kty\"";
}

void TestJwt::createRefuses()
{
    QFETCH(QByteArray, secret);
    QFETCH(QString, error);

    QString message;
    QVERIFY(!JwtVerifier::create(secret, {}, &message));
    QVERIFY2(message.contains(error), qPrintable(message));
}

void TestJwt::keyForms()
{
    // Keys for encryption, or for other operations, are left out of a set.
    const QByteArray mixed = R"({"keys":[{"kty":"oct","k":"c3VwZXJkdXBlcnNlY3JldA","kid":"a"},)"
                             R"({"kty":"oct","k":"b3RoZXI","use":"enc"},)"
                             R"({"kty":"RSA","alg":"RSA-OAEP","n":"AQAB","e":"AQAB"},)"
                             R"({"kty":"oct","k":"b3RoZXI","key_ops":["sign","verify"]}]})";
    const JwtVerifier v = make(mixed);
    QCOMPARE(v.keyCount(), 2);
    QVERIFY(v.verify(TutorialToken, Now).isValid());
    QCOMPARE(make(secret("jwks")).keyCount(), 7);
    QCOMPARE(make(secret("rsa-enc-jwks").replace(R"("use":"enc")", R"("use":"sig")")).keyCount(), 2);
    QCOMPARE(make(secret("rsa-enc-jwks")).keyCount(), 1);
    QCOMPARE(make(PlainSecret).keyCount(), 1);
    QCOMPARE(JwtVerifier().keyCount(), 0);
    // Whitespace around a JWK, as a file holds it.
    QVERIFY(make("\n  " + TutorialJwk + "\n").verify(TutorialToken, Now).isValid());
    // A plain secret is its bytes, whatever they are (PostgREST's binary secrets).
    const QByteArray binary = QByteArray("\x00\xff\x10\x80", 4).repeated(10);
    QVERIFY(make(binary).verify(token(Hs256, "{}", binary), Now).isValid());
}

void TestJwt::copiesShareKeys()
{
    const JwtVerifier original = make(secret("jwks"));
    JwtVerifier copy = original;
    QCOMPARE(copy.keyCount(), original.keyCount());
    QVERIFY(copy.verify(tok("ES256"), Now).isValid());
    // Replaced by a verifier of the rotated keys (as on a reload).
    copy = make(secret("rotated-jwks"));
    QCOMPARE(copy.verify(tok("RS256"), Now).status, Status::NoSuitableKey);
    QVERIFY(original.verify(tok("RS256"), Now).isValid());
}

void TestJwt::signMatchesTutorial()
{
    const QJsonObject c{{QStringLiteral("role"), QStringLiteral("auth")}};
    QCOMPARE(JwtVerifier::sign(c, TutorialSecret), TutorialToken);
    const QByteArray header = TutorialToken.left(TutorialToken.indexOf('.'));
    QCOMPARE(JwtVerifier::sign(c, "another").left(header.size() + 1), header + '.');
    QVERIFY(JwtVerifier::sign(c, "another") != TutorialToken);
}

void TestJwt::roundTrip_data()
{
    QTest::addColumn<QJsonObject>("claims");
    QTest::addColumn<QByteArray>("secret");

    QTest::newRow("role") << QJsonObject{{QStringLiteral("role"), QStringLiteral("web_user")}} << PlainSecret;
    QTest::newRow("empty claims") << QJsonObject() << PlainSecret;
    QTest::newRow("mixed claims")
        << QJsonObject{{QStringLiteral("role"), QStringLiteral("r\u00f4le")},
                       {QStringLiteral("email"), QStringLiteral("a@b.c")},
                       {QStringLiteral("exp"), double(Now + 3600)},
                       {QStringLiteral("nbf"), double(Now - 5)},
                       {QStringLiteral("aud"), QJsonArray{QStringLiteral("my-app")}},
                       {QStringLiteral("admin"), true},
                       {QStringLiteral("nested"), QJsonObject{{QStringLiteral("k"), QJsonValue()}}}}
        << QByteArray("a much longer secret that is over sixty-four bytes long, to be hashed first by HMAC");
    QTest::newRow("binary secret") << QJsonObject{{QStringLiteral("role"), QStringLiteral("x")}}
                                   << QByteArray("\x00\xff\x10", 3).repeated(11);
}

void TestJwt::roundTrip()
{
    QFETCH(QJsonObject, claims);
    QFETCH(QByteArray, secret);

    const QByteArray tok = JwtVerifier::sign(claims, secret);
    QCOMPARE(tok.count('.'), 2);
    QVERIFY(!tok.contains('='));
    QVERIFY(!tok.contains('+'));
    QVERIFY(!tok.contains('/'));

    Options options;
    options.audience = QStringLiteral("my-app");
    const auto r = make(secret, options).verify(tok, Now);
    QCOMPARE(r.status, Status::Valid);
    QCOMPARE(r.claims, claims);
    QCOMPARE(r.claimsJson, QJsonDocument(claims).toJson(QJsonDocument::Compact));
    QCOMPARE(r.role.has_value(), claims.contains(QLatin1StringView("role")));
    QCOMPARE(r.expiresAt, claims.contains(QLatin1StringView("exp")) ? Now + 3600 : 0);

    QByteArray otherSecret = secret;
    otherSecret[0] = char(otherSecret.at(0) ^ 1);
    QCOMPARE(make(otherSecret).verify(tok, Now).status, Status::BadSignature);
}

void TestJwt::currentTime()
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const JwtVerifier verifier = make(PlainSecret);
    auto signedWith = [](const char *key, qint64 when) {
        return JwtVerifier::sign({{QStringLiteral("role"), QStringLiteral("auth")}, {QLatin1String(key), double(when)}},
                                 PlainSecret);
    };
    QCOMPARE(verifier.verify(signedWith("exp", now + 600)).status, Status::Valid);
    QCOMPARE(verifier.verify(signedWith("exp", now - 600)).status, Status::Expired);
    QCOMPARE(verifier.verify(signedWith("nbf", now + 600)).status, Status::NotYetValid);
}

void TestJwt::cachedTokensStillMeetTheClock_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QList<qint64>>("times");
    QTest::addColumn<QList<Status>>("statuses");

    QTest::newRow("valid, then expired, then valid at an earlier clock")
        << hs256(claims(R"({"role":"auth","exp":%1})", Now + 3600))
        << QList<qint64>{Now, Now + 7200, Now + 3599, Now}
        << QList<Status>{Status::Valid, Status::Expired, Status::Valid, Status::Valid};
    QTest::newRow("not yet valid, then valid, then expired")
        << hs256(QString::fromLatin1(R"({"role":"auth","nbf":%1,"exp":%2})").arg(Now + 60).arg(Now + 600).toUtf8())
        << QList<qint64>{Now, Now + 120, Now + 631, Now}
        << QList<Status>{Status::NotYetValid, Status::Valid, Status::Expired, Status::NotYetValid};
    QTest::newRow("refused tokens are asked again, and stay refused")
        << token(Hs256, claims(R"({"role":"auth","exp":%1})", Now + 3600), "other")
        << QList<qint64>{Now, Now} << QList<Status>{Status::BadSignature, Status::BadSignature};
    QTest::newRow("wrong audience, from memory too")
        << hs256(R"({"role":"auth","aud":"other"})")
        << QList<qint64>{Now, Now + 1} << QList<Status>{Status::BadAudience, Status::BadAudience};
}

void TestJwt::cachedTokensStillMeetTheClock()
{
    QFETCH(QByteArray, token);
    QFETCH(QList<qint64>, times);
    QFETCH(QList<Status>, statuses);

    Options options;
    options.audience = QStringLiteral("my-app");
    const JwtVerifier verifier = make(TutorialJwk, options);
    for (qsizetype i = 0; i < times.size(); ++i) {
        const auto r = verifier.verify(token, times.at(i));
        QCOMPARE(r.status, statuses.at(i));
        QCOMPARE(r.claims.isEmpty(), !r.isValid());
    }
    // A tampered copy of a token the verifier remembers is still refused.
    QCOMPARE(verifier.verify(withPart(token, 1, b64(R"({"role":"postgres"})")), Now + 120).status,
             Status::BadSignature);
}

// The clock is the `now` argument, so the cache's lifetime is tested without
// waiting; cachedTokenCount() and cacheEntryAge() show what it holds.
void TestJwt::cacheLifetime()
{
    Options options;
    options.cacheMaxLifetimeSecs = 100;
    JwtVerifier verifier = make(TutorialJwk, options);
    const QByteArray t = hs256(claims(R"({"role":"auth","exp":%1})", Now + 1000));

    const auto first = verifier.verify(t, Now);
    QVERIFY(first.isValid());
    QCOMPARE(verifier.cachedTokenCount(), 1);
    const auto hit = verifier.verify(t, Now + 99);
    QCOMPARE(hit.status, Status::Valid);
    QCOMPARE(hit.claimsJson, first.claimsJson);
    QCOMPARE(hit.role, first.role);
    QCOMPARE(hit.expiresAt, Now + 1000);
    QCOMPARE(verifier.cachedTokenCount(), 1);

    // Past the lifetime the entry is dropped and the token verified afresh
    // (and remembered again from then on).
    QVERIFY(verifier.verify(t, Now + 100).isValid());
    QCOMPARE(verifier.cachedTokenCount(), 1);
    QCOMPARE(verifier.cacheEntryAge(t, Now + 100), 0);
    QCOMPARE(verifier.cacheEntryAge(t, Now + 150), 50);

    // Never past the token's exp (+ skew): the expired entry is forgotten.
    QCOMPARE(verifier.verify(t, Now + 1031 + 0).status, Status::Expired);
    QCOMPARE(verifier.cachedTokenCount(), 0);
    QCOMPARE(verifier.cacheEntryAge(t, Now + 1031), -1);

    // 0: no cache at all.
    options.cacheMaxLifetimeSecs = 0;
    const JwtVerifier uncached = make(TutorialJwk, options);
    QVERIFY(uncached.verify(t, Now).isValid());
    QVERIFY(uncached.verify(t, Now).isValid());
    QCOMPARE(uncached.cachedTokenCount(), 0);
}

void TestJwt::cacheKeepsOnlySignedTokens()
{
    const JwtVerifier verifier = make(TutorialJwk);
    QCOMPARE(verifier.verify(token(Hs256, R"({"role":"auth"})", "wrong"), Now).status, Status::BadSignature);
    QCOMPARE(verifier.verify("a.b", Now).status, Status::Malformed);
    QCOMPARE(verifier.verify(token(R"({"alg":"none"})", "{}", TutorialSecret), Now).status, Status::BadAlgorithm);
    QCOMPARE(verifier.verify(token(R"({"alg":"ES256"})", "{}", TutorialSecret), Now).status, Status::NoSuitableKey);
    QCOMPARE(verifier.verify(hs256(claims(R"({"exp":%1})", Now - 100)), Now).status, Status::Expired);
    QCOMPARE(verifier.cachedTokenCount(), 0);
    QVERIFY(verifier.verify(TutorialToken, Now).isValid());
    QCOMPARE(verifier.cachedTokenCount(), 1);
}

void TestJwt::cacheIsBounded()
{
    Options options;
    options.maxCachedTokens = 50;
    const JwtVerifier verifier = make(TutorialJwk, options);
    auto numbered = [](int n) { return hs256(claims(R"({"role":"auth","n":%1})", n)); };
    QVERIFY(verifier.verify(numbered(0), Now).isValid());
    for (int n = 1; n <= 120; ++n) {
        QVERIFY(verifier.verify(numbered(n), Now + n).isValid());
        QVERIFY(verifier.cachedTokenCount() <= 50);
    }
    QCOMPARE(verifier.cachedTokenCount(), 50);
    // Oldest out first: the newest 50 are there, the first is not.
    QCOMPARE(verifier.cacheEntryAge(numbered(0), Now + 120), -1);
    QCOMPARE(verifier.cacheEntryAge(numbered(70), Now + 120), -1);
    QCOMPARE(verifier.cacheEntryAge(numbered(71), Now + 120), 49);
    QCOMPARE(verifier.cacheEntryAge(numbered(120), Now + 120), 0);
    // Forgotten, verified afresh.
    const auto r = verifier.verify(numbered(0), Now + 121);
    QVERIFY(r.isValid());
    QCOMPARE(r.claimsJson, QByteArray(R"({"n":0,"role":"auth"})"));
}

void TestJwt::oversizedToken()
{
    const JwtVerifier verifier = make(TutorialJwk);
    // Just within the bound, a valid token; one byte more, refused unread.
    const int pad = int(JwtVerifier::MaxTokenBytes) - int(hs256(R"({"role":"auth","p":""})").size());
    const QByteArray within = hs256(R"({"role":"auth","p":")" + QByteArray((pad - 4) * 3 / 4, 'x') + R"("})");
    QVERIFY(within.size() <= JwtVerifier::MaxTokenBytes);
    QVERIFY(verifier.verify(within, Now).isValid());
    const QByteArray over = hs256(R"({"role":"auth","p":")" + QByteArray(JwtVerifier::MaxTokenBytes, 'x') + R"("})");
    const auto r = verifier.verify(over, Now);
    QCOMPARE(r.status, Status::Malformed);
    QCOMPARE(r.code, QByteArray("PGRST301"));
    QVERIFY2(r.details.contains(QString::number(JwtVerifier::MaxTokenBytes)), qPrintable(r.details));
    QCOMPARE(verifier.verify(QByteArray(1 << 20, '.'), Now).status, Status::Malformed);
}

QTEST_APPLESS_MAIN(TestJwt)
#include "tst_jwt.moc"
