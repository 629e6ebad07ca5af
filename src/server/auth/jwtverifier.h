#pragma once

#include "auth/claimpath.h"
#include "base/config.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <deque>
#include <memory>
#include <optional>

namespace Aiodata::Server {

class JwkSet;

// Verifies JWTs as PostgREST does (Auth/Jwt.hs): the keys of jwt-secret (a
// plain HMAC secret, a JWK or a JWKS, see JwkSet), the token's alg checked
// against the key's type, exp/nbf/iat with 30 s of skew, jwt-aud, and the role
// at jwt-role-claim-key. Failures carry PostgREST's code, status, message and
// details.
//
// Pure but for the clock of verify(token). Copies share the parsed keys and
// are cheap; each copy has its own cache of verified tokens, which makes
// verify() non-reentrant: one verifier per thread.
class JwtVerifier
{
public:
    enum class Status {
        Valid,
        NoSecret,        // no jwt-secret configured (PGRST300, 500)
        Malformed,       // empty, not three parts, bad base64url or header, oversized
        NoSuitableKey,   // no key fits the token's alg and kid
        BadAlgorithm,    // alg missing, "none" or unknown
        BadSignature,    // keys fit, none verifies the signature
        Expired,         // exp < now - 30 s
        NotYetValid,     // nbf > now + 30 s
        IssuedInFuture,  // iat > now + 30 s
        BadAudience,     // aud does not name jwt-aud
        BadClaim,        // claims not an object, exp/nbf/iat not numbers, aud not string(s)
    };

    struct Options {
        QString audience;                                // jwt-aud; empty = any
        QString roleClaimKey = QStringLiteral(".role");  // jwt-role-claim-key, PostgREST JSPath syntax
        qint64 cacheMaxLifetimeSecs = 3600;              // jwt-cache-max-lifetime; 0 = no cache
        int maxCachedTokens = 4096;                      // bound on the cache
    };

    struct Result {
        Status status = Status::Malformed;
        int httpStatus = 401;                 // 500 for NoSecret
        QByteArray code;                      // "PGRST300" / "PGRST301" / "PGRST303"
        QString message;                      // PostgREST's message text for that error
        QString details;                      // PostgREST's details, empty if none
        QJsonObject claims;                   // when Valid
        QByteArray claimsJson;                // compact JSON of the payload, for request.jwt.claims
        std::optional<QString> role;          // value at roleClaimKey (non-strings JSON-encoded); nullopt = absent
        qint64 expiresAt = 0;                 // exp in seconds since epoch, 0 = none/unrepresentable
        bool isValid() const { return status == Status::Valid; }
    };

    // PostgREST's clock-skew allowance for exp, nbf and iat.
    static constexpr qint64 AllowedSkewSeconds = 30;
    // Tokens longer than this are refused before any decoding or crypto.
    static constexpr qsizetype MaxTokenBytes = 16 * 1024;

    JwtVerifier(); // no secret: verify() always answers NoSecret (PGRST300, 500)
    JwtVerifier(const JwtVerifier &);
    JwtVerifier &operator=(const JwtVerifier &);
    JwtVerifier(JwtVerifier &&) noexcept;
    JwtVerifier &operator=(JwtVerifier &&) noexcept;
    ~JwtVerifier();

    // secret: jwt-secret's bytes after "@file" reading and base64 decoding
    // (Config does those). nullopt and *error on a bad key set or option.
    static std::optional<JwtVerifier> create(const QByteArray &secret, const Options &options, QString *error);
    // The verifier of a config's jwt-* settings (none set: every token gets
    // PGRST300); *error names the key at fault.
    static std::optional<JwtVerifier> fromConfig(const Config &config, QString *error);

    Result verify(QByteArrayView token, qint64 nowSecsSinceEpoch) const;
    Result verify(QByteArrayView token) const; // the current time

    int keyCount() const;
    // What the cache holds, for tests and diagnostics: the number of tokens,
    // and how long ago (by `now`) this token was verified, -1 if it is not there.
    int cachedTokenCount() const { return int(m_cache.size()); }
    qint64 cacheEntryAge(QByteArrayView token, qint64 now) const;
    const Options &options() const { return m_options; }

    // HS256-signs the claims; for tests, examples and tools.
    static QByteArray sign(const QJsonObject &claims, const QByteArray &secret);

private:
    // A token whose signature was verified: what does not depend on the clock.
    struct Verified {
        QJsonObject claims;
        QByteArray claimsJson;
        std::optional<QString> role;
        qint64 verifiedAt = 0;
        // Once every check but the clock's passed: exp, nbf and iat in
        // seconds, so that a cache hit only compares them with the clock.
        struct Times {
            std::optional<qint64> exp, nbf, iat;
        };
        std::optional<Times> times;
    };

    Result decodeAndVerify(QByteArrayView token, Verified *verified) const;
    Result checkClaims(Verified &verified, qint64 now) const;
    static Result checkTimes(const Verified &verified, qint64 now);
    static Result accepted(const Verified &verified);
    void remember(const QByteArray &token, Verified verified) const;

    std::shared_ptr<const JwkSet> m_keys;
    Options m_options;
    std::optional<ClaimPath> m_roleClaim;

    mutable QHash<QByteArray, Verified> m_cache;
    mutable std::deque<std::pair<QByteArray, qint64>> m_cacheOrder; // (token, verifiedAt), oldest first
};

} // namespace Aiodata::Server
