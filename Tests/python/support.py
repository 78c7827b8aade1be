"""Small helpers shared by several test modules."""
import ssl

from wsraw import OP_TEXT, WSClient


def assert_serves_echo(server, ssl_context=None):
    """The server is alive and a brand-new connection still gets an echo:
    run after anything hostile, to prove it did not crash or wedge."""
    server.assert_alive()
    with WSClient.connect(server.host, server.port, ssl_context=ssl_context) as c:
        c.send_message(b"still alive?", OP_TEXT)
        m = c.recv_message(5)
        assert (m.opcode, m.payload) == (OP_TEXT, b"still alive?"), m


def client_tls_context(cert, version=None):
    """A verifying client context that trusts exactly `cert` (self-signed);
    optionally pinned to one TLS version (an ssl.TLSVersion)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert)
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    return ctx
