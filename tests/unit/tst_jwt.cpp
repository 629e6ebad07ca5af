#include "auth/jwtverifier.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QtTest>

using Aiodata::Server::JwtVerifier;
using Status = JwtVerifier::Status;

Q_DECLARE_METATYPE(JwtVerifier::Status)

namespace Aiodata::Server {
// Found by QCOMPARE through ADL, so failures print the status name.
char *toString(JwtVerifier::Status s)
{
    const char *names[] = {"Valid", "Malformed", "BadAlgorithm", "BadSignature",
                           "Expired", "NotYetValid", "BadAudience", "NoSecret"};
    return qstrdup(names[int(s)]);
}
} // namespace Aiodata::Server

namespace {

const QByteArray Secret = "superdupersecret";
// From the PostgREST tutorial ("Tutorial 1 - The Golden Key").
const QByteArray TutorialToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYXV0aCJ9."
    "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx4";
const qint64 Now = 1700000000;

QByteArray b64(const QByteArray &raw)
{
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Builds a token from raw header and payload JSON, independently of
// JwtVerifier::sign, so that odd headers and payloads can be signed too.
QByteArray token(const QByteArray &header, const QByteArray &payload, const QByteArray &secret,
                 QCryptographicHash::Algorithm hash = QCryptographicHash::Sha256)
{
    const QByteArray input = b64(header) + '.' + b64(payload);
    return input + '.' + b64(QMessageAuthenticationCode::hash(input, secret, hash));
}

const QByteArray Hs256 = R"({"alg":"HS256","typ":"JWT"})";

QByteArray hs256(const QByteArray &payload, const QByteArray &secret = Secret)
{
    return token(Hs256, payload, secret);
}

QByteArray claims(const char *json, qint64 a)
{
    return QString::fromLatin1(json).arg(a).toUtf8();
}

QByteArray claims(const char *json, qint64 a, qint64 b)
{
    return QString::fromLatin1(json).arg(a).arg(b).toUtf8();
}

QByteArray withPart(const QByteArray &tok, int index, const QByteArray &part)
{
    QList<QByteArray> parts = tok.split('.');
    parts[index] = part;
    return parts.join('.');
}

} // namespace

class TestJwt : public QObject
{
    Q_OBJECT

private slots:
    void verify_data();
    void verify();
    void signMatchesTutorial();
    void roundTrip_data();
    void roundTrip();
    void currentTime();
    void cachedTokensStillMeetTheClock_data();
    void cachedTokensStillMeetTheClock();
    void cacheIsBounded();
    void messages();
};

void TestJwt::verify_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("audience");
    QTest::addColumn<Status>("status");
    QTest::addColumn<QString>("role");

    const QString none;
    const QString auth = QStringLiteral("auth");

    QTest::newRow("tutorial token") << TutorialToken << Secret << none << Status::Valid << auth;
    QTest::newRow("tutorial token, wrong secret")
        << TutorialToken << QByteArray("superdupersecreT") << none << Status::BadSignature << none;
    QTest::newRow("no secret configured") << TutorialToken << QByteArray() << none << Status::NoSecret << none;
    QTest::newRow("no secret, malformed token") << QByteArray("x") << QByteArray() << none << Status::NoSecret << none;

    // Tampering.
    QTest::newRow("tampered payload")
        << withPart(TutorialToken, 1, b64(R"({"role":"postgres"})")) << Secret << none << Status::BadSignature << none;
    QTest::newRow("tampered signature")
        << withPart(TutorialToken, 2, "kOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx4") << Secret << none
        << Status::BadSignature << none;
    QTest::newRow("truncated signature")
        << withPart(TutorialToken, 2, "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAA") << Secret << none
        << Status::BadSignature << none;
    QTest::newRow("empty signature") << withPart(TutorialToken, 2, QByteArray()) << Secret << none
                                     << Status::BadSignature << none;
    // Same bytes, but the last character differs only in its unused bits.
    QTest::newRow("non-canonical signature")
        << withPart(TutorialToken, 2, "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx5") << Secret << none
        << Status::Malformed << none;
    QTest::newRow("header swapped for another HS256 header")
        << withPart(TutorialToken, 0, b64(R"({"alg":"HS256"})")) << Secret << none << Status::BadSignature << none;

