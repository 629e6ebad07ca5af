#include "auth/jwtverifier.h"

#include "auth/jwkset.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QMessageAuthenticationCode>

#include <cmath>
#include <limits>

namespace Aiodata::Server {

namespace {

constexpr auto UrlOptions = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

using Status = JwtVerifier::Status;
using Result = JwtVerifier::Result;

// PostgREST's error texts (Error.hs: JwtError, JwtDecodeError, JwtClaimsError),
// written once here.
Result failure(Status status, const char *message, const QString &details = {})
{
    Result r;
    r.status = status;
    switch (status) {
    case Status::NoSecret:
        r.httpStatus = 500;
        r.code = QByteArrayLiteral("PGRST300");
        break;
    case Status::Malformed:
    case Status::NoSuitableKey:
    case Status::BadAlgorithm:
    case Status::BadSignature:
        r.code = QByteArrayLiteral("PGRST301");
        break;
    case Status::Valid:
    case Status::Expired:
    case Status::NotYetValid:
    case Status::IssuedInFuture:
    case Status::BadAudience:
    case Status::BadClaim:
        r.code = QByteArrayLiteral("PGRST303");
        break;
    }
    r.message = QString::fromLatin1(message);
    r.details = details;
    return r;
}

Result cryptoFailed(const QString &details = {})
{
    return failure(Status::Malformed, "JWT cryptographic operation failed", details);
}

// Strict base64url: Qt alone accepts padding, a dangling sixth-bit character
// and non-zero spare bits; requiring the canonical encoding rejects all of
// them (and so the signature part cannot be varied without failing).
std::optional<QByteArray> decodePart(QByteArrayView part)
{
    const QByteArray bytes = part.toByteArray();
    auto r = QByteArray::fromBase64Encoding(bytes, UrlOptions | QByteArray::AbortOnBase64DecodingErrors);
    if (r.decodingStatus != QByteArray::Base64DecodingStatus::Ok || r.decoded.toBase64(UrlOptions) != bytes)
        return std::nullopt;
    return r.decoded;
}

// A NumericDate as PostgREST reads it (Sci.toBoundedInteger, else 0): a
// number that is no integer or does not fit 64 bits counts as 0.
qint64 secondsOf(const QJsonValue &v)
{
    const double d = v.toDouble();
    if (!std::isfinite(d) || std::floor(d) != d || d < -9.2e18 || d > 9.2e18)
        return 0;
    return qint64(d);
}

} // namespace

JwtVerifier::JwtVerifier() = default;
JwtVerifier::JwtVerifier(const JwtVerifier &) = default;
JwtVerifier &JwtVerifier::operator=(const JwtVerifier &) = default;
JwtVerifier::JwtVerifier(JwtVerifier &&) noexcept = default;
JwtVerifier &JwtVerifier::operator=(JwtVerifier &&) noexcept = default;
JwtVerifier::~JwtVerifier() = default;

std::optional<JwtVerifier> JwtVerifier::create(const QByteArray &secret, const Options &options, QString *error)
{
    QString problem;
    auto fail = [&]() -> std::optional<JwtVerifier> {
        if (error)
            *error = problem;
        return std::nullopt;
    };
    if (options.cacheMaxLifetimeSecs < 0) {
        problem = QStringLiteral("jwt-cache-max-lifetime must not be negative");
        return fail();
    }
    if (options.maxCachedTokens < 0) {
        problem = QStringLiteral("the JWT cache bound must not be negative");
        return fail();
    }
    auto path = ClaimPath::parse(options.roleClaimKey, &problem);
    if (!path)
        return fail();
    auto keys = JwkSet::parse(secret, &problem);
    if (!keys)
        return fail();
    JwtVerifier v;
    v.m_keys = std::make_shared<const JwkSet>(std::move(*keys));
    v.m_options = options;
    v.m_roleClaim = std::move(*path);
    return v;
}

std::optional<JwtVerifier> JwtVerifier::fromConfig(const Config &config, QString *error)
{
    QString problem;
    if (!ClaimPath::parse(config.jwtRoleClaimKey, &problem)) {
        if (error)
            *error = QStringLiteral("jwt-role-claim-key: ") + problem;
        return std::nullopt;
    }
    if (config.jwtSecret.isEmpty())
        return JwtVerifier();
    Options options;
    options.audience = config.jwtAudience;
    options.roleClaimKey = config.jwtRoleClaimKey;
    // jwt-cache-max-entries (PostgREST 14+) bounds the entries; the older
    // jwt-cache-max-lifetime their age; either at 0 turns the cache off.
    options.maxCachedTokens = config.jwtCacheMaxEntries;
    options.cacheMaxLifetimeSecs = config.jwtCacheMaxEntries == 0 ? 0 : config.jwtCacheMaxLifetime;
    auto verifier = create(config.jwtSecret, options, &problem);
    if (!verifier && error)
        *error = QStringLiteral("jwt-secret: ") + problem;
    return verifier;
}

int JwtVerifier::keyCount() const
{
    return m_keys ? m_keys->size() : 0;
}

qint64 JwtVerifier::cacheEntryAge(QByteArrayView token, qint64 now) const
{
    const auto it = m_cache.constFind(token.toByteArray());
    return it == m_cache.cend() ? -1 : now - it->verifiedAt;
}

JwtVerifier::Result JwtVerifier::verify(QByteArrayView token) const
{
    return verify(token, QDateTime::currentSecsSinceEpoch());
}

JwtVerifier::Result JwtVerifier::verify(QByteArrayView token, qint64 now) const
{
    if (!m_keys)
        return failure(Status::NoSecret, "Server lacks JWT secret");

    // Clients send the same token with every request: its signature is
    // checked once, the claims against the clock every time. Only tokens
    // whose signature passed are kept, so a flood of bad tokens cannot push
    // good ones out.
    const bool caching = m_options.cacheMaxLifetimeSecs > 0 && m_options.maxCachedTokens > 0;
    if (caching) {
        // Looked up without a copy: the token is copied only when remembered.
        const QByteArray key = QByteArray::fromRawData(token.data(), token.size());
        auto it = m_cache.find(key);
        if (it != m_cache.end()) {
            const qint64 age = now - it->verifiedAt;
            if (age >= 0 && age < m_options.cacheMaxLifetimeSecs) {
                Result r = it->times ? checkTimes(*it, now) : checkClaims(*it, now);
                if (r.status != Status::Expired)
                    return r;
            }
            // Too old, from a clock that went back, or expired: forgotten.
            m_cache.erase(it);
        }
    }

    Verified verified;
    Result r = decodeAndVerify(token, &verified);
    if (r.status != Status::Valid)
        return r;
    verified.verifiedAt = now;
    r = checkClaims(verified, now);
    if (caching && r.status != Status::Expired)
        remember(token.toByteArray(), std::move(verified));
    return r;
}

void JwtVerifier::remember(const QByteArray &token, Verified verified) const
{
    // Oldest first out. The order list may name tokens already forgotten, or
    // verified again since (another time): those are skipped.
    while (m_cache.size() >= m_options.maxCachedTokens && !m_cacheOrder.empty()) {
        const auto [oldest, at] = m_cacheOrder.front();
        m_cacheOrder.pop_front();
        const auto it = m_cache.constFind(oldest);
        if (it != m_cache.cend() && it->verifiedAt == at)
            m_cache.erase(it);
    }
    // Stale order entries are bounded too: never more than twice the cache.
    if (m_cacheOrder.size() > 2 * size_t(m_options.maxCachedTokens)) {
        std::deque<std::pair<QByteArray, qint64>> live;
        for (auto &entry : m_cacheOrder) {
            const auto it = m_cache.constFind(entry.first);
            if (it != m_cache.cend() && it->verifiedAt == entry.second)
                live.push_back(std::move(entry));
        }
        m_cacheOrder.swap(live);
    }
    m_cacheOrder.emplace_back(token, verified.verifiedAt);
    m_cache.insert(token, std::move(verified));
}

JwtVerifier::Result JwtVerifier::decodeAndVerify(QByteArrayView token, Verified *verified) const
{
    if (token.isEmpty())
        return failure(Status::Malformed, "Empty JWT is sent in Authorization header");
    if (token.size() > MaxTokenBytes)
        return failure(Status::Malformed, "JWT couldn't be decoded",
                       QStringLiteral("The JWT is longer than %1 bytes").arg(MaxTokenBytes));

    const qsizetype firstDot = token.indexOf('.');
    const qsizetype secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
    if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
        Result r = failure(Status::Malformed, "");
        r.message = QStringLiteral("Expected 3 parts in JWT; got %1").arg(token.count('.') + 1);
        return r;
    }
    const QByteArrayView signingInput = token.first(secondDot);
    const auto header = decodePart(token.sliced(0, firstDot));
    const auto payload = decodePart(token.sliced(firstDot + 1, secondDot - firstDot - 1));
    const auto signature = decodePart(token.sliced(secondDot + 1));
    if (!header || !payload || !signature)
        return cryptoFailed();

