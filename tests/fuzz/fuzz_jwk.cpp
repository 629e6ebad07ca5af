// JwtVerifier::create on arbitrary jwt-secret bytes (JWK, JWKS or a plain
// secret: JwkSet::parse and the EVP key construction behind it), and
// ClaimPath::parse on the same bytes as a jwt-role-claim-key.
//
// Invariants:
//   - create() either gives a verifier with at least one key, or refuses
//     with a non-empty error; never both, never a crash.
//   - No verifier it gives accepts an unsigned token: alg "none", and every
//     algorithm's token with an empty, a zero and a junk signature (of each
//     algorithm's signature size) is refused with a PGRST301 code and no
//     claims.
//   - A parsed claim path parses again from its own text, and evaluating it
//     on a fixed claims object gives the same value both times.

#include "fuzzsupport.h"
#include "auth/claimpath.h"
#include "auth/jwtverifier.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>

using Aiodata::Server::ClaimPath;
using Aiodata::Server::JwtVerifier;

namespace {

constexpr qint64 Now = 1700000000;
constexpr auto Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

struct Unsigned {
    const char *alg;
    int signatureBytes; // a plausible length for that algorithm
};

const Unsigned Algorithms[] = {
    {"none", 0},   {"HS256", 32}, {"HS384", 48}, {"HS512", 64}, {"RS256", 256}, {"RS384", 256},
    {"RS512", 256}, {"PS256", 256}, {"PS384", 256}, {"PS512", 256}, {"ES256", 64}, {"ES384", 96},
    {"ES512", 132}, {"EdDSA", 64},  {"Ed25519", 64},
};

QList<QByteArray> unsignedTokens()
{
    QList<QByteArray> tokens;
    const QByteArray payload = QByteArray(R"({"role":"postgres"})").toBase64(Url);
    for (const Unsigned &a : Algorithms) {
        for (const char *kid : {"", R"(,"kid":"k1")"}) {
            const QByteArray header = QByteArray(QByteArray(R"({"alg":")") + a.alg + '"' + kid + '}').toBase64(Url);
            const QByteArray input = header + '.' + payload + '.';
            tokens << input << input + QByteArray(a.signatureBytes, '\0').toBase64(Url)
                   << input + QByteArray(a.signatureBytes, '\x5a').toBase64(Url);
        }
    }
    return tokens;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    AiodataFuzz::installQuietMessageHandler();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    static const QList<QByteArray> tokens = unsignedTokens();

    QString error;
    const auto verifier = JwtVerifier::create(input, {}, &error);
    if (!verifier) {
        FUZZ_CHECK(!error.isEmpty(), input);
    } else {
        FUZZ_CHECK(verifier->keyCount() >= 1, input);
        for (const QByteArray &token : tokens) {
            const JwtVerifier::Result r = verifier->verify(token, Now);
            FUZZ_CHECK(!r.isValid(), input + "\naccepted unsigned " + token);
            FUZZ_CHECK(r.code == "PGRST301" && r.claims.isEmpty() && r.claimsJson.isEmpty(), input + "\n" + token);
        }
    }

    static const QJsonObject claims = QJsonDocument::fromJson(
        R"({"role":"r","a":{"b":["x","y",{"c":1}],"role":null},"https://e.x/c":{"role":"q"},"":[[]]})").object();
    const QString text = QString::fromUtf8(input);
    QString pathError;
    if (const auto path = ClaimPath::parse(text, &pathError)) {
        const auto again = ClaimPath::parse(path->text(), nullptr);
        FUZZ_CHECK(again.has_value(), input);
        const auto v1 = path->evaluate(claims);
        const auto v2 = again->evaluate(claims);
        FUZZ_CHECK(v1 == v2, input);
        if (v1)
            (void)ClaimPath::roleText(*v1);
    } else {
        FUZZ_CHECK(!pathError.isEmpty(), input);
    }
    return 0;
}