    // Algorithms.
    const QByteArray payload = R"({"role":"auth"})";
    QTest::newRow("alg none, empty signature")
        << QByteArray(b64(R"({"alg":"none","typ":"JWT"})") + '.' + b64(payload) + '.') << Secret << none
        << Status::BadAlgorithm << none;
    QTest::newRow("alg none, fake signature")
        << QByteArray(b64(R"({"alg":"none"})") + '.' + b64(payload) + '.' + b64("fake")) << Secret << none
        << Status::BadAlgorithm << none;
    QTest::newRow("alg none, HS256 signature") << token(R"({"alg":"none"})", payload, Secret) << Secret
                                               << none << Status::BadAlgorithm << none;
    QTest::newRow("alg NONE") << token(R"({"alg":"NONE"})", payload, Secret) << Secret << none
                              << Status::BadAlgorithm << none;
    QTest::newRow("alg hs256 lowercase") << token(R"({"alg":"hs256"})", payload, Secret) << Secret << none
                                         << Status::BadAlgorithm << none;
    QTest::newRow("alg HS512")
        << token(R"({"alg":"HS512","typ":"JWT"})", payload, Secret, QCryptographicHash::Sha512) << Secret
        << none << Status::BadAlgorithm << none;
    QTest::newRow("alg RS256") << token(R"({"alg":"RS256","typ":"JWT"})", payload, Secret) << Secret << none
                               << Status::BadAlgorithm << none;
    QTest::newRow("alg missing") << token(R"({"typ":"JWT"})", payload, Secret) << Secret << none
                                 << Status::BadAlgorithm << none;
    QTest::newRow("alg not a string") << token(R"({"alg":256})", payload, Secret) << Secret << none
                                      << Status::BadAlgorithm << none;
    QTest::newRow("typ optional") << token(R"({"alg":"HS256"})", payload, Secret) << Secret << none
                                  << Status::Valid << auth;

    // Time (Now is the verifier's clock; one second of leeway).
    QTest::newRow("expired") << hs256(claims(R"({"role":"auth","exp":%1})", Now - 60)) << Secret << none
                             << Status::Expired << none;
    QTest::newRow("expired beyond leeway") << hs256(claims(R"({"role":"auth","exp":%1})", Now - 1)) << Secret
                                           << none << Status::Expired << none;
    QTest::newRow("exp now, within leeway") << hs256(claims(R"({"role":"auth","exp":%1})", Now)) << Secret
                                            << none << Status::Valid << auth;
    QTest::newRow("exp in future") << hs256(claims(R"({"role":"auth","exp":%1})", Now + 3600)) << Secret
                                   << none << Status::Valid << auth;
    QTest::newRow("exp fractional, expired") << hs256(claims(R"({"role":"auth","exp":%1.5})", Now - 2))
                                             << Secret << none << Status::Expired << none;
    QTest::newRow("exp not a number") << hs256(R"({"role":"auth","exp":"tomorrow"})") << Secret << none
                                      << Status::Malformed << none;
    QTest::newRow("nbf in future") << hs256(claims(R"({"role":"auth","nbf":%1})", Now + 60)) << Secret
                                   << none << Status::NotYetValid << none;
    QTest::newRow("nbf beyond leeway") << hs256(claims(R"({"role":"auth","nbf":%1})", Now + 2)) << Secret
                                       << none << Status::NotYetValid << none;
    QTest::newRow("nbf within leeway") << hs256(claims(R"({"role":"auth","nbf":%1})", Now + 1)) << Secret
                                       << none << Status::Valid << auth;
    QTest::newRow("nbf in past") << hs256(claims(R"({"role":"auth","nbf":%1,"exp":%2})", Now - 60, Now + 60))
                                 << Secret << none << Status::Valid << auth;
    QTest::newRow("nbf not a number") << hs256(R"({"role":"auth","nbf":null})") << Secret << none
                                      << Status::Malformed << none;
    QTest::newRow("expired and wrong secret: signature first")
        << token(Hs256, claims(R"({"role":"auth","exp":%1})", Now - 60), "other") << Secret << none
        << Status::BadSignature << none;

    // Audience.
    const QString app = QStringLiteral("my-app");
    QTest::newRow("aud match") << hs256(R"({"role":"auth","aud":"my-app"})") << Secret << app
                               << Status::Valid << auth;
    QTest::newRow("aud mismatch") << hs256(R"({"role":"auth","aud":"other"})") << Secret << app
                                  << Status::BadAudience << none;
    QTest::newRow("aud array contains") << hs256(R"({"role":"auth","aud":["x","my-app"]})") << Secret << app
                                        << Status::Valid << auth;
    QTest::newRow("aud array lacks") << hs256(R"({"role":"auth","aud":["x","y"]})") << Secret << app
                                     << Status::BadAudience << none;
    QTest::newRow("aud empty array") << hs256(R"({"role":"auth","aud":[]})") << Secret << app
                                     << Status::BadAudience << none;
    QTest::newRow("aud wrong type") << hs256(R"({"role":"auth","aud":42})") << Secret << app
                                    << Status::BadAudience << none;
    QTest::newRow("no aud in token") << hs256(R"({"role":"auth"})") << Secret << app << Status::Valid << auth;
    QTest::newRow("aud in token, none configured") << hs256(R"({"role":"auth","aud":"other"})") << Secret
                                                   << none << Status::Valid << auth;