    const QJsonDocument headerDoc = QJsonDocument::fromJson(*header);
    if (!headerDoc.isObject())
        return cryptoFailed();
    const QJsonObject h = headerDoc.object();

    // The algorithm: named by the token, but only ever one its key allows.
    const QJsonValue alg = h.value(QLatin1StringView("alg"));
    if (alg == QJsonValue(QLatin1StringView("none")))
        return failure(Status::BadAlgorithm, "Wrong or unsupported encoding algorithm",
                       QStringLiteral("JWT is unsecured but expected 'alg' was not 'none'"));
    const auto algorithm = alg.isString() ? JwkSet::algorithmFromName(alg.toString().toUtf8()) : std::nullopt;
    if (!algorithm)
        return failure(Status::BadAlgorithm, "Wrong or unsupported encoding algorithm",
                       alg.isString() ? QStringLiteral("Unsupported JWS algorithm \"%1\"").arg(alg.toString())
                                      : QStringLiteral("The JWT header has no \"alg\" string"));
    // Extensions we do not know change what the signature means (RFC 7515 4.1.11).
    if (h.contains(QLatin1StringView("crit")))
        return failure(Status::BadAlgorithm, "Wrong or unsupported encoding algorithm",
                       QStringLiteral("Critical JWS header extensions are not supported"));
    std::optional<QString> kid;
    if (const QJsonValue k = h.value(QLatin1StringView("kid")); !k.isUndefined()) {
        if (!k.isString())
            return cryptoFailed(QStringLiteral("The JWT header's \"kid\" is not a string"));
        kid = k.toString();
    }

