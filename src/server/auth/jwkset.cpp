#include "auth/jwkset.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

namespace Aiodata::Server {

namespace {

struct PkeyFree { void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); } };
struct BnFree { void operator()(BIGNUM *p) const { BN_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD *p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); } };
struct EcdsaSigFree { void operator()(ECDSA_SIG *p) const { ECDSA_SIG_free(p); } };
// A failed OpenSSL call leaves its reasons in the thread's error queue;
// nothing here reads them, so they are dropped rather than left to pile up.
struct ErrorQueueClearer { ~ErrorQueueClearer() { ERR_clear_error(); } };

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class KeyType { Oct, Rsa, EcP256, EcP384, EcP521, Ed25519 };

constexpr unsigned bit(JwsAlgorithm a) { return 1u << unsigned(a); }

constexpr unsigned HmacAlgorithms = bit(JwsAlgorithm::HS256) | bit(JwsAlgorithm::HS384) | bit(JwsAlgorithm::HS512);
constexpr unsigned RsaAlgorithms = bit(JwsAlgorithm::RS256) | bit(JwsAlgorithm::RS384) | bit(JwsAlgorithm::RS512)
    | bit(JwsAlgorithm::PS256) | bit(JwsAlgorithm::PS384) | bit(JwsAlgorithm::PS512);

unsigned algorithmsOf(KeyType type)
{
    switch (type) {
    case KeyType::Oct: return HmacAlgorithms;
    case KeyType::Rsa: return RsaAlgorithms;
    case KeyType::EcP256: return bit(JwsAlgorithm::ES256);
    case KeyType::EcP384: return bit(JwsAlgorithm::ES384);
    case KeyType::EcP521: return bit(JwsAlgorithm::ES512);
    case KeyType::Ed25519: return bit(JwsAlgorithm::EdDSA);
    }
    return 0;
}

const EVP_MD *digestOf(JwsAlgorithm a)
{
    switch (a) {
    case JwsAlgorithm::HS256: case JwsAlgorithm::RS256: case JwsAlgorithm::PS256: case JwsAlgorithm::ES256:
        return EVP_sha256();
    case JwsAlgorithm::HS384: case JwsAlgorithm::RS384: case JwsAlgorithm::PS384: case JwsAlgorithm::ES384:
        return EVP_sha384();
    case JwsAlgorithm::HS512: case JwsAlgorithm::RS512: case JwsAlgorithm::PS512: case JwsAlgorithm::ES512:
        return EVP_sha512();
    case JwsAlgorithm::EdDSA:
        return nullptr; // Ed25519 hashes by itself
    }
    return nullptr;
}

