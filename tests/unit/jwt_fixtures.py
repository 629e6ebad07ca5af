#!/usr/bin/env python3
"""Keys and tokens for tst_jwt, made by an implementation independent of the
server's (PyJWT + cryptography, Debian's python3-jwt and python3-cryptography).

Fresh keys on every run. Prints one JSON object on stdout:
  {"secrets": {name: jwt-secret text}, "tokens": {name: compact JWS}, "pems": {name: PEM}}
The secrets are what a jwt-secret setting would hold (a JWK, a JWKS or a plain
secret); the tokens' claims are relative to the `now` given as the argument.
tst_jwt.cpp names the expected outcome of each token against each secret.
"""

import base64
import hashlib
import hmac
import json
import secrets as random
import sys

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

now = int(sys.argv[1])


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def public_jwk(algorithm, key, kid=None, **extra):
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    if kid:
        jwk["kid"] = kid
    jwk.update(extra)
    return jwk


def pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa_stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec256 = ec.generate_private_key(ec.SECP256R1())
ec256_2 = ec.generate_private_key(ec.SECP256R1())
ec384 = ec.generate_private_key(ec.SECP384R1())
ed = ed25519.Ed25519PrivateKey.generate()


# A P-256 key whose x starts with a zero byte (one in 256), as a JWK with that
# byte dropped: what PyJWT before 2.8 writes, and the server pads back.
def short_x_jwk():
    while True:
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        if numbers.x < 1 << 248:
            x = numbers.x.to_bytes(32, "big").lstrip(b"\0")
            return key, {"kty": "EC", "crv": "P-256", "kid": "ec256-short", "x": b64(x),
                         "y": b64(numbers.y.to_bytes(32, "big"))}


ec256_short, jwk_ec256_short = short_x_jwk()
oct_key = random.token_bytes(48)
plain = "a plain jwt-secret, longer than 32 chars: " + random.token_hex(8)

jwk_rsa1 = public_jwk(RSAAlgorithm, rsa1, "rsa-1", use="sig")
jwk_rsa2 = public_jwk(RSAAlgorithm, rsa2, "rsa-2")
jwk_ec256 = public_jwk(ECAlgorithm, ec256, "ec256-1", use="sig", key_ops=["verify"])
jwk_ec256_2 = public_jwk(ECAlgorithm, ec256_2, "ec256-2", alg="ES256")
jwk_ec384 = public_jwk(ECAlgorithm, ec384, "ec384-1")
jwk_ed = public_jwk(OKPAlgorithm, ed, "ed-1", alg="EdDSA")
jwk_oct = json.loads(HMACAlgorithm.to_jwk(oct_key))
jwk_oct["kid"] = "oct-1"
jwk_rsa1_private = json.loads(RSAAlgorithm.to_jwk(rsa1))  # d, p, q, dp, dq, qi too

secrets = {
    "plain": plain,
    "rsa-jwk": compact({k: v for k, v in jwk_rsa1.items() if k != "kid"}),
    "rsa-jwk-rs256": compact(dict(jwk_rsa1, alg="RS256")),
    "rsa-private-jwk": compact(jwk_rsa1_private),
    "ec256-jwk": compact(jwk_ec256),
    "ec384-jwk": compact(jwk_ec384),
    "ec256-short-jwk": compact(jwk_ec256_short),
    "ec256-long-jwk": compact(dict(jwk_ec256_short, x=b64(b"\0" * 2 + base64.urlsafe_b64decode(
        jwk_ec256_short["x"] + "=" * (-len(jwk_ec256_short["x"]) % 4))))),
    "ed25519-jwk": compact(jwk_ed),
    "oct-jwk": compact(jwk_oct),
    "jwks": compact({"keys": [jwk_rsa1, jwk_rsa2, jwk_ec256, jwk_ec256_2, jwk_ec384, jwk_ed, jwk_oct]}),
    "rsa-jwks": compact({"keys": [jwk_rsa1, jwk_rsa2]}),
    "rsa-enc-jwks": compact({"keys": [dict(jwk_rsa1, use="enc"), jwk_rsa2]}),
    # rsa-1 removed: what is left after a rotation.
    "rotated-jwks": compact({"keys": [jwk_rsa2, jwk_ec256]}),
}
pems = {"rsa-1": pem(rsa1)}

role = {"role": "auth"}
tokens = {}


def sign(name, payload, key, alg, kid=None, **headers):
    if kid:
        headers["kid"] = kid
    tokens[name] = jwt.encode(payload, key, algorithm=alg, headers=headers or None)


# Every algorithm, each with the key it belongs to.
for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
    sign(alg, role, rsa1, alg, "rsa-1")
    sign(alg + "-nokid", role, rsa1, alg)
sign("ES256", role, ec256, "ES256", "ec256-1")
sign("ES256-nokid", role, ec256, "ES256")
sign("ES256-key2-nokid", role, ec256_2, "ES256")
sign("ES256-short", role, ec256_short, "ES256", "ec256-short")
sign("ES384", role, ec384, "ES384", "ec384-1")
sign("ES384-nokid", role, ec384, "ES384")
sign("EdDSA", role, ed, "EdDSA", "ed-1")
sign("EdDSA-nokid", role, ed, "EdDSA")
for alg in ("HS256", "HS384", "HS512"):
    sign(alg, role, oct_key, alg, "oct-1")
    sign(alg + "-nokid", role, oct_key, alg)
    sign(alg + "-plain", role, plain.encode(), alg)