    // Malformed.
    QTest::newRow("two parts") << QByteArray("eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYXV0aCJ9") << Secret << none
                               << Status::Malformed << none;
    QTest::newRow("four parts") << QByteArray(TutorialToken + ".x") << Secret << none << Status::Malformed << none;
    QTest::newRow("empty") << QByteArray() << Secret << none << Status::Malformed << none;
    QTest::newRow("empty parts") << QByteArray("..") << Secret << none << Status::Malformed << none;
    QTest::newRow("bad base64 header") << withPart(TutorialToken, 0, "eyJh!GciOiJIUzI1NiJ9") << Secret << none
                                       << Status::Malformed << none;
    QTest::newRow("padded base64") << withPart(TutorialToken, 1, "eyJyb2xlIjoiYXV0aCJ9==") << Secret << none
                                   << Status::Malformed << none;
    QTest::newRow("standard alphabet") << withPart(TutorialToken, 2, "jOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz/vlAAZx4")
                                       << Secret << none << Status::Malformed << none;
    QTest::newRow("dangling base64 char") << withPart(TutorialToken, 1, "eyJyb2xlIjoiYXV0aCJ9a") << Secret
                                          << none << Status::Malformed << none;
    QTest::newRow("header not JSON") << token("not json", payload, Secret) << Secret << none
                                     << Status::Malformed << none;
    QTest::newRow("header JSON array") << token(R"(["HS256"])", payload, Secret) << Secret << none
                                       << Status::Malformed << none;
    QTest::newRow("payload not JSON") << hs256("{role: auth}") << Secret << none << Status::Malformed << none;
    QTest::newRow("payload JSON array") << hs256(R"([{"role":"auth"}])") << Secret << none
                                        << Status::Malformed << none;
    QTest::newRow("payload JSON string") << hs256(R"("auth")") << Secret << none << Status::Malformed << none;
}

void TestJwt::verify()
{
    QFETCH(QByteArray, token);
    QFETCH(QByteArray, secret);
    QFETCH(QString, audience);
    QFETCH(Status, status);
    QFETCH(QString, role);

    const JwtVerifier verifier(secret, audience);
    const auto r = verifier.verify(token, Now);
    QCOMPARE(r.status, status);
    // Asked again, the answer (now from the verifier's memory) is the same.
    const auto again = verifier.verify(token, Now);
    QCOMPARE(again.status, status);
    QCOMPARE(again.claimsJson, r.claimsJson);
    QCOMPARE(r.isValid(), status == Status::Valid);
    QCOMPARE(r.role(), role);
    if (r.isValid()) {
        QVERIFY(r.message.isEmpty());
        QCOMPARE(r.claimsJson, QJsonDocument(r.claims).toJson(QJsonDocument::Compact));
    } else {
        QVERIFY(!r.message.isEmpty());
        QVERIFY(r.claims.isEmpty()); // nothing from a refused token leaks out
        QVERIFY(r.claimsJson.isEmpty());
    }
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
        << hs256(claims(R"({"role":"auth","nbf":%1,"exp":%2})", Now + 60, Now + 600))
        << QList<qint64>{Now, Now + 120, Now + 601, Now + 30}
        << QList<Status>{Status::NotYetValid, Status::Valid, Status::Expired, Status::NotYetValid};
    QTest::newRow("refused tokens are asked again, and stay refused")
        << token(Hs256, claims(R"({"role":"auth","exp":%1})", Now + 3600), "other")
        << QList<qint64>{Now, Now}
        << QList<Status>{Status::BadSignature, Status::BadSignature};
}

void TestJwt::cachedTokensStillMeetTheClock()
{
    QFETCH(QByteArray, token);
    QFETCH(QList<qint64>, times);
    QFETCH(QList<Status>, statuses);
    const JwtVerifier verifier(Secret);
    for (qsizetype i = 0; i < times.size(); ++i) {
        const auto r = verifier.verify(token, times.at(i));
        QCOMPARE(r.status, statuses.at(i));
        QCOMPARE(r.claims.isEmpty(), !r.isValid());
    }
    // A tampered copy of a token the verifier remembers is still refused.
    QList<QByteArray> parts = token.split('.');
    parts[1] = b64(R"({"role":"postgres"})");
    QCOMPARE(verifier.verify(parts.join('.'), Now + 120).status, Status::BadSignature);
}

