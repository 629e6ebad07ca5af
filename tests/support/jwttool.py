#!/usr/bin/env python3
"""Keys and tokens from an implementation independent of the server's
(python3-jwt and python3-cryptography), for the integration tests.

  jwttool.py keys DIR
      Makes a private key per name (rsa, rsa2, ec256, ec384, ed25519, oct,
      oct2) in DIR and prints {name: public JWK with "kid": name}.
  jwttool.py tokens DIR < SPECS
      SPECS is a JSON list of {"key": name, "alg": alg, "claims": {...}}
      with optional "kid" (a string, or null for no kid; default: the key's
      name), "forge": "none" (alg none, no signature), "hmac-pem" (HS256
      with the key's public PEM as HMAC secret: the alg confusion attack) or
      "tamper" (payload changed after signing). Prints the tokens as a JSON
      list in the same order.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

NAMES = ("rsa", "rsa2", "ec256", "ec384", "ed25519", "oct", "oct2")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_keys(folder):
    os.makedirs(folder, exist_ok=True)
    out = {}
    for name in NAMES:
        if name.startswith("oct"):
            secret = os.urandom(32)
            with open(os.path.join(folder, name + ".key"), "wb") as f:
                f.write(secret)
            jwk = {"kty": "oct", "k": b64(secret)}
        else:
            if name.startswith("rsa"):
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                to_jwk = jwt.algorithms.RSAAlgorithm.to_jwk
            elif name == "ec256":
                key = ec.generate_private_key(ec.SECP256R1())
                to_jwk = jwt.algorithms.ECAlgorithm.to_jwk
            elif name == "ec384":
                key = ec.generate_private_key(ec.SECP384R1())
                to_jwk = jwt.algorithms.ECAlgorithm.to_jwk
            else:
                key = ed25519.Ed25519PrivateKey.generate()
                to_jwk = jwt.algorithms.OKPAlgorithm.to_jwk
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            with open(os.path.join(folder, name + ".key"), "wb") as f:
                f.write(pem)
            jwk = json.loads(to_jwk(key.public_key()))
        jwk["kid"] = name
        out[name] = jwk
    return out


def load(folder, name):
    with open(os.path.join(folder, name + ".key"), "rb") as f:
        data = f.read()
    if name.startswith("oct"):
        return data
    return serialization.load_pem_private_key(data, password=None)


def token(folder, spec):
    name = spec["key"]
    alg = spec["alg"]
    claims = spec.get("claims", {})
    kid = spec.get("kid", name)
    header = {"kid": kid} if kid is not None else {}
    forge = spec.get("forge")
    if forge in ("none", "hmac-pem"):
        head = {"alg": "none" if forge == "none" else "HS256", "typ": "JWT", **header}
        signing_input = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
        if forge == "none":
            return signing_input + "."
        public_pem = load(folder, name).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64(mac)
    signed = jwt.encode(claims, load(folder, name), algorithm=alg, headers=header or None)
    if isinstance(signed, bytes):
        signed = signed.decode()
    if forge == "tamper":
        head, _, sig = signed.split(".")
        changed = dict(claims, tampered=True)
        return head + "." + b64(json.dumps(changed).encode()) + "." + sig
    return signed


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "keys":
        json.dump(make_keys(sys.argv[2]), sys.stdout)
    elif len(sys.argv) == 3 and sys.argv[1] == "tokens":
        json.dump([token(sys.argv[2], s) for s in json.load(sys.stdin)], sys.stdout)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
