"""Autobahn|Testsuite section 9: limits and performance.

9.1/9.2 single-frame text/binary up to 16 MiB (Rally's default limit, which
must be accepted), 9.3/9.4 a 4 MiB message in fragments of 64 B ... 4 MiB,
9.5/9.6 a 1 MiB message written in chops of 64 ... 2048 bytes, 9.7/9.8 1000
round trips of small messages. Autobahn only times these; here each must
echo correctly within a generous deadline.
"""
import time

from ab_session import Case, msg, run_session
from wsraw import OP_BINARY, OP_TEXT

CASES = []
KiB, MiB = 1024, 1024 * 1024


def add(case_id, run, desc=""):
    CASES.append(Case(case_id, run, desc))


def payload(n, opcode):
    # Text: printable ASCII (valid UTF-8 however it is cut). Binary: all 256
    # byte values, so a server that mangles bytes >= 0x80 is caught.
    unit = b"BAsd7&jh23" if opcode == OP_TEXT else bytes(range(256))
    return (unit * (n // len(unit) + 1))[:n]


def echo_big(n, opcode, frag_size=0, chop=None, timeout=60.0):
    def body(s):
        data = payload(n, opcode)
        try:
            s.ws.send_message(data, opcode, frag_size=frag_size, chop=chop)
        except OSError as e:
            # The server hung up mid-send: report what it said, if anything.
            s.expect(msg(data, opcode), timeout=5)
            raise AssertionError(f"sending failed: {e!r}") from None
        s.expect(msg(data, opcode), timeout=timeout)
        s.close_normally()
    return lambda server: run_session(server, body, timeout=10)


def round_trips(count, n, opcode, deadline=60.0):
    def body(s):
        data = payload(n, opcode)
        start = time.monotonic()
        for i in range(count):
            s.ws.send_message(data, opcode)
            m = s.ws.recv_message(10)
            assert (m.opcode, m.payload) == (opcode, data), f"round trip {i}: {m}"
            assert time.monotonic() - start < deadline, f"{i} round trips took > {deadline}s"
        s.close_normally()
    return lambda server: run_session(server, body)


SIZES = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB]
FRAGS = [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB]
CHOPS = [64, 128, 256, 512, 1024, 2048]
SMALL = [0, 16, 64, 256, 1024, 4096]

for sub, opcode in ((1, OP_TEXT), (2, OP_BINARY)):
    kind = "text" if opcode == OP_TEXT else "binary"
    for i, n in enumerate(SIZES, 1):
        add(f"9.{sub}.{i}", echo_big(n, opcode), f"{kind} message of {n} bytes")
    for i, f in enumerate(FRAGS, 1):
        add(f"9.{sub + 2}.{i}", echo_big(4 * MiB, opcode, frag_size=f),
            f"4 MiB {kind} message in fragments of {f}")
    for i, c in enumerate(CHOPS, 1):
        add(f"9.{sub + 4}.{i}", echo_big(1 * MiB, opcode, chop=c),
            f"1 MiB {kind} message written in chops of {c}")
    for i, n in enumerate(SMALL, 1):
        add(f"9.{sub + 6}.{i}", round_trips(1000, n, opcode),
            f"1000 {kind} round trips of {n} bytes")

CASES.sort(key=lambda c: [int(x) for x in c.id.split(".")])