    const auto keys = m_keys->candidates(*algorithm, kid);
    if (keys.empty())
        return failure(Status::NoSuitableKey, "No suitable key or wrong key type",
                       QStringLiteral("No suitable key was found to decode the JWT"));
    bool ok = false;
    for (const JwkSet::Key *key : keys) {
        if (JwkSet::verify(*key, *algorithm, signingInput, *signature)) {
            ok = true;
            break;
        }
    }
    if (!ok)
        return failure(Status::BadSignature, "No suitable key or wrong key type",
                       QStringLiteral("None of the keys was able to decode the JWT"));

    // Nothing in the payload is looked at before the signature passed.
    const QJsonDocument payloadDoc = QJsonDocument::fromJson(*payload);
    if (!payloadDoc.isObject())
        return failure(Status::BadClaim, "Parsing claims failed");
    verified->claims = payloadDoc.object();
    verified->claimsJson = QJsonDocument(verified->claims).toJson(QJsonDocument::Compact);
    if (const auto value = m_roleClaim->evaluate(verified->claims))
        verified->role = ClaimPath::roleText(*value);
    Result r;
    r.status = Status::Valid;
    return r;
}

JwtVerifier::Result JwtVerifier::checkTimes(const Verified &verified, qint64 now)
{
    // The same comparisons, in the same order, as checkClaims below.
    const Verified::Times &t = *verified.times;
    if (t.exp && now - AllowedSkewSeconds > *t.exp)
        return failure(Status::Expired, "JWT expired");
    if (t.nbf && now + AllowedSkewSeconds < *t.nbf)
        return failure(Status::NotYetValid, "JWT not yet valid");
    if (t.iat && now + AllowedSkewSeconds < *t.iat)
        return failure(Status::IssuedInFuture, "JWT issued at future");
    return accepted(verified);
}

