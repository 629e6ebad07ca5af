#include "auth/jwtverifier.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QList>
#include <QMessageAuthenticationCode>

#include <optional>

namespace Aiodata::Server {

namespace {

// Clock skew tolerated between the token issuer and us, in seconds; the same
// one second PostgREST allows.
constexpr qint64 Leeway = 1;

constexpr auto UrlOptions = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

JwtVerifier::Result failure(JwtVerifier::Status status, const QString &message)
{
    JwtVerifier::Result r;
    r.status = status;
    r.message = message;
    return r;
}

JwtVerifier::Result malformed()
{
    return failure(JwtVerifier::Status::Malformed, QStringLiteral("JWT is malformed"));
}

// Strict base64url: Qt alone accepts padding, a dangling sixth-bit character
// and non-zero spare bits; requiring the canonical encoding rejects all of
// them (and so the signature part cannot be varied without failing).
std::optional<QByteArray> decodePart(const QByteArray &part)
{
    auto r = QByteArray::fromBase64Encoding(part, UrlOptions | QByteArray::AbortOnBase64DecodingErrors);
    if (r.decodingStatus != QByteArray::Base64DecodingStatus::Ok
        || r.decoded.toBase64(UrlOptions) != part)
        return std::nullopt;
    return r.decoded;
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size()) // the length of an HMAC is no secret
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

QByteArray hs256(const QByteArray &signingInput, const QByteArray &secret)
{
    return QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256);
}

bool audienceMatches(const QJsonValue &aud, const QString &audience)
{
    if (aud.isString())
        return aud.toString() == audience;
    if (aud.isArray()) {
        const QJsonArray list = aud.toArray();
        for (const QJsonValue &v : list) {
            if (v.isString() && v.toString() == audience)
                return true;
        }
    }
    return false;
}

} // namespace

JwtVerifier::JwtVerifier(const QByteArray &secret, const QString &audience)
    : m_secret(secret)
    , m_audience(audience)
{
}

JwtVerifier::Result JwtVerifier::verify(QByteArrayView token) const
{
    return verify(token, QDateTime::currentSecsSinceEpoch());
}

JwtVerifier::Result JwtVerifier::verify(QByteArrayView token, qint64 nowSecsSinceEpoch) const
{
    if (m_secret.isEmpty())
        return failure(Status::NoSecret, QStringLiteral("Server lacks JWT secret"));

    // Clients send the same token with every request: its signature and
    // claims are checked once, the clock every time. Only tokens that
    // passed are kept, so a flood of bad tokens cannot push good ones out.
    const QByteArray key = token.toByteArray();
    auto it = m_verified.constFind(key);
    if (it == m_verified.cend()) {
        Verified v = verifySignedParts(key);
        if (!v.result.isValid())
            return v.result;
        if (m_verified.size() >= MaxCachedTokens)
            m_verified.clear();
        it = m_verified.insert(key, std::move(v));
    }

    // Compared as doubles: NumericDate may carry fractions.
    const double now = double(nowSecsSinceEpoch);
    if (it->exp && *it->exp + double(Leeway) <= now)
        return failure(Status::Expired, QStringLiteral("JWT expired"));
    if (it->nbf && *it->nbf > now + double(Leeway))
        return failure(Status::NotYetValid, QStringLiteral("JWT not yet valid"));
    return it->result;
}

JwtVerifier::Verified JwtVerifier::verifySignedParts(const QByteArray &token) const
{
    Verified v;
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3) {
        v.result = failure(Status::Malformed,
                           QStringLiteral("JWSError (CompactDecodeError Invalid number of parts: "
                                          "Expected 3 parts; got %1)").arg(parts.size()));
        return v;
    }

    const auto header = decodePart(parts.at(0));
    const auto payload = decodePart(parts.at(1));
    const auto signature = decodePart(parts.at(2));
    if (!header || !payload || !signature)
        return Verified{malformed(), {}, {}};

    const QJsonDocument headerDoc = QJsonDocument::fromJson(*header);
    if (!headerDoc.isObject())
        return Verified{malformed(), {}, {}};
    // Only HS256: "none" would skip the signature and other algs open the
    // door to key confusion.
    if (headerDoc.object().value(QLatin1String("alg")) != QJsonValue(QLatin1String("HS256")))
        return Verified{failure(Status::BadAlgorithm, QStringLiteral("JWT algorithm must be HS256")), {}, {}};

    // The signature goes first: nothing in the payload is trusted before it.
    const QByteArray signingInput = parts.at(0) + '.' + parts.at(1);
    if (!constantTimeEquals(hs256(signingInput, m_secret), *signature))
        return Verified{failure(Status::BadSignature, QStringLiteral("JWSError JWSInvalidSignature")), {}, {}};

    const QJsonDocument payloadDoc = QJsonDocument::fromJson(*payload);
    if (!payloadDoc.isObject())
        return Verified{malformed(), {}, {}};
    const QJsonObject claims = payloadDoc.object();

    const QJsonValue exp = claims.value(QLatin1String("exp"));
    const QJsonValue nbf = claims.value(QLatin1String("nbf"));
    if ((!exp.isUndefined() && !exp.isDouble()) || (!nbf.isUndefined() && !nbf.isDouble()))
        return Verified{malformed(), {}, {}};
    if (exp.isDouble())
        v.exp = exp.toDouble();
    if (nbf.isDouble())
        v.nbf = nbf.toDouble();

    // A token without aud is accepted even when an audience is configured,
    // as PostgREST does.
    if (!m_audience.isEmpty() && claims.contains(QLatin1String("aud"))
        && !audienceMatches(claims.value(QLatin1String("aud")), m_audience))
        return Verified{failure(Status::BadAudience, QStringLiteral("JWT not in audience")), {}, {}};

    v.result.status = Status::Valid;
    v.result.claims = claims;
    v.result.claimsJson = QJsonDocument(claims).toJson(QJsonDocument::Compact);
    return v;
}

QByteArray JwtVerifier::sign(const QJsonObject &claims, const QByteArray &secret)
{
    const QByteArray signingInput =
        QByteArray(R"({"alg":"HS256","typ":"JWT"})").toBase64(UrlOptions) + '.'
        + QJsonDocument(claims).toJson(QJsonDocument::Compact).toBase64(UrlOptions);
    return signingInput + '.' + hs256(signingInput, secret).toBase64(UrlOptions);
}

} // namespace Aiodata::Server
