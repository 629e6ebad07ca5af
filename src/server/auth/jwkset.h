#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace Aiodata::Server {

// The JWS algorithms a key can verify (RFC 7518, RFC 8037). "none" is not
// one of them.
enum class JwsAlgorithm {
    HS256, HS384, HS512,
    RS256, RS384, RS512,
    PS256, PS384, PS512,
    ES256, ES384, ES512,
    EdDSA,
};

// The keys of jwt-secret, parsed as PostgREST reads the setting: a JWKS
// ({"keys": [...]}), a single JWK object, or else a plain HMAC secret. Public
// verification only (private members of a JWK are ignored), through
// OpenSSL's EVP API. Immutable once parsed; move-only (it owns EVP_PKEYs),
// shared between verifiers through a shared_ptr<const JwkSet>.
class JwkSet
{
public:
    // The shortest plain secret PostgREST accepts (Config.hs parseSecret).
    static constexpr qsizetype MinPlainSecretBytes = 32;
    // RSA moduli outside this range are refused when the key is read.
    static constexpr int MinRsaBits = 2048;
    static constexpr int MaxRsaBits = 16384;

    struct Key;

    JwkSet(JwkSet &&) noexcept;
    JwkSet &operator=(JwkSet &&) noexcept;
    ~JwkSet();

    // nullopt and *error, naming the key and the problem, when the bytes are
    // JSON but no valid JWK/JWKS, name an unsupported kty/crv/alg, hold no
    // key usable for verifying signatures, or are a plain secret shorter than
    // MinPlainSecretBytes.
    static std::optional<JwkSet> parse(const QByteArray &secret, QString *error);

    // "RS256" -> RS256 (exact, case-sensitive); nullopt for "none" and
    // every unknown name.
    static std::optional<JwsAlgorithm> algorithmFromName(QByteArrayView name);

    // The keys a token may be checked with, in the set's order: those that
    // fit the algorithm and, when the token names a kid, have that kid (or,
    // if no key has it, have no kid at all).
    std::vector<const Key *> candidates(JwsAlgorithm algorithm, const std::optional<QString> &kid) const;

    // Whether signature is a valid JWS signature of signingInput by key.
    static bool verify(const Key &key, JwsAlgorithm algorithm, QByteArrayView signingInput,
                       QByteArrayView signature);

    int size() const { return int(m_keys.size()); }

private:
    JwkSet();
    std::vector<std::unique_ptr<Key>> m_keys;
};

} // namespace Aiodata::Server