// JWK members are base64url (RFC 7517); padding is tolerated, nothing else.
std::optional<QByteArray> decodeMember(const QJsonObject &jwk, QLatin1StringView name, QString *problem)
{
    const QJsonValue v = jwk.value(name);
    if (!v.isString()) {
        *problem = v.isUndefined() ? QStringLiteral("has no \"%1\"").arg(name)
                                   : QStringLiteral("has a \"%1\" that is not a string").arg(name);
        return std::nullopt;
    }
    auto r = QByteArray::fromBase64Encoding(v.toString().toLatin1(),
                                            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (r.decodingStatus != QByteArray::Base64DecodingStatus::Ok || v.toString().contains(u'+')
        || v.toString().contains(u'/')) {
        *problem = QStringLiteral("has a \"%1\" that is not base64url").arg(name);
        return std::nullopt;
    }
    if (r.decoded.isEmpty()) {
        *problem = QStringLiteral("has an empty \"%1\"").arg(name);
        return std::nullopt;
    }
    return r.decoded;
}

Pkey fromData(const char *type, OSSL_PARAM_BLD *bld)
{
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY *pkey = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
        || EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return {};
    return Pkey(pkey);
}

bool publicCheck(EVP_PKEY *pkey)
{
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

Pkey rsaKey(const QJsonObject &jwk, QString *problem)
{
    const auto n = decodeMember(jwk, QLatin1StringView("n"), problem);
    if (!n)
        return {};
    const auto e = decodeMember(jwk, QLatin1StringView("e"), problem);
    if (!e)
        return {};
    std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(reinterpret_cast<const unsigned char *>(n->constData()), int(n->size()), nullptr));
    std::unique_ptr<BIGNUM, BnFree> be(BN_bin2bn(reinterpret_cast<const unsigned char *>(e->constData()), int(e->size()), nullptr));
    if (!bn || !be) {
        *problem = QStringLiteral("could not be read (out of memory)");
        return {};
    }
    const int bits = BN_num_bits(bn.get());
    if (bits < JwkSet::MinRsaBits || bits > JwkSet::MaxRsaBits) {
        *problem = QStringLiteral("has a %1-bit modulus; RSA keys of %2 to %3 bits are accepted")
                       .arg(bits).arg(JwkSet::MinRsaBits).arg(JwkSet::MaxRsaBits);
        return {};
    }
    // A public exponent of 3 and up, odd, and much shorter than the modulus.
    if (!BN_is_odd(be.get()) || BN_num_bits(be.get()) < 2 || BN_num_bits(be.get()) > 64) {
        *problem = QStringLiteral("has an invalid public exponent \"e\"");
        return {};
    }
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1
        || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
        *problem = QStringLiteral("could not be read (out of memory)");
        return {};
    }
    Pkey key = fromData("RSA", bld.get());
    if (!key)
        *problem = QStringLiteral("is not an RSA public key OpenSSL accepts");
    return key;
}

Pkey ecKey(const QJsonObject &jwk, KeyType type, QString *problem)
{
    const int size = type == KeyType::EcP256 ? 32 : type == KeyType::EcP384 ? 48 : 66;
    const char *group = type == KeyType::EcP256 ? "prime256v1" : type == KeyType::EcP384 ? "secp384r1" : "secp521r1";
    const auto x = decodeMember(jwk, QLatin1StringView("x"), problem);
    if (!x)
        return {};
    const auto y = decodeMember(jwk, QLatin1StringView("y"), problem);
    if (!y)
        return {};
    // RFC 7518 6.2.1.2 asks for the full field size, but PyJWT before 2.8 and
    // other encoders drop leading zero bytes (one key in 128 on P-256): the
    // integer is the same, so pad it back. Longer than the field is refused.
    if (x->size() > size || y->size() > size) {
        *problem = QStringLiteral("has \"x\"/\"y\" of %1/%2 bytes; its curve needs %3")
                       .arg(x->size()).arg(y->size()).arg(size);
        return {};
    }
    const QByteArray point = QByteArray(1, '\x04') + QByteArray(size - x->size(), '\0') + *x
                             + QByteArray(size - y->size(), '\0') + *y; // uncompressed SEC1 point
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.constData(),
                                            size_t(point.size())) != 1) {
        *problem = QStringLiteral("could not be read (out of memory)");
        return {};
    }
    Pkey key = fromData("EC", bld.get());
    if (!key || !publicCheck(key.get())) {
        *problem = QStringLiteral("is not a point on its curve");
        return {};
    }
    return key;
}

Pkey okpKey(const QJsonObject &jwk, QString *problem)
{
    const auto x = decodeMember(jwk, QLatin1StringView("x"), problem);
    if (!x)
        return {};
    if (x->size() != 32) {
        *problem = QStringLiteral("has an \"x\" of %1 bytes; Ed25519 needs 32").arg(x->size());
        return {};
    }
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char *>(x->constData()), 32));
    if (!key)
        *problem = QStringLiteral("is not an Ed25519 public key OpenSSL accepts");
    return key;
}

