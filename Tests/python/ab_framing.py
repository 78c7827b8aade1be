"""Autobahn|Testsuite sections 1-5: framing, pings/pongs, reserved bits,
opcodes and fragmentation, as data: CASES is a list of ab_session.Case.

Payloads, frame sequences and expectations follow the Autobahn case
descriptions; where Autobahn accepts a NON-STRICT outcome but Rally's
contract is stricter (e.g. messages completed before a bad frame are echoed
first), the stricter outcome is asserted.
"""
import time

from ab_session import PROTOCOL_ERROR, Case, msg, pong, run_session
from wsraw import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT

# Pause between the pieces of "chopped" sends: long enough that the server
# really sees separate reads, short enough to keep the suite fast.
TICK = 0.001


def F(opcode, payload=b"", fin=True, rsv=0):
    """A frame spec for WSClient.send_frames()."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return dict(opcode=opcode, payload=payload, fin=fin, rsv=rsv)


def send(s, frames, chop=None, delay=0.0, per_frame=False, tolerate_close=False):
    """Send frames back to back (optionally chopped), or one write per frame
    with `delay` between. With tolerate_close, a send cut short because the
    server already failed the connection is not an error."""
    try:
        if per_frame:
            for f in frames:
                s.frames([f])
                time.sleep(delay)
        else:
            s.frames(frames, chop=chop, delay=delay)
    except OSError:
        if not tolerate_close:
            raise


def echo_case(frames, events, **send_kw):
    """Send `frames`, expect exactly `events`, then a normal close."""
    def body(s):
        send(s, frames, **send_kw)
        s.expect(*events)
        s.close_normally()
    return lambda server: run_session(server, body)


def fail_case(frames, events=(), code=PROTOCOL_ERROR, **send_kw):
    """Send `frames`, expect `events` (echoes of what was valid before the
    bad frame), then the server fails the connection with `code`."""
    def body(s):
        send(s, frames, tolerate_close=True, **send_kw)
        s.expect(*events)
        s.expect_fail(code)
    return lambda server: run_session(server, body)


CASES = []


def add(case_id, run, desc=""):
    CASES.append(Case(case_id, run, desc))


# ---- 1.1 / 1.2: text and binary messages of boundary lengths
SIZES = [0, 125, 126, 127, 128, 65535, 65536]
for i, n in enumerate(SIZES, 1):
    add(f"1.1.{i}", echo_case([F(OP_TEXT, b"*" * n)], [msg(b"*" * n)]),
        f"text message, payload {n}")
    add(f"1.2.{i}", echo_case([F(OP_BINARY, b"\xfe" * n)], [msg(b"\xfe" * n, OP_BINARY)]),
        f"binary message, payload {n}")
add("1.1.8", echo_case([F(OP_TEXT, b"*" * 65536)], [msg(b"*" * 65536)], chop=997),
    "text 65536 sent in chops of 997 octets")
add("1.2.8", echo_case([F(OP_BINARY, b"\xfe" * 65536)], [msg(b"\xfe" * 65536, OP_BINARY)],
                       chop=997), "binary 65536 sent in chops of 997 octets")

# ---- 2: pings and pongs
BIN8 = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
add("2.1", echo_case([F(OP_PING)], [pong()]), "ping without payload")
add("2.2", echo_case([F(OP_PING, "Hello, world!")], [pong("Hello, world!")]))
add("2.3", echo_case([F(OP_PING, BIN8)], [pong(BIN8)]), "ping with binary payload")
add("2.4", echo_case([F(OP_PING, b"\xfe" * 125)], [pong(b"\xfe" * 125)]))
add("2.5", fail_case([F(OP_PING, b"\xfe" * 126)]), "ping payload 126 > 125")
add("2.6", echo_case([F(OP_PING, b"\xfe" * 125)], [pong(b"\xfe" * 125)], chop=1,
                     delay=TICK), "ping 125 octets sent octet-wise")
add("2.7", echo_case([F(OP_PONG)], []), "unsolicited pong, no payload: ignored")
add("2.8", echo_case([F(OP_PONG, "unsolicited pong payload")], []))
add("2.9", echo_case([F(OP_PONG, "unsolicited pong payload"), F(OP_PING, "ping payload")],
                     [pong("ping payload")]))
PINGS = [f"payload-{i}" for i in range(10)]
add("2.10", echo_case([F(OP_PING, p) for p in PINGS], [pong(p) for p in PINGS]),
    "10 pings: 10 pongs in order")
add("2.11", echo_case([F(OP_PING, p) for p in PINGS], [pong(p) for p in PINGS],
                      chop=1, delay=TICK), "10 pings sent octet-wise")

# ---- 3: reserved bits (no extension negotiated, so any RSV bit is an error)
HW = "Hello, world!"
add("3.1", fail_case([F(OP_TEXT, HW, rsv=1)]))
add("3.2", fail_case([F(OP_TEXT, HW), F(OP_TEXT, HW, rsv=2), F(OP_PING, HW)], [msg(HW)]))
add("3.3", fail_case([F(OP_TEXT, HW), F(OP_TEXT, HW, rsv=3), F(OP_PING, HW)], [msg(HW)],
                     chop=1, delay=TICK))
add("3.4", fail_case([F(OP_TEXT, HW), F(OP_TEXT, HW, rsv=4), F(OP_PING, HW)], [msg(HW)],
                     chop=1, delay=TICK))
add("3.5", fail_case([F(OP_BINARY, BIN8, rsv=5)]))
add("3.6", fail_case([F(OP_PING, HW, rsv=6)]))
add("3.7", fail_case([F(OP_CLOSE, b"", rsv=7)]))

# ---- 4: reserved opcodes (non-control 3-7, control 11-15)
for group, ops in (("4.1", (3, 4, 5, 6, 7)), ("4.2", (11, 12, 13, 14, 15))):
    add(f"{group}.1", fail_case([F(ops[0])]), f"reserved opcode {ops[0]}")
    add(f"{group}.2", fail_case([F(ops[1], "reserved opcode payload")]))
    add(f"{group}.3", fail_case([F(OP_TEXT, HW), F(ops[2]), F(OP_PING, HW)], [msg(HW)]))
    for k, op in ((4, ops[3]), (5, ops[4])):
        add(f"{group}.{k}", fail_case([F(OP_TEXT, HW), F(op, "reserved opcode payload"),
                                       F(OP_PING, HW)], [msg(HW)]))

# ---- 5: fragmentation
FRAG2 = [F(OP_TEXT, "fragment1", fin=False), F(OP_CONT, "fragment2")]
add("5.1", fail_case([F(OP_PING, "fragment1", fin=False), F(OP_CONT, "fragment2")]),
    "fragmented ping")
add("5.2", fail_case([F(OP_PONG, "fragment1", fin=False), F(OP_CONT, "fragment2")]),
    "fragmented pong")
add("5.3", echo_case(FRAG2, [msg("fragment1fragment2")]))
add("5.4", echo_case(FRAG2, [msg("fragment1fragment2")], chop=1, delay=TICK))
add("5.5", echo_case(FRAG2, [msg("fragment1fragment2")], per_frame=True, delay=0.05))
WITH_PING = [FRAG2[0], F(OP_PING, "ping payload"), FRAG2[1]]
PONG_THEN_MSG = [pong("ping payload"), msg("fragment1fragment2")]
add("5.6", echo_case(WITH_PING, PONG_THEN_MSG), "ping between fragments")
add("5.7", echo_case(WITH_PING, PONG_THEN_MSG, chop=1, delay=TICK))
add("5.8", echo_case(WITH_PING, PONG_THEN_MSG, per_frame=True, delay=0.05))
for base, fin in ((9, True), (12, False)):
    seq = [F(OP_CONT, "non-continuation payload", fin=fin), F(OP_TEXT, HW)]
    add(f"5.{base}", fail_case(seq), f"continuation (fin={fin}) with nothing to continue")
    add(f"5.{base + 1}", fail_case(seq, per_frame=True, delay=0.05))
    add(f"5.{base + 2}", fail_case(seq, chop=1, delay=TICK))
add("5.15", fail_case([F(OP_TEXT, "fragment1", fin=False), F(OP_CONT, "fragment2"),
                       F(OP_CONT, "fragment3", fin=False), F(OP_TEXT, "fragment4")],
                      [msg("fragment1fragment2")]))
add("5.16", fail_case([F(OP_CONT, "fragment1", fin=False), F(OP_TEXT, "fragment2", fin=False),
                       F(OP_CONT, "fragment3")] * 2))
add("5.17", fail_case([F(OP_CONT, "fragment1"), F(OP_TEXT, "fragment2", fin=False),
                       F(OP_CONT, "fragment3")] * 2))
add("5.18", fail_case([F(OP_TEXT, "fragment1", fin=False), F(OP_TEXT, "fragment2")]),
    "two text frames where the second should be a continuation")


def pings_between_fragments(per_frame):
    """5.19/5.20: the first pong must arrive while the message is still
    incomplete (during the 1 s pause), the second before the echo."""
    parts = [f"fragment{i}" for i in range(1, 6)]
    first = [F(OP_TEXT, parts[0], fin=False), F(OP_CONT, parts[1], fin=False),
             F(OP_PING, "pongme 1!")]
    second = [F(OP_CONT, parts[2], fin=False), F(OP_CONT, parts[3], fin=False),
              F(OP_PING, "pongme 2!"), F(OP_CONT, parts[4])]

    def body(s):
        for batch, events in ((first, [pong("pongme 1!")]),
                              (second, [pong("pongme 2!"), msg("".join(parts))])):
            send(s, batch, per_frame=per_frame, delay=0.01 if per_frame else 0.0)
            s.expect(*events, timeout=1.0 if batch is first else 5.0)
            if batch is first:
                s.expect_silence(1.0)
        s.close_normally()
    return lambda server: run_session(server, body)


add("5.19", pings_between_fragments(False))
add("5.20", pings_between_fragments(True))
CASES.sort(key=lambda c: [int(x) for x in c.id.split(".")])
