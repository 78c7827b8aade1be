"""wss:// with Python's ssl client: TLS 1.2 and 1.3 work (with an ECDSA P-256
and an RSA 2048 certificate), TLS 1.1 is refused, and junk on the TLS port
does not hurt the server.
"""
import socket
import ssl
import subprocess
import time
import warnings

import pytest

from support import assert_serves_echo, client_tls_context
from wsraw import OP_BINARY, OP_TEXT, WSClient, build_request, open_socket

VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


@pytest.fixture(scope="module", params=["ecdsa", "rsa"])
def tls_server(request, certs, start_module_server):
    cert, key = certs[request.param]
    server = start_module_server("--tls-cert", cert, "--tls-key", key)
    assert server.scheme == "wss", "with --tls-cert the server must announce wss://"
    server.cert, server.key = cert, key
    return server


@pytest.mark.parametrize("version", list(VERSIONS))
def test_tls_version_then_echo(tls_server, version):
    ctx = client_tls_context(tls_server.cert, VERSIONS[version])
    with WSClient.connect(tls_server.host, tls_server.port, ssl_context=ctx) as c:
        assert c.sock.version() == version
        for opcode, data in ((OP_TEXT, "über TLS".encode()), (OP_BINARY, bytes(range(256)) * 300)):
            c.send_message(data, opcode)
            m = c.recv_message(5)
            assert (m.opcode, m.payload) == (opcode, data)


def test_default_client_negotiates_tls13(tls_server):
    ctx = client_tls_context(tls_server.cert)
    with WSClient.connect(tls_server.host, tls_server.port, ssl_context=ctx) as c:
        assert c.sock.version() == "TLSv1.3"


@pytest.mark.parametrize("size", [2 << 20, 5 << 20])
def test_message_larger_than_the_outbound_limit_is_echoed_over_tls(certs, start_server, size):
    """The outbound limit is a backlog limit: one message larger than it (within the message
    size limit) reaches a client that reads, over TLS as over plain TCP."""
    cert, key = certs["ecdsa"]
    server = start_server("--tls-cert", cert, "--tls-key", key, "--max-outbound-bytes", str(1 << 20))
    ctx = client_tls_context(cert)
    data = bytes(range(256)) * (size // 256)
    with WSClient.connect(server.host, server.port, ssl_context=ctx) as c:
        c.send_message(data, OP_BINARY)
        m = c.recv_message(20)
        assert (m.opcode, len(m.payload)) == (OP_BINARY, len(data))
        assert m.payload == data
    server.assert_alive()


# ---------------------------------------------------------------- TLS 1.1

def tls11_context(cert):
    """A client that can only speak TLS 1.1 (with the legacy ciphers and SHA-1
    signatures that needs, hence security level 0)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert)
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # deprecated: the point
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def openssl_tls11_server(tls_server, tmp_path):
    """`openssl s_server` accepting only TLS 1.1, with the same certificate."""
    port = free_port()
    log = tmp_path / "s_server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
             "-cert", tls_server.cert, "-key", tls_server.key,
             "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
            stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while b"ACCEPT" not in log.read_bytes():
            assert proc.poll() is None, f"s_server exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"s_server not ready: {log.read_text()}"
            time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait()


def tls_handshake(port, ctx):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.version()


def test_tls11_refused(tls_server, openssl_tls11_server):
    ctx = tls11_context(tls_server.cert)
    # The very same client completes TLS 1.1 with openssl: so a failure
    # against Rally is Rally refusing TLS 1.1, not this client being unable.
    assert tls_handshake(openssl_tls11_server, ctx) == "TLSv1.1"
    with pytest.raises((ssl.SSLError, ConnectionError, socket.timeout)):
        version = tls_handshake(tls_server.port, ctx)
        pytest.fail(f"Rally accepted a {version} handshake")
    assert_serves_echo(tls_server, client_tls_context(tls_server.cert))


# ------------------------------------------------------- junk on the port

def expect_hangup(sock, timeout=5.0):
    """The server must end the connection (FIN/RST), possibly after a TLS
    alert; it must not answer as if this were a WebSocket handshake."""
    sock.settimeout(timeout)
    received = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            break
        except socket.timeout:
            pytest.fail(f"server kept a junk connection open for {timeout}s")
        if not data:
            break
        received += data
    assert b"101 Switching Protocols" not in received, received


def test_plaintext_http_on_tls_port(tls_server):
    raw, _ = build_request()
    with socket.create_connection((tls_server.host, tls_server.port), timeout=5) as s:
        s.sendall(raw)
        expect_hangup(s)
    assert_serves_echo(tls_server, client_tls_context(tls_server.cert))


@pytest.mark.parametrize("junk", [
    b"\x16\x03\x01\x00\xff\x01\x00\x00\xfb\x03\x03" + b"\x00" * 20,  # truncated ClientHello
    b"\x16\x03\x01\xff\xff" + bytes(range(256)) * 4,                 # absurd record length
    b"\x15\x03\x03\x00\x02\x02\x28",                                 # an alert, unasked
], ids=["truncated_client_hello", "bad_record", "stray_alert"])
def test_tls_junk_does_not_hurt(tls_server, junk):
    with socket.create_connection((tls_server.host, tls_server.port), timeout=5) as s:
        s.sendall(junk)
        if junk.startswith(b"\x16\x03\x01\x00\xff"):
            s.shutdown(socket.SHUT_WR)     # truncated: nothing more is coming
        expect_hangup(s, timeout=10)
    assert_serves_echo(tls_server, client_tls_context(tls_server.cert))


def test_silent_client_then_real_one(tls_server):
    # A client that connects and says nothing must not block others (the
    # server runs a single event loop: --loops 1).
    idle = open_socket(tls_server.host, tls_server.port)
    try:
        assert_serves_echo(tls_server, client_tls_context(tls_server.cert))
    finally:
        idle.close()
