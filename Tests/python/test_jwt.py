"""Token checks of `connect` and `refresh` (protocol/README.md §4, §9, §10)
against a server started with HS256, RS256 and ES256 keys, an issuer and an
audience. Keys are generated per module; nothing is committed.

Refusals: a 4100 `auth_failed` reply (4101 `token_expired` for an expired
token), then the close with the same code.
"""
import asyncio
import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from chat_client import ChatClient, run

HS_SECRET = "jwt-suite-hs256-secret-0123456789abcdef"
ISS = "https://platform.example"
AUD = "rally-chat"


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header, payload):
    return f"{b64url(json.dumps(header))}.{b64url(json.dumps(payload))}"


def claims(user="alice", exp_in=3600, **extra):
    now = int(time.time())
    out = {"sub": user, "iat": now, "exp": now + exp_in, "iss": ISS, "aud": AUD}
    out.update(extra)
    return {k: v for k, v in out.items() if v is not None}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("jwt-keys")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pems = {}
    for name, key in (("rsa", rsa_key), ("ec", ec_key)):
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        (d / f"{name}.pem").write_bytes(pem)
        pems[name] = pem
    return {"rsa": rsa_key, "ec": ec_key, "rsa_pem": pems["rsa"], "ec_pem": pems["ec"], "dir": d}


@pytest.fixture(scope="module")
def server(start_module_server, keys, tmp_path_factory):
    d = keys["dir"]
    return start_module_server(
        "--data-dir", tmp_path_factory.mktemp("jwt-data"), "--api-key", "test-api-key-0123456789", "--loops", "2",
        "--jwt-key", "hs256:kid=h1:secret=env:RALLY_JWT_SUITE_SECRET",
        "--jwt-key", f"rs256:kid=r1:file={d / 'rsa.pem'}",
        "--jwt-key", f"es256:kid=e1:file={d / 'ec.pem'}",
        "--jwt-issuer", ISS, "--jwt-audience", AUD, "--jwt-leeway", "0",
        env={"RALLY_JWT_SUITE_SECRET": HS_SECRET})


def signed(payload, keys, alg, kid):
    """A token signed by PyJWT with one of the module's keys."""
    key = {"RS256": keys["rsa"], "ES256": keys["ec"], "HS256": HS_SECRET}[alg]
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid} if kid else None)


async def refused(port, token, code=4100, label="refused"):
    """connect with `token` must get an error reply `code`, then the close `code`."""
    c = await ChatClient.open(port, label=label)
    try:
        reply = await c.command("connect", token=token)
        assert reply["ok"] is False, f"{label}: token accepted: {reply}"
        assert reply["error"]["code"] == code, f"{label}: {reply}"
        assert reply["error"]["reason"] == {4100: "auth_failed", 4101: "token_expired"}[code]
        closed = await c.wait_closed(timeout=5)
        assert closed == code, f"{label}: closed with {closed} {c.close_reason!r}, expected {code}"
        # §10: a Rally close carries its code's name, not free text
        assert c.close_reason == reply["error"]["reason"], f"{label}: close reason {c.close_reason!r}"
    finally:
        await c.close()


async def accepted(port, token, user="alice", label="ok"):
    c = await ChatClient.open(port, token, label=label)
    assert c.connected["user"] == user
    return c


# ---------------------------------------------------------------- valid tokens

@pytest.mark.parametrize("alg,kid", [("HS256", "h1"), ("RS256", "r1"), ("ES256", "e1")])
def test_valid_tokens_connect(server, keys, alg, kid):
    async def main():
        c = await accepted(server.port, signed(claims("alice"), keys, alg, kid))
        await c.ok("rooms")
        await c.close()
    run(main(), 15)


def test_array_audience_containing_ours_is_accepted(server, keys):
    async def main():
        c = await accepted(server.port, signed(claims(aud=["other", AUD]), keys, "ES256", "e1"))
        await c.close()
    run(main(), 15)


# ---------------------------------------------------------------- refusals

def test_alg_none_refused(server):
    header = {"alg": "none", "typ": "JWT"}
    tokens = [unsigned(header, claims()) + ".",
              unsigned({**header, "kid": "h1"}, claims()) + ".",
              unsigned({"alg": "None", "kid": "h1"}, claims()) + "."]

    async def main():
        await asyncio.gather(*(refused(server.port, t, label=f"alg-none-{i}") for i, t in enumerate(tokens)))
    run(main(), 15)