// Raw R || S (RFC 7518 3.4) to the DER OpenSSL verifies.
std::optional<QByteArray> ecdsaDer(QByteArrayView signature, int size)
{
    if (signature.size() != 2 * size)
        return std::nullopt;
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
    BIGNUM *r = BN_bin2bn(reinterpret_cast<const unsigned char *>(signature.data()), size, nullptr);
    BIGNUM *s = BN_bin2bn(reinterpret_cast<const unsigned char *>(signature.data()) + size, size, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return std::nullopt;
    }
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (length <= 0)
        return std::nullopt;
    QByteArray der(length, Qt::Uninitialized);
    unsigned char *out = reinterpret_cast<unsigned char *>(der.data());
    if (i2d_ECDSA_SIG(sig.get(), &out) != length)
        return std::nullopt;
    return der;
}

} // namespace

struct JwkSet::Key {
    KeyType type = KeyType::Oct;
    unsigned algorithms = 0;      // bit(JwsAlgorithm) this key may verify
    std::optional<QString> kid;
    QByteArray secret;            // Oct
    Pkey pkey;                    // the others
};

JwkSet::JwkSet() = default;
JwkSet::JwkSet(JwkSet &&) noexcept = default;
JwkSet &JwkSet::operator=(JwkSet &&) noexcept = default;
JwkSet::~JwkSet() = default;

std::optional<JwsAlgorithm> JwkSet::algorithmFromName(QByteArrayView name)
{
    static const struct { const char *name; JwsAlgorithm algorithm; } names[] = {
        {"HS256", JwsAlgorithm::HS256}, {"HS384", JwsAlgorithm::HS384}, {"HS512", JwsAlgorithm::HS512},
        {"RS256", JwsAlgorithm::RS256}, {"RS384", JwsAlgorithm::RS384}, {"RS512", JwsAlgorithm::RS512},
        {"PS256", JwsAlgorithm::PS256}, {"PS384", JwsAlgorithm::PS384}, {"PS512", JwsAlgorithm::PS512},
        {"ES256", JwsAlgorithm::ES256}, {"ES384", JwsAlgorithm::ES384}, {"ES512", JwsAlgorithm::ES512},
        {"EdDSA", JwsAlgorithm::EdDSA}, {"Ed25519", JwsAlgorithm::EdDSA}, // RFC 9864's fully specified name
    };
    for (const auto &n : names) {
        if (name == QByteArrayView(n.name))
            return n.algorithm;
    }
    return std::nullopt;
}