void TestJwt::cacheIsBounded()
{
    const JwtVerifier verifier(Secret);
    const QByteArray first = hs256(claims(R"({"role":"auth","n":%1})", 0));
    QVERIFY(verifier.verify(first, Now).isValid());
    for (int n = 1; n <= JwtVerifier::MaxCachedTokens + 10; ++n)
        QVERIFY(verifier.verify(hs256(claims(R"({"role":"auth","n":%1})", n)), Now).isValid());
    // Forgotten when the memory was emptied, verified afresh.
    const auto r = verifier.verify(first, Now);
    QVERIFY(r.isValid());
    QCOMPARE(r.claimsJson, QByteArray(R"({"n":0,"role":"auth"})"));
}

void TestJwt::signMatchesTutorial()
{
    const QJsonObject c{{QStringLiteral("role"), QStringLiteral("auth")}};
    QCOMPARE(JwtVerifier::sign(c, Secret), TutorialToken);
    const QByteArray header = TutorialToken.left(TutorialToken.indexOf('.'));
    QCOMPARE(JwtVerifier::sign(c, "another").left(header.size() + 1), header + '.');
    QVERIFY(JwtVerifier::sign(c, "another") != TutorialToken);
}

void TestJwt::roundTrip_data()
{
    QTest::addColumn<QJsonObject>("claims");
    QTest::addColumn<QByteArray>("secret");

    QTest::newRow("role") << QJsonObject{{QStringLiteral("role"), QStringLiteral("web_user")}} << Secret;
    QTest::newRow("empty claims") << QJsonObject() << QByteArray("s");
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
                                   << QByteArray("\x00\xff\x10", 3);
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

    const auto r = JwtVerifier(secret, QStringLiteral("my-app")).verify(tok, Now);
    QCOMPARE(r.status, Status::Valid);
    QCOMPARE(r.claims, claims);
    QCOMPARE(r.claimsJson, QJsonDocument(claims).toJson(QJsonDocument::Compact));
    QCOMPARE(r.role(), claims.value(QLatin1String("role")).toString());

    QByteArray otherSecret = secret;
    otherSecret[0] = char(otherSecret.at(0) ^ 1);
    QCOMPARE(JwtVerifier(otherSecret).verify(tok, Now).status, Status::BadSignature);
}

void TestJwt::currentTime()
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const JwtVerifier verifier(Secret);
    auto signedWith = [](const char *key, qint64 when) {
        return JwtVerifier::sign({{QStringLiteral("role"), QStringLiteral("auth")},
                                  {QLatin1String(key), double(when)}},
                                 Secret);
    };
    QCOMPARE(verifier.verify(signedWith("exp", now + 600)).status, Status::Valid);
    QCOMPARE(verifier.verify(signedWith("exp", now - 600)).status, Status::Expired);
    QCOMPARE(verifier.verify(signedWith("nbf", now + 600)).status, Status::NotYetValid);
}

void TestJwt::messages()
{
    const JwtVerifier v(Secret, QStringLiteral("my-app"));
    auto message = [&v](const QByteArray &tok) { return v.verify(tok, Now).message; };

    QCOMPARE(message("a.b"),
             QStringLiteral("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 2)"));
    QCOMPARE(message("a.b.c.d"),
             QStringLiteral("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 4)"));
    QCOMPARE(message("!.b.c"), QStringLiteral("JWT is malformed"));
    QCOMPARE(message(hs256("[]")), QStringLiteral("JWT is malformed"));
    QCOMPARE(message(withPart(TutorialToken, 2, "kOVzPENev84OP1c0E1uVT1YvmBZPXQUD7pz_vlAAZx4")), QStringLiteral("JWSError JWSInvalidSignature"));
    QCOMPARE(message(token(R"({"alg":"none"})", "{}", Secret)), QStringLiteral("JWT algorithm must be HS256"));
    QCOMPARE(message(hs256(claims(R"({"exp":%1})", Now - 10))), QStringLiteral("JWT expired"));
    QCOMPARE(message(hs256(claims(R"({"nbf":%1})", Now + 10))), QStringLiteral("JWT not yet valid"));
    QCOMPARE(message(hs256(R"({"aud":"x"})")), QStringLiteral("JWT not in audience"));
    QCOMPARE(JwtVerifier().verify(TutorialToken, Now).message, QStringLiteral("Server lacks JWT secret"));
}

QTEST_APPLESS_MAIN(TestJwt)
#include "tst_jwt.moc"
