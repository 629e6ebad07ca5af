// JwtVerifier::verify with a fixed HMAC key (the tutorial's secret as an oct
// JWK) on arbitrary tokens. Key sets themselves are fuzz_jwk's.
//
// A fuzzer cannot forge an HMAC, so inputs come in two forms:
//   - three dot-separated parts: verified as sent (parsing, base64url,
//     header and signature checks);
//   - two parts ("header.payload", base64url): the target signs them with
//     the secret first, so the claim checks behind the signature (exp, nbf,
//     aud, role) are reached too.
// Invariant: a token is Valid only if its third part is exactly the
// canonical base64url HMAC-SHA256 of the first two, its header says HS256,
// the claims are a JSON object and exp (if a number) is not more than the
// 30 s of skew past; a refused token leaks no claims and has a PGRST code.

#include "fuzzsupport.h"
#include "auth/jwtverifier.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

#include <cstddef>
#include <cstdint>

using Aiodata::Server::JwtVerifier;

namespace {

const QByteArray Secret = "superdupersecret"; // the PostgREST tutorial's
const QByteArray SecretJwk = R"({"kty":"oct","k":"c3VwZXJkdXBlcnNlY3JldA"})";
constexpr qint64 Now = 1700000000;
constexpr auto Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray hs256(const QByteArray &input)
{
    return QMessageAuthenticationCode::hash(input, Secret, QCryptographicHash::Sha256).toBase64(Url);
}

void check(const JwtVerifier &verifier, const QByteArray &token)
{
    const JwtVerifier::Result r = verifier.verify(token, Now);
    if (!r.isValid()) {
        FUZZ_CHECK(r.claims.isEmpty() && r.claimsJson.isEmpty(), token);
        FUZZ_CHECK(!r.message.isEmpty() && r.code.startsWith("PGRST30") && !r.role, token);
        return;
    }
    const QList<QByteArray> parts = token.split('.');
    FUZZ_CHECK(parts.size() == 3, token);
    FUZZ_CHECK(parts.at(2) == hs256(parts.at(0) + '.' + parts.at(1)), token);
    const QJsonDocument header = QJsonDocument::fromJson(QByteArray::fromBase64(parts.at(0), Url));
    FUZZ_CHECK(header.isObject() && header.object().value(QLatin1String("alg")).toString() == QLatin1String("HS256"),
               token);
    // claimsJson is what goes into request.jwt.claims: the same object.
    FUZZ_CHECK(QJsonDocument::fromJson(r.claimsJson).object() == r.claims, token);
    const QJsonValue exp = r.claims.value(QLatin1String("exp"));
    FUZZ_CHECK(exp.isUndefined() || exp.isNull() || (exp.isDouble() && exp.toDouble() >= double(Now - 30)), token);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray token(reinterpret_cast<const char *>(data), qsizetype(size));
    if (token.count('.') == 1)
        token += '.' + hs256(token);

    static const JwtVerifier plain = *JwtVerifier::create(SecretJwk, {}, nullptr);
    static const JwtVerifier withAudience = *JwtVerifier::create(SecretJwk, {QStringLiteral("aiodata")}, nullptr);
    static const JwtVerifier noSecret;
    check(plain, token);
    check(withAudience, token);
    FUZZ_CHECK(noSecret.verify(token, Now).status == JwtVerifier::Status::NoSecret, token);
    return 0;
}