namespace {

// One JWK to a key; nullptr with *skip set when the key is valid but not for
// verifying signatures (use other than "sig", key_ops with neither "verify"
// nor "sign", an encryption alg), nullptr with *problem when it is invalid or unsupported.
std::unique_ptr<JwkSet::Key> readJwk(const QJsonValue &value, bool *skip, QString *problem)
{
    *skip = false;
    if (!value.isObject()) {
        *problem = QStringLiteral("is not a JSON object");
        return {};
    }
    const QJsonObject jwk = value.toObject();
    const QJsonValue kty = jwk.value(QLatin1StringView("kty"));
    if (!kty.isString()) {
        *problem = QStringLiteral("has no \"kty\" string");
        return {};
    }
    auto key = std::make_unique<JwkSet::Key>();
    if (const QJsonValue kid = jwk.value(QLatin1StringView("kid")); !kid.isUndefined()) {
        if (!kid.isString()) {
            *problem = QStringLiteral("has a \"kid\" that is not a string");
            return {};
        }
        key->kid = kid.toString();
    }
    const QJsonValue use = jwk.value(QLatin1StringView("use"));
    if (!use.isUndefined() && !use.isString()) {
        *problem = QStringLiteral("has a \"use\" that is not a string");
        return {};
    }
    const QJsonValue ops = jwk.value(QLatin1StringView("key_ops"));
    bool verifyOp = ops.isUndefined();
    if (!ops.isUndefined()) {
        if (!ops.isArray()) {
            *problem = QStringLiteral("has a \"key_ops\" that is not an array");
            return {};
        }
        const QJsonArray list = ops.toArray();
        for (const QJsonValue &op : list) {
            if (!op.isString()) {
                *problem = QStringLiteral("has a \"key_ops\" entry that is not a string");
                return {};
            }
            // "sign" too: a private JWK's public part verifies what it signs.
            verifyOp = verifyOp || op.toString() == QLatin1StringView("verify")
                || op.toString() == QLatin1StringView("sign");
        }
    }
    const QJsonValue alg = jwk.value(QLatin1StringView("alg"));
    if (!alg.isUndefined() && !alg.isString()) {
        *problem = QStringLiteral("has an \"alg\" that is not a string");
        return {};
    }

    const QString type = kty.toString();
    const QString crv = jwk.value(QLatin1StringView("crv")).toString();
    if (type == QLatin1StringView("oct")) {
        key->type = KeyType::Oct;
    } else if (type == QLatin1StringView("RSA")) {
        key->type = KeyType::Rsa;
    } else if (type == QLatin1StringView("EC")) {
        if (crv == QLatin1StringView("P-256"))
            key->type = KeyType::EcP256;
        else if (crv == QLatin1StringView("P-384"))
            key->type = KeyType::EcP384;
        else if (crv == QLatin1StringView("P-521"))
            key->type = KeyType::EcP521;
        else {
            *problem = QStringLiteral("has the unsupported EC curve \"%1\" (P-256, P-384 and P-521 are)").arg(crv);
            return {};
        }
    } else if (type == QLatin1StringView("OKP")) {
        if (crv != QLatin1StringView("Ed25519")) {
            *problem = QStringLiteral("has the unsupported OKP curve \"%1\" (Ed25519 is)").arg(crv);
            return {};
        }
        key->type = KeyType::Ed25519;
    } else {
        *problem = QStringLiteral("has the unsupported kty \"%1\" (oct, RSA, EC and OKP are)").arg(type);
        return {};
    }

    key->algorithms = algorithmsOf(key->type);
    if (alg.isString()) {
        const auto a = JwkSet::algorithmFromName(alg.toString().toUtf8());
        if (!a) {
            // An encryption key (RSA-OAEP, ECDH-ES, A128KW, ...) or an
            // algorithm we do not verify: not a key for us, as use "enc".
            *skip = true;
            return {};
        }
        if (!(key->algorithms & bit(*a))) {
            *problem = QStringLiteral("has the alg \"%1\", which does not fit its kty \"%2\"").arg(alg.toString(), type);
            return {};
        }
        key->algorithms = bit(*a);
    }
    if ((use.isString() && use.toString() != QLatin1StringView("sig")) || !verifyOp) {
        *skip = true;
        return {};
    }

    switch (key->type) {
    case KeyType::Oct: {
        const auto k = decodeMember(jwk, QLatin1StringView("k"), problem);
        if (!k)
            return {};
        key->secret = *k;
        return key;
    }
    case KeyType::Rsa: key->pkey = rsaKey(jwk, problem); break;
    case KeyType::EcP256: case KeyType::EcP384: case KeyType::EcP521: key->pkey = ecKey(jwk, key->type, problem); break;
    case KeyType::Ed25519: key->pkey = okpKey(jwk, problem); break;
    }
    if (!key->pkey)
        return {};
    return key;
}


} // namespace

