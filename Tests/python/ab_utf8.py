"""Autobahn|Testsuite section 6: UTF-8 handling in text messages.

6.1-6.4 are hand-written sequences (empty, fragmented, fail-fast); 6.5-6.23
are the test vectors from Markus Kuhn's UTF-8 decoder stress test, in the
order and grouping Autobahn uses, with validity decided by Python's strict
UTF-8 codec (which rejects surrogates, overlongs and > U+10FFFF exactly as
RFC 3629 does).
"""
import warnings

from ab_framing import F, send
from ab_session import INVALID_PAYLOAD, Case, msg, run_session
from wsraw import OP_CONT, OP_TEXT, FrameTimeout, TCPClosed, build_frame

CASES = []


def add(case_id, run, desc=""):
    CASES.append(Case(case_id, run, desc))


def valid(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def text_case(frames, message: bytes, **send_kw):
    """Send the frames of one text message: echoed if `message` is valid
    UTF-8, else the connection fails with 1007."""
    def body(s):
        send(s, frames, tolerate_close=not valid(message), **send_kw)
        if valid(message):
            s.expect(msg(message))
            s.close_normally()
        else:
            s.expect_fail(INVALID_PAYLOAD)
    return lambda server: run_session(server, body)


def octetwise(payload: bytes):
    """One text message as one frame per payload byte."""
    return [F(OP_TEXT if i == 0 else OP_CONT, payload[i:i + 1], fin=i == len(payload) - 1)
            for i in range(len(payload))]


# ---- 6.1 empty payloads
add("6.1.1", text_case([F(OP_TEXT, b"")], b""))
add("6.1.2", text_case([F(OP_TEXT, b"", fin=False), F(OP_CONT, b"", fin=False),
                        F(OP_CONT, b"")], b""))
add("6.1.3", text_case([F(OP_TEXT, b"", fin=False), F(OP_CONT, "middle frame payload",
                                                       fin=False), F(OP_CONT, b"")],
                       b"middle frame payload"))

# ---- 6.2 valid UTF-8, various fragmentations
HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode("utf-8")
KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")     # "κόσμε"
cut = len("Hello-µ@ßöä".encode("utf-8"))             # a code point boundary
add("6.2.1", text_case([F(OP_TEXT, HELLO)], HELLO))
add("6.2.2", text_case([F(OP_TEXT, HELLO[:cut], fin=False), F(OP_CONT, HELLO[cut:])], HELLO))
add("6.2.3", text_case(octetwise(HELLO), HELLO))
add("6.2.4", text_case(octetwise(KOSME), KOSME))

# ---- 6.3 invalid UTF-8 (a surrogate, U+D800, in the middle)
BAD = bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564")
add("6.3.1", text_case([F(OP_TEXT, BAD)], BAD))
add("6.3.2", text_case(octetwise(BAD), BAD))


# ---- 6.4 fail fast
def fail_fast(parts, same_frame):
    """Send part 1, stay quiet; send part 2 (which makes the text invalid)
    and expect 1007 *before* part 3 is sent.

    With parts in separate frames (6.4.1/6.4.2) that is Rally's contract:
    fail on the first invalid byte even in a non-final fragment. With parts as
    chops of one frame (6.4.3/6.4.4) Autobahn also accepts the NON-STRICT
    outcome - failing once the frame is complete - so that is accepted, with
    a warning."""
    def body(s):
        if same_frame:
            frame = build_frame(OP_TEXT, b"".join(parts))
            a = len(frame) - len(b"".join(parts)) + len(parts[0])
            b = a + len(parts[1])
            pieces = [frame[:a], frame[a:b], frame[b:]]
        else:
            pieces = [build_frame(OP_TEXT, parts[0], fin=False),
                      build_frame(OP_CONT, parts[1], fin=False),
                      build_frame(OP_CONT, parts[2])]
        s.ws.send_raw(pieces[0])
        s.expect_silence(0.5)          # part 1 alone is fine: no close yet
        s.ws.send_raw(pieces[1])
        try:
            first = s.ws.recv_frame(1.0 if same_frame else 3.0)
        except TCPClosed:
            first = None               # expect_fail sees (and judges) the drop
        except FrameTimeout:
            if not same_frame:
                raise AssertionError("no close 1007 within 3 s of the invalid fragment "
                                     "(part 3 not sent): the server did not fail fast"
                                     ) from None
            warnings.warn("NON-STRICT: 1007 only after the whole frame arrived")
            s.ws.send_raw(pieces[2])
            first = None
        s.expect_fail(INVALID_PAYLOAD, first=first)
    return lambda server: run_session(server, body)


P1 = KOSME
add("6.4.1", fail_fast([P1, bytes.fromhex("f4908080"), b"edited"], False))
add("6.4.2", fail_fast([P1 + b"\xf4", b"\x90", bytes.fromhex("8080") + b"edited"], False))
add("6.4.3", fail_fast([P1, bytes.fromhex("f4908080"), b"edited"], True))
add("6.4.4", fail_fast([P1 + b"\xf4", b"\x90", bytes.fromhex("8080") + b"edited"], True))


# ---- 6.5 - 6.23: Kuhn's stress-test vectors, one text frame each
def kuhn_groups():
    groups = [
        [b"hello\x24world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld",
         b"hello\xf0\xa4\xad\xa2world", KOSME],                       # 6.5 valid text
        [KOSME[:i] for i in range(1, len(KOSME) + 1)],                # 6.6 prefixes
        [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"],  # 6.7 first of length
        [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"],       # 6.8 5/6-byte forms
        [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"],  # 6.9 last of length
        [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf",
         b"\xfd\xbf\xbf\xbf\xbf\xbf"],                                # 6.10 beyond U+10FFFF
        [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf",
         b"\xf4\x90\x80\x80"],                                        # 6.11 boundaries
        [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
         b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf",
         bytes(range(0x80, 0xbf))],                                   # 6.12 stray continuation
        [b"".join(bytes([c, 0x20]) for c in range(lo, hi))
         for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb),
                        (0xfc, 0xfd))],                               # 6.13 lonely starts
        MISSING_LAST,                                                 # 6.14
        [b"".join(MISSING_LAST)],                                     # 6.15 concatenated
        [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"],                      # 6.16 impossible
        [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
         b"\xfc\x80\x80\x80\x80\xaf"],                                # 6.17 overlong '/'
        [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
         b"\xfc\x83\xbf\xbf\xbf\xbf"],                                # 6.18 max overlong
        [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
         b"\xfc\x80\x80\x80\x80\x80"],                                # 6.19 overlong NUL
        [bytes.fromhex(h) for h in ("eda080", "edadbf", "edae80", "edafbf", "edb080",
                                    "edbe80", "edbfbf")],             # 6.20 lone surrogates
        [bytes.fromhex(h) for h in ("eda080edb080", "eda080edbfbf", "edadbfedb080",
                                    "edadbfedbfbf", "edae80edb080", "edae80edbfbf",
                                    "edafbfedb080", "edafbfedbfbf")],  # 6.21 pairs
        NONCHARACTERS,                                                # 6.22 (valid)
        [bytes([0xef, 0xbf, b]) for b in range(0xb9, 0xc0)],          # 6.23 specials
    ]
    return groups


MISSING_LAST = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80",
                b"\xfc\x80\x80\x80\x80", b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf",
                b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
# U+FFFE/U+FFFF and U+nFFFE/U+nFFFF for planes 1-16: noncharacters, but
# perfectly valid UTF-8 that must be echoed.
NONCHARACTERS = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"] + [
    chr(plane * 0x10000 + low).encode("utf-8")
    for plane in range(1, 17) for low in (0xfffe, 0xffff)]

for g, group in enumerate(kuhn_groups(), start=5):
    for i, payload in enumerate(group, start=1):
        add(f"6.{g}.{i}", text_case([F(OP_TEXT, payload)], payload),
            ("valid" if valid(payload) else "invalid") + f" UTF-8 {payload.hex()}")
