/// Mints the PyJWT tokens of `Fixture`. argv: key directory, now, HS256 secret. Prints a JSON
/// object of name → token.
let mintScript = #"""
import base64, json, sys
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

directory, now, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()

def private(name):
    with open(f"{directory}/{name}.pem", "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

rsa, eck = private("rsa"), private("ec")
claims = {"sub": "alice@example.org", "exp": now + 600, "nbf": now - 60, "iat": now - 60,
          "name": "Alice \u00dcnal"}
t = {
    "hs256": jwt.encode(claims, secret, algorithm="HS256"),
    "hs256_k1": jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "k1"}),
    "rs256": jwt.encode(claims, rsa, algorithm="RS256", headers={"kid": "rsa-1"}),
    "rs256_nokid": jwt.encode(claims, rsa, algorithm="RS256"),
    "es256": jwt.encode(claims, eck, algorithm="ES256", headers={"kid": "ec-1"}),
    "es256_nokid": jwt.encode(claims, eck, algorithm="ES256"),
    # NumericDates as floats, iss, and aud as an array.
    "float_aud": jwt.encode({"sub": "bob", "exp": now + 600.75, "nbf": now - 0.5, "iat": now - 0.5,
                             "iss": "https://id.example.org", "aud": ["other", "rally"]},
                            secret, algorithm="HS256"),
    "hs512": jwt.encode(claims, secret, algorithm="HS512"),
    "ps256": jwt.encode(claims, rsa, algorithm="PS256"),
    "none": jwt.encode(claims, None, algorithm="none"),
}

# ES256 with a DER signature (what OpenSSL and `openssl dgst -sign` produce), checked to be a
# valid signature, and the same signature converted to the JWS form R||S.
signing_input = b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
der = eck.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
eck.public_key().verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
r, s = decode_dss_signature(der)
t["es256_der"] = signing_input + "." + b64(der)
t["es256_der_as_raw"] = signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
print(json.dumps(t))
"""#
