"""The opening handshake (RFC 6455 section 4) and Rally's plain HTTP routes.

Every test ends by proving the server still serves a fresh connection, so a
request that crashes or wedges the server fails the test that sent it.
"""
import base64
import json
import os

import pytest

from support import assert_serves_echo
from wsraw import OP_TEXT, TCPClosed, WSClient, accept_for, build_request, open_socket

GOOD_ORIGINS = ["https://good.example", "https://also-good.example:8443"]


@pytest.fixture
def server(echo_server):
    yield echo_server
    assert_serves_echo(echo_server)


@pytest.fixture(scope="module")
def origin_server(start_module_server):
    args = []
    for o in GOOD_ORIGINS:
        args += ["--allowed-origin", o]
    return start_module_server(*args)


def exchange(server, raw: bytes, timeout=5.0):
    """Send raw request bytes, return the parsed HTTP response."""
    with WSClient(open_socket(server.host, server.port, timeout=timeout)) as c:
        try:
            c.send_raw(raw)
        except OSError:
            pass     # it may answer and close before reading all of a huge request
        try:
            return c.read_http_response(timeout)
        except TCPClosed as e:
            raise AssertionError(f"no HTTP response, connection closed: {e}") from None


def upgrade(server, path="/echo", headers=None, method="GET", version="HTTP/1.1"):
    raw, _ = build_request(path=path, headers=headers, method=method, version=version)
    return exchange(server, raw)


def plain(server, method, path, extra=""):
    return exchange(server, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
                            "Connection: close\r\nContent-Length: 0\r\n\r\n".encode())


def assert_status(resp, *statuses):
    if resp.status not in statuses:
        raise AssertionError(f"status {resp.status}, want {' or '.join(map(str, statuses))}"
                             f"\n{resp.raw_head.decode('latin-1').strip()}")


# ------------------------------------------------------------- upgrades

def test_valid_upgrade(server):
    key = base64.b64encode(os.urandom(16)).decode()
    with WSClient(open_socket(server.host, server.port)) as c:
        raw, _ = build_request(key=key)
        c.send_raw(raw)
        resp = c.read_http_response()
        assert_status(resp, 101)
        assert resp.header("Sec-WebSocket-Accept") == accept_for(key)
        assert resp.header("Upgrade").lower() == "websocket"
        assert "upgrade" in [t.strip().lower() for t in resp.header("Connection").split(",")]
        assert resp.header("Sec-WebSocket-Extensions") is None, "no extension was offered"
        c.send_message("hello", OP_TEXT)
        m = c.recv_message()
        assert (m.opcode, m.payload) == (OP_TEXT, b"hello")


@pytest.mark.parametrize("headers", [
    pytest.param({"Connection": "keep-alive, Upgrade"}, id="connection_token_list"),
    pytest.param({"Upgrade": "WebSocket", "Connection": "upgrade"}, id="mixed_case_values"),
    pytest.param({"User-Agent": "test", "Sec-WebSocket-Protocol": "chat"}, id="extra_headers"),
])
def test_upgrade_variants_accepted(server, headers):
    with WSClient.connect(server.host, server.port, headers=headers) as c:
        c.send_message("x", OP_TEXT)
        assert c.recv_message().payload == b"x"


def test_lowercase_header_names(server):
    key = base64.b64encode(os.urandom(16)).decode()
    raw = ("GET /echo HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\n"
           f"connection: Upgrade\r\nsec-websocket-key: {key}\r\n"
           "sec-websocket-version: 13\r\n\r\n").encode()
    resp = exchange(server, raw)
    assert_status(resp, 101)
    assert resp.header("Sec-WebSocket-Accept") == accept_for(key)


@pytest.mark.parametrize("version", ["12", "14", "garbage", None],
                         ids=["v12", "v14", "garbage", "missing"])