def test_hs256_signed_with_rsa_public_key_refused(server, keys):
    """Algorithm confusion: an HS256 MAC keyed with the RSA public PEM."""
    async def main():
        for kid in ("r1", None):
            header = {"alg": "HS256", "typ": "JWT"}
            if kid:
                header["kid"] = kid
            for secret in (keys["rsa_pem"], keys["rsa_pem"].rstrip(b"\n")):
                head = unsigned(header, claims())
                mac = hmac.new(secret, head.encode(), hashlib.sha256).digest()
                await refused(server.port, f"{head}.{b64url(mac)}", label=f"hs-with-rsa-pem kid={kid}")
    run(main(), 20)


def test_es256_der_signature_refused(server, keys):
    """JWS ES256 signatures are r||s (64 bytes); a DER-encoded one is invalid."""
    head = unsigned({"alg": "ES256", "typ": "JWT", "kid": "e1"}, claims())
    der = keys["ec"].sign(head.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")

    async def main():
        await refused(server.port, f"{head}.{b64url(der)}", label="es256-der")
        # the same signature as r||s is accepted: the key and claims are fine
        c = await accepted(server.port, f"{head}.{b64url(raw)}", label="es256-raw")
        await c.close()
    run(main(), 15)


def test_wrong_or_missing_kid_refused(server, keys):
    async def main():
        await refused(server.port, signed(claims(), keys, "HS256", "nope"), label="hs-unknown-kid")
        await refused(server.port, signed(claims(), keys, "RS256", "e1"), label="rs-with-ec-kid")
        await refused(server.port, signed(claims(), keys, "ES256", "r1"), label="es-with-rsa-kid")
        await refused(server.port, signed(claims(), keys, "RS256", None), label="no-kid")
    run(main(), 15)


def test_bad_signature_refused(server, keys):
    token = signed(claims(), keys, "RS256", "r1")
    head, payload, sig = token.split(".")
    forged_payload = b64url(json.dumps(claims("mallory")))
    tampered = f"{head}.{forged_payload}.{sig}"

    async def main():
        await refused(server.port, tampered, label="tampered-payload")
        await refused(server.port, signed(claims(), {**keys, "rsa": rsa.generate_private_key(65537, 2048)},
                                          "RS256", "r1"), label="other-rsa-key")
    run(main(), 20)


def test_expired_token(server, keys):
    # beyond any reasonable clock-skew leeway
    token = signed(claims(exp_in=-600), keys, "HS256", "h1")
    run(refused(server.port, token, code=4101, label="expired"), 15)


def test_not_yet_valid_refused(server, keys):
    token = signed(claims(nbf=int(time.time()) + 600), keys, "ES256", "e1")
    run(refused(server.port, token, label="nbf-future"), 15)


def test_wrong_audience_or_issuer_refused(server, keys):
    async def main():
        await refused(server.port, signed(claims(aud="someone-else"), keys, "HS256", "h1"), label="wrong-aud")
        await refused(server.port, signed(claims(aud=None), keys, "HS256", "h1"), label="no-aud")
        await refused(server.port, signed(claims(iss="https://evil.example"), keys, "RS256", "r1"), label="wrong-iss")
        await refused(server.port, signed(claims(iss=None), keys, "RS256", "r1"), label="no-iss")
    run(main(), 20)


def test_garbage_tokens_refused(server):
    async def main():
        for i, t in enumerate(["garbage", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.",
                               b64url("{}") + "." + b64url("[]") + ".xx"]):
            await refused(server.port, t, label=f"garbage-{i}")
    run(main(), 20)


def test_missing_sub_or_exp_refused(server, keys):
    async def main():
        await refused(server.port, signed(claims(sub=None), keys, "HS256", "h1"), label="no-sub")
        no_exp = claims()
        del no_exp["exp"]
        await refused(server.port, signed(no_exp, keys, "HS256", "h1"), label="no-exp")
        await refused(server.port, signed(claims(sub="not a user id!"), keys, "HS256", "h1"), label="bad-sub")
    run(main(), 15)


# ---------------------------------------------------------------- expiry of open sessions

def test_token_expiring_while_connected_closes_4101(server, keys):
    async def main():
        exp = int(time.time()) + 2
        token = signed({**claims(), "exp": exp}, keys, "HS256", "h1")
        c = await accepted(server.port, token)
        code = await c.wait_closed(timeout=6)
        assert code == 4101, (code, c.close_reason)
        assert time.time() >= exp - 0.5, "closed well before exp"
        await c.close()
    run(main(), 15)


def test_refresh_keeps_the_session_alive(server, keys):
    async def main():
        exp = int(time.time()) + 2
        c = await accepted(server.port, signed({**claims(), "exp": exp}, keys, "HS256", "h1"))
        try:
            r = await c.ok("refresh", token=signed(claims(exp_in=3600), keys, "ES256", "e1"))
            assert isinstance(r["expiresAt"], int), r
            await asyncio.sleep(max(0, exp - time.time()) + 2.5)
            assert c.close_code is None, f"closed with {c.close_code} {c.close_reason!r} despite refresh"
            await c.ok("rooms")
        finally:
            await c.close()
    run(main(), 20)


def test_refresh_reply_expires_at_is_in_milliseconds(server, keys):
    """expiresAt is a time (§3): integer milliseconds since the Unix epoch, like
    protocol/vectors/refresh-token.json (exp 1764151200 -> 1764151200000)."""
    async def main():
        c = await accepted(server.port, signed(claims(), keys, "HS256", "h1"))
        try:
            fresh = claims(exp_in=3600)
            r = await c.ok("refresh", token=signed(fresh, keys, "ES256", "e1"))
            assert r["expiresAt"] == fresh["exp"] * 1000, \
                f"token exp {fresh['exp']} s; expected expiresAt {fresh['exp'] * 1000} ms, got {r['expiresAt']}"
        finally:
            await c.close()
    run(main(), 15)


def test_refresh_with_another_users_token_closes_4100(server, keys):
    async def main():
        c = await accepted(server.port, signed(claims("alice"), keys, "HS256", "h1"))
        reply = await c.command("refresh", token=signed(claims("bob"), keys, "HS256", "h1"))
        assert reply["ok"] is False and reply["error"]["code"] == 4100, reply
        assert await c.wait_closed() == 4100, c.close_reason
        await c.close()
    run(main(), 15)


def test_refresh_with_expired_or_invalid_token(server, keys):
    async def main():
        c = await accepted(server.port, signed(claims("alice"), keys, "HS256", "h1"))
        reply = await c.command("refresh", token=signed(claims(exp_in=-600), keys, "HS256", "h1"))
        assert reply["ok"] is False and reply["error"]["code"] == 4101, reply
        assert await c.wait_closed() == 4101, c.close_reason
        await c.close()
        c = await accepted(server.port, signed(claims("alice"), keys, "HS256", "h1"))
        reply = await c.command("refresh", token=unsigned({"alg": "none"}, claims()) + ".")
        assert reply["ok"] is False and reply["error"]["code"] == 4100, reply
        assert await c.wait_closed() == 4100, c.close_reason
        await c.close()
    run(main(), 15)


def test_degenerate_signatures_refused(server, keys):
    """Signatures of the wrong length or out of range are refused (and crash nothing)."""
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551   # P-256 order
    head_es = unsigned({"alg": "ES256", "kid": "e1"}, claims())
    head_rs = unsigned({"alg": "RS256", "kid": "r1"}, claims())
    head_hs = unsigned({"alg": "HS256", "kid": "h1"}, claims())
    sigs = [(head_es, bytes(64)), (head_es, n.to_bytes(32, "big") * 2), (head_es, b"\xff" * 64),
            (head_es, bytes(63)), (head_es, b""), (head_rs, bytes(256)), (head_rs, b"\x01"),
            (head_hs, bytes(32)), (head_hs, b"")]

    async def main():
        for i, (head, sig) in enumerate(sigs):
            await refused(server.port, f"{head}.{b64url(sig)}", label=f"degenerate-{i}")
        c = await accepted(server.port, signed(claims(), keys, "ES256", "e1"))
        await c.close()
    run(main(), 20)


def test_oversized_token_is_an_invalid_argument(server, keys):
    """§11: a token above 8,192 bytes is refused with 1002 (not a signature check)."""
    big = signed(claims(padding="x" * 9000), keys, "HS256", "h1")
    assert len(big) > 8192

    async def main():
        c = await ChatClient.open(server.port, label="big-token")
        try:
            reply = await c.command("connect", token=big)
            assert reply["ok"] is False and reply["error"]["code"] == 1002, reply
            assert reply["error"].get("field") == "token", reply
        finally:
            await c.close()
    run(main(), 15)
