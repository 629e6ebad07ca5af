#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace Aiodata::Server {

// Verifies PostgREST-style JWTs: HS256 only (alg none and every other alg
// refused), signature compared in constant time, exp/nbf checked against the
// given clock with a small leeway, optional audience. Remembers the tokens
// that passed (not thread-safe: one verifier per thread).
class JwtVerifier
{
public:
    enum class Status {
        Valid,
        Malformed,        // not three base64url parts, bad JSON
        BadAlgorithm,     // alg missing, "none", or not HS256
        BadSignature,
        Expired,          // exp <= now
        NotYetValid,      // nbf > now
        BadAudience,
        NoSecret,         // server has no jwt-secret configured
    };

    struct Result {
        Status status = Status::Malformed;
        QString message;         // PostgREST-like message for the error body
        QJsonObject claims;      // payload when Valid
        QByteArray claimsJson;   // payload JSON bytes as sent (compact), for request.jwt.claims
        QString role() const { return claims.value(QLatin1String("role")).toString(); }
        bool isValid() const { return status == Status::Valid; }
    };

    explicit JwtVerifier(const QByteArray &secret = {}, const QString &audience = {});

    Result verify(QByteArrayView token, qint64 nowSecsSinceEpoch) const;
    Result verify(QByteArrayView token) const; // uses the current time

    // HS256-signs the claims; for tests, examples and tools.
    static QByteArray sign(const QJsonObject &claims, const QByteArray &secret);

    static constexpr int MaxCachedTokens = 4096;

private:
    // What does not depend on the clock; exp and nbf are checked per use.
    struct Verified {
        Result result;
        std::optional<double> exp;
        std::optional<double> nbf;
    };
    Verified verifySignedParts(const QByteArray &token) const;

    QByteArray m_secret;
    QString m_audience;
    mutable QHash<QByteArray, Verified> m_verified;
};

} // namespace Aiodata::Server