def test_unsupported_version_426(server, version):
    resp = upgrade(server, headers={"Sec-WebSocket-Version": version})
    assert_status(resp, 426)
    advertised = [v.strip() for h in resp.header_all("Sec-WebSocket-Version")
                  for v in h.split(",")]
    assert "13" in advertised, f"426 must advertise Sec-WebSocket-Version: 13\n{resp.raw_head}"


@pytest.mark.parametrize("key", [
    None,
    base64.b64encode(b"x" * 15).decode(),
    base64.b64encode(b"x" * 17).decode(),
    "not base64 at all!!!!!!!",
    "",
], ids=["missing", "15_bytes", "17_bytes", "not_base64", "empty"])
def test_bad_key_400(server, key):
    assert_status(upgrade(server, headers={"Sec-WebSocket-Key": key}), 400)


def test_post_upgrade_rejected(server):
    assert_status(upgrade(server, method="POST"), 400, 405)


@pytest.mark.parametrize("headers", [
    pytest.param({"Upgrade": None}, id="missing_upgrade"),
    pytest.param({"Upgrade": "h2c"}, id="upgrade_not_websocket"),
    pytest.param({"Connection": None}, id="missing_connection"),
    pytest.param({"Connection": "keep-alive"}, id="connection_without_upgrade"),
])
def test_missing_upgrade_headers_400(server, headers):
    assert_status(upgrade(server, headers=headers), 400)


def test_http10_not_upgraded(server):
    # RFC 6455 4.1: the upgrade needs HTTP/1.1 or later.
    resp = upgrade(server, version="HTTP/1.0")
    assert resp.status != 101
    assert 400 <= resp.status <= 505, resp.raw_head


# -------------------------------------------------------------- origins

def echo_with_origin(server, origin):
    with WSClient.connect(server.host, server.port, headers={"Origin": origin}) as c:
        c.send_message("from " + origin, OP_TEXT)
        assert c.recv_message().payload == ("from " + origin).encode()


@pytest.mark.parametrize("origin", ["https://evil.example", "https://good.example.evil",
                                    "http://good.example", "null"])
def test_origin_not_allowed_403(origin_server, origin):
    assert_status(upgrade(origin_server, headers={"Origin": origin}), 403)
    origin_server.assert_alive()
    echo_with_origin(origin_server, GOOD_ORIGINS[0])


@pytest.mark.parametrize("origin", GOOD_ORIGINS)
def test_origin_allowed_101(origin_server, origin):
    echo_with_origin(origin_server, origin)


# ---------------------------------------------------------- HTTP routes

def test_healthz_200(server):
    resp = plain(server, "GET", "/healthz")
    assert_status(resp, 200)
    assert json.loads(resp.body) == {"status": "ok"}, resp.body


@pytest.mark.parametrize("path", ["/nope", "/echo/extra", "/healthzz"])
def test_unknown_path_404(server, path):
    assert_status(plain(server, "GET", path), 404)


def test_upgrade_on_unknown_path_404(server):
    assert_status(upgrade(server, path="/not-an-endpoint"), 404)


@pytest.mark.parametrize("method,path", [("POST", "/healthz"), ("DELETE", "/healthz"),
                                         ("PUT", "/echo")])
def test_non_get_known_path_405(server, method, path):
    assert_status(plain(server, method, path), 405)


# ---------------------------------------------------- malformed requests

def test_oversize_request_line_414(server):
    raw, _ = build_request(path="/" + "a" * 65536)
    assert_status(exchange(server, raw), 414)


def test_too_many_headers_431(server):
    filler = {f"X-Filler-{i}": "v" for i in range(1000)}
    raw, _ = build_request(headers=filler)
    assert_status(exchange(server, raw), 431)


@pytest.mark.parametrize("raw", [
    b"THIS IS NOT HTTP\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /echo HTTP/1.1\r\nHost 127.0.0.1\r\nNo-Colon-Here\r\n\r\n",
], ids=["words", "binary", "no_target", "header_without_colon"])
def test_garbage_request_400(server, raw):
    assert_status(exchange(server, raw), 400)