# Keys and kids.
sign("RS256-rsa2-nokid", role, rsa2, "RS256")
sign("RS256-rsa2-kid", role, rsa2, "RS256", "rsa-2")
sign("RS256-rsa2-as-rsa1", role, rsa2, "RS256", "rsa-1")
sign("RS256-kid-unknown", role, rsa1, "RS256", "gone")
sign("RS256-stranger", role, rsa_stranger, "RS256")
sign("RS256-stranger-kid", role, rsa_stranger, "RS256", "rsa-1")
sign("ES256-wrong-curve-key", role, ec384, "ES384", "ec256-1")
sign("RS256-kid-plain", role, rsa1, "RS256", "rsa-1")


# Algorithm confusion: HS256 with the RSA public key (PEM, JWK text, modulus)
# as the HMAC secret. PyJWT refuses to do this, so it is done by hand.
def hs256_by_hand(name, header, payload, key):
    signing_input = b64(compact(header).encode()) + "." + b64(compact(payload).encode())
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    tokens[name] = signing_input + "." + b64(mac)


hs256_by_hand("confusion-pem", {"alg": "HS256", "typ": "JWT"}, role, pem(rsa1).encode())
hs256_by_hand("confusion-pem-kid", {"alg": "HS256", "kid": "rsa-1"}, role, pem(rsa1).encode())
hs256_by_hand("confusion-jwk", {"alg": "HS256", "kid": "rsa-1"}, role, compact(jwk_rsa1).encode())
hs256_by_hand("confusion-n", {"alg": "HS256"}, role, jwk_rsa1["n"].encode())

# alg none, as PyJWT writes it (empty signature).
tokens["none"] = jwt.encode(role, None, algorithm="none")
tokens["none-kid"] = jwt.encode(role, None, algorithm="none", headers={"kid": "rsa-1"})

# Claims, under ES256 (kid ec256-1).
claims = {
    "exp-past": {"role": "auth", "exp": now - 31},
    "exp-skew": {"role": "auth", "exp": now - 30},
    "exp-future": {"role": "auth", "exp": now + 3600},
    "exp-string": {"role": "auth", "exp": "tomorrow"},
    "exp-fraction": {"role": "auth", "exp": now + 3600.5},
    "exp-null": {"role": "auth", "exp": None},
    "nbf-future": {"role": "auth", "nbf": now + 31},
    "nbf-skew": {"role": "auth", "nbf": now + 30},
    "nbf-string": {"role": "auth", "nbf": "soon"},
    "iat-future": {"role": "auth", "iat": now + 31},
    "iat-skew": {"role": "auth", "iat": now + 30},
    "iat-past": {"role": "auth", "iat": now - 3600},
    "iat-string": {"role": "auth", "iat": []},
    "exp-and-nbf": {"role": "auth", "nbf": now + 60, "exp": now + 600},
    "aud-match": {"role": "auth", "aud": "my-app"},
    "aud-other": {"role": "auth", "aud": "other"},
    "aud-array": {"role": "auth", "aud": ["x", "my-app"]},
    "aud-array-lacks": {"role": "auth", "aud": ["x", "y"]},
    "aud-array-empty": {"role": "auth", "aud": []},
    "aud-number": {"role": "auth", "aud": 42},
    "aud-array-mixed": {"role": "auth", "aud": [{"invalid": "value"}, "my-app"]},
    "no-aud": {"role": "auth"},
    "no-role": {"sub": "someone"},
    "role-number": {"role": 7},
    "role-object": {"role": {"a": [1, True, None]}},
    "role-null": {"role": None},
    "nested": {"role": "outer", "app_metadata": {"role": "inner", "roles": ["first", "second"]}},
    "quoted": {"https://example.com/claims": {"role": "quoted"}, "a.b": "dotted"},
    "roles-array": {"roles": ["admin", "user"], "groups": [{"name": "g0"}, {"name": "g1"}]},
    "roles-filter": {"roles": ["x-admin", "user", "manager"]},
}
for name, payload in claims.items():
    sign(name, payload, ec256, "ES256", "ec256-1")

# A payload that is JSON but not an object, correctly signed (ES256 by hand:
# JWS wants the raw R || S, cryptography gives DER).
def es256_by_hand(name, header, payload_bytes, key):
    signing_input = b64(compact(header).encode()) + "." + b64(payload_bytes)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    tokens[name] = signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


es256_by_hand("payload-array", {"alg": "ES256", "kid": "ec256-1"}, b'["auth"]', ec256)
es256_by_hand("payload-not-json", {"alg": "ES256", "kid": "ec256-1"}, b"{role: auth}", ec256)

json.dump({"secrets": secrets, "tokens": tokens, "pems": pems}, sys.stdout)