std::optional<JwkSet> JwkSet::parse(const QByteArray &secret, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return std::nullopt;
    };
    if (secret.isEmpty())
        return fail(QStringLiteral("jwt-secret is empty"));
    const ErrorQueueClearer clearer;

    JwkSet set;
    // JSON object: a JWKS or a JWK, nothing else. (PostgREST falls back to a
    // plain secret when such JSON is no valid key; we refuse it instead, so a
    // broken key is a start-up error, not a guessable HMAC secret.)
    const QByteArray trimmed = secret.trimmed();
    if (trimmed.startsWith('{')) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(trimmed, &parseError);
        if (!doc.isObject())
            return fail(QStringLiteral("jwt-secret looks like a JWK or JWKS but is not valid JSON: %1 at offset %2")
                            .arg(parseError.errorString()).arg(parseError.offset));
        const QJsonObject object = doc.object();
        const bool isSet = object.contains(QLatin1StringView("keys")) && !object.contains(QLatin1StringView("kty"));
        QJsonArray keys;
        if (isSet) {
            if (!object.value(QLatin1StringView("keys")).isArray())
                return fail(QStringLiteral("jwt-secret: the JWKS \"keys\" member is not an array"));
            keys = object.value(QLatin1StringView("keys")).toArray();
        } else {
            keys.append(object);
        }
        int skipped = 0;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            bool skip = false;
            QString problem;
            auto key = readJwk(keys.at(i), &skip, &problem);
            if (skip) {
                ++skipped;
                continue;
            }
            if (!key) {
                const QString kid = keys.at(i).toObject().value(QLatin1StringView("kid")).toString();
                const QString which = !isSet ? QStringLiteral("the JWK")
                    : kid.isEmpty() ? QStringLiteral("JWKS key %1").arg(i)
                                    : QStringLiteral("JWKS key %1 (kid \"%2\")").arg(i).arg(kid);
                return fail(QStringLiteral("jwt-secret: %1 %2").arg(which, problem));
            }
            set.m_keys.push_back(std::move(key));
        }
        if (set.m_keys.empty())
            return fail(skipped ? QStringLiteral("jwt-secret: no key is for verifying signatures "
                                                 "(use \"enc\", key_ops without \"verify\"/\"sign\", or an encryption alg)")
                                : QStringLiteral("jwt-secret: the JWKS has no keys"));
        return set;
    }

    if (secret.size() < MinPlainSecretBytes)
        return fail(QStringLiteral("The JWT secret must be at least %1 characters long.").arg(MinPlainSecretBytes));
    auto key = std::make_unique<Key>();
    key->type = KeyType::Oct;
    key->algorithms = HmacAlgorithms;
    key->secret = secret;
    set.m_keys.push_back(std::move(key));
    return set;
}

std::vector<const JwkSet::Key *> JwkSet::candidates(JwsAlgorithm algorithm, const std::optional<QString> &kid) const
{
    std::vector<const Key *> fitting;
    std::vector<const Key *> withoutKid;
    for (const auto &key : m_keys) {
        if (!(key->algorithms & bit(algorithm)))
            continue;
        if (!kid || key->kid == kid)
            fitting.push_back(key.get());
        else if (!key->kid)
            withoutKid.push_back(key.get());
    }
    if (kid && fitting.empty())
        return withoutKid;
    return fitting;
}

bool JwkSet::verify(const Key &key, JwsAlgorithm algorithm, QByteArrayView signingInput, QByteArrayView signature)
{
    if (!(key.algorithms & bit(algorithm)))
        return false;
    const ErrorQueueClearer clearer;
    const EVP_MD *md = digestOf(algorithm);
    const auto *data = reinterpret_cast<const unsigned char *>(signingInput.data());

    if (key.type == KeyType::Oct) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int macSize = 0;
        if (!HMAC(md, key.secret.constData(), int(key.secret.size()), data, size_t(signingInput.size()), mac, &macSize))
            return false;
        // The length of a MAC is no secret; its bytes are compared in constant time.
        return signature.size() == qsizetype(macSize) && CRYPTO_memcmp(mac, signature.data(), macSize) == 0;
    }

    QByteArray der;
    QByteArrayView sig = signature;
    if (key.type == KeyType::EcP256 || key.type == KeyType::EcP384 || key.type == KeyType::EcP521) {
        const int size = key.type == KeyType::EcP256 ? 32 : key.type == KeyType::EcP384 ? 48 : 66;
        const auto converted = ecdsaDer(signature, size);
        if (!converted)
            return false;
        der = *converted;
        sig = der;
    }
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr; // owned by ctx
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.pkey.get()) != 1)
        return false;
    const bool pss = algorithm == JwsAlgorithm::PS256 || algorithm == JwsAlgorithm::PS384
        || algorithm == JwsAlgorithm::PS512;
    if (key.type == KeyType::Rsa) {
        // PS*: MGF1 with the same hash, salt as long as the hash (RFC 7518 3.5).
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) != 1)
            return false;
        if (pss && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
            return false;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(sig.data()), size_t(sig.size()),
                            data, size_t(signingInput.size())) == 1;
}

} // namespace Aiodata::Server
