"""RFC 6455 / RFC 7692 conformance, following the Autobahn|Testsuite case list.

Each Autobahn case is one pytest id (case_5_19, case_6_4_1, ...). The cases
themselves are data in the ab_* modules:

  ab_framing  1-5   framing, pings/pongs, reserved bits, opcodes, fragmentation
  ab_utf8     6     UTF-8 handling (incl. 6.4.x fail-fast)
  ab_close    7     close handling (7.7 valid / 7.9 invalid codes, 7.5.1)
  ab_limits   9     large and many messages
  ab_deflate  12-13 permessage-deflate payloads and parameter offers

plus Rally's --max-message-size limit (close 1009).
"""
import pytest

import ab_close
import ab_deflate
import ab_framing
import ab_limits
import ab_utf8
from ab_session import TOO_BIG, Case, params, run_session
from support import assert_serves_echo
from wsraw import OP_BINARY, OP_CONT, OP_TEXT


@pytest.fixture
def server(echo_server):
    """The shared default server; after every case it must still be alive,
    so a crash is pinned on the case that caused it."""
    yield echo_server
    echo_server.assert_alive()


@pytest.mark.parametrize("case", params(ab_framing.CASES))
def test_framing(case, server):
    case.run(server)


@pytest.mark.parametrize("case", params(ab_utf8.CASES))
def test_utf8(case, server):
    case.run(server)


@pytest.mark.parametrize("case", params(ab_close.CASES))
def test_close(case, server):
    case.run(server)


@pytest.mark.parametrize("case", params(ab_limits.CASES))
def test_limits(case, server):
    case.run(server)


@pytest.mark.parametrize("case", params(ab_deflate.CASES))
def test_deflate(case, server):
    case.run(server)


# ------------------------------------------------- --max-message-size 1024

LIMIT = 1024


@pytest.fixture(scope="module")
def small_limit_server(start_module_server):
    return start_module_server("--max-message-size", LIMIT)


def _at_limit(s):
    # Exactly the limit is allowed: "over it" fails.
    s.ws.send_message(b"t" * LIMIT, OP_TEXT)
    s.expect(("message", OP_TEXT, b"t" * LIMIT))
    s.ws.send_message(b"\x01" * LIMIT, OP_BINARY, frag_size=100)
    s.expect(("message", OP_BINARY, b"\x01" * LIMIT))
    s.close_normally()


def _over(send):
    def body(s):
        try:
            send(s)
        except OSError:
            pass    # the server may close before reading all we send
        s.expect_fail(TOO_BIG)
    return body


def _huge_header(s):
    # A header announcing 2 GiB followed by a few bytes: the server must
    # refuse on the announced length instead of waiting for 2 GiB.
    head = bytes([0x80 | OP_BINARY, 0x80 | 127]) + (2 ** 31).to_bytes(8, "big")
    s.ws.send_raw(head + b"\x00" * 4 + b"x" * 10)      # zero mask key, 10 bytes


MAX_SIZE_CASES = [
    Case("at_limit", _at_limit, "text and fragmented binary of exactly the limit"),
    Case("text_over", _over(lambda s: s.ws.send_message(b"t" * (LIMIT + 1), OP_TEXT))),
    Case("binary_over", _over(lambda s: s.ws.send_message(b"b" * (LIMIT + 1), OP_BINARY))),
    Case("fragmented_over", _over(lambda s: s.frames(
        [dict(opcode=OP_TEXT, payload=b"f" * 400, fin=False),
         dict(opcode=OP_CONT, payload=b"f" * 400, fin=False),
         dict(opcode=OP_CONT, payload=b"f" * 400, fin=True)]))),
    Case("announced_2gib", _over(_huge_header)),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"max_message_size_{c.id}")
                                  for c in MAX_SIZE_CASES])
def test_max_message_size(case, small_limit_server):
    run_session(small_limit_server, case.run)
    assert_serves_echo(small_limit_server)


def test_max_message_size_inflated(small_limit_server):
    """The limit applies to the message after decompression: 64 KiB of zeros
    deflate to ~100 bytes but must still be refused with 1009."""
    def body(s):
        assert s.ws.deflate is not None, "permessage-deflate was not negotiated"
        s.ws.send_message(b"\x00" * 65536, OP_BINARY, compress=True)
        s.expect_fail(TOO_BIG)
    run_session(small_limit_server, body, extensions="permessage-deflate")
    assert_serves_echo(small_limit_server)