JwtVerifier::Result JwtVerifier::accepted(const Verified &verified)
{
    Result r;
    r.status = Status::Valid;
    r.code.clear();
    r.claims = verified.claims;
    r.claimsJson = verified.claimsJson;
    r.role = verified.role;
    if (verified.times->exp)
        r.expiresAt = qMax<qint64>(0, *verified.times->exp);
    return r;
}

JwtVerifier::Result JwtVerifier::checkClaims(Verified &verified, qint64 now) const
{
    // PostgREST's order (Auth/Jwt.hs checkForErrors): exp, nbf, iat, aud, each
    // first for its type. A JSON null counts as absent, as aeson's .:? does.
    const QJsonObject &claims = verified.claims;
    const QJsonValue exp = claims.value(QLatin1StringView("exp"));
    if (!exp.isUndefined() && !exp.isNull()) {
        if (!exp.isDouble())
            return failure(Status::BadClaim, "The JWT 'exp' claim must be a number");
        if (now - AllowedSkewSeconds > secondsOf(exp))
            return failure(Status::Expired, "JWT expired");
    }
    const QJsonValue nbf = claims.value(QLatin1StringView("nbf"));
    if (!nbf.isUndefined() && !nbf.isNull()) {
        if (!nbf.isDouble())
            return failure(Status::BadClaim, "The JWT 'nbf' claim must be a number");
        if (now + AllowedSkewSeconds < secondsOf(nbf))
            return failure(Status::NotYetValid, "JWT not yet valid");
    }
    const QJsonValue iat = claims.value(QLatin1StringView("iat"));
    if (!iat.isUndefined() && !iat.isNull()) {
        if (!iat.isDouble())
            return failure(Status::BadClaim, "The JWT 'iat' claim must be a number");
        if (now + AllowedSkewSeconds < secondsOf(iat))
            return failure(Status::IssuedInFuture, "JWT issued at future");
    }
    const QJsonValue aud = claims.value(QLatin1StringView("aud"));
    if (!aud.isUndefined() && !aud.isNull()) {
        const QString &want = m_options.audience;
        bool matches = false;
        if (aud.isString()) {
            matches = want.isEmpty() || aud.toString() == want;
        } else if (aud.isArray()) {
            const QJsonArray list = aud.toArray();
            matches = list.isEmpty() || want.isEmpty(); // an empty array passes, as in PostgREST
            for (const QJsonValue &v : list) {
                if (!v.isString())
                    return failure(Status::BadClaim, "The JWT 'aud' claim must be a string or an array of strings");
                matches = matches || v.toString() == want;
            }
        } else {
            return failure(Status::BadClaim, "The JWT 'aud' claim must be a string or an array of strings");
        }
        if (!matches)
            return failure(Status::BadAudience, "JWT not in audience");
    }

    // Every check passed: from now on only the clock can refuse it.
    auto seconds = [](const QJsonValue &v) { return v.isDouble() ? std::optional<qint64>(secondsOf(v)) : std::nullopt; };
    verified.times = Verified::Times{seconds(exp), seconds(nbf), seconds(iat)};
    return accepted(verified);
}

QByteArray JwtVerifier::sign(const QJsonObject &claims, const QByteArray &secret)
{
    const QByteArray signingInput =
        QByteArray(R"({"alg":"HS256","typ":"JWT"})").toBase64(UrlOptions) + '.'
        + QJsonDocument(claims).toJson(QJsonDocument::Compact).toBase64(UrlOptions);
    return signingInput + '.'
        + QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256).toBase64(UrlOptions);
}

} // namespace Aiodata::Server
