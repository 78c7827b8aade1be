"""Autobahn|Testsuite section 7: close handling.

7.1 what happens around a close frame, 7.3 close payload lengths, 7.5.1 an
invalid UTF-8 close reason, 7.7 valid close codes (echoed), 7.9 and 7.13
invalid close codes (1002). Rally's contract fixes the exact codes: valid
codes 1000-1003, 1007-1011, 3000-4999 are echoed; 0-999, 1004-1006, 1016,
1100, 2000, 2999, >= 5000 and a 1-byte payload get 1002.
"""
from ab_framing import F, send
from ab_session import (INVALID_PAYLOAD, NORMAL, PROTOCOL_ERROR, Case, msg,
                        run_session)
from wsraw import OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, close_payload

CASES = []


def add(case_id, run, desc=""):
    CASES.append(Case(case_id, run, desc))


def closing(frames, echoes=(), codes=(NORMAL,), allow_empty=False):
    """Send frames that include our close; expect `echoes` (what the server
    had to answer before our close), then its close with one of `codes`, then
    TCP close - and nothing else (no pong, no echo after the close)."""
    def body(s):
        s.closed_by_me = True
        send(s, frames, tolerate_close=True)
        s.expect(*echoes)
        s.expect_close(codes, allow_empty=allow_empty)
    return lambda server: run_session(server, body)


def failing(frames, code):
    def body(s):
        s.closed_by_me = True
        send(s, frames, tolerate_close=True)
        s.expect_fail(code)
    return lambda server: run_session(server, body)


def CLOSE(code=None, reason=b""):
    return F(OP_CLOSE, close_payload(code, reason))


# ---- 7.1 basic close behaviour
add("7.1.1", closing([F(OP_TEXT, "Hello World"), CLOSE(NORMAL)], [msg("Hello World")]),
    "message then close: echo, then clean close")
add("7.1.2", closing([CLOSE(NORMAL), CLOSE(NORMAL)]), "two closes: second ignored")
add("7.1.3", closing([CLOSE(NORMAL), F(OP_PING, "Hello World")]),
    "ping after close: no pong")
add("7.1.4", closing([CLOSE(NORMAL), F(OP_TEXT, "Hello World")]),
    "text after close: not echoed")
add("7.1.5", closing([F(OP_TEXT, "fragment1", fin=False), CLOSE(NORMAL),
                      F(OP_CONT, "fragment2")]),
    "fragment, close, rest of the message: not echoed")


def big_then_close(server):
    """7.1.6: a 256 KiB message, 'Hello World!', close and ping back to back.
    Autobahn leaves it implementation-defined whether the messages come back
    before the close; what is checked: nothing after the close frame, a
    clean close with 1000, and whatever is echoed is complete and in order."""
    big = (b"BAsd7&jh23" * 26215)[:256 * 1024]

    def body(s):
        s.closed_by_me = True
        send(s, [F(OP_TEXT, big), F(OP_TEXT, "Hello World!"), CLOSE(NORMAL),
                 F(OP_PING)], tolerate_close=True)
        echoed = []
        while True:
            m = s.ws.recv_message(10)
            if m.opcode == OP_CLOSE:
                s.check_close_frame(m.frames[0], (NORMAL,), False)
                s.expect_tcp_close(5)
                break
            assert m.opcode == OP_TEXT, f"unexpected {m} before the close"
            echoed.append(m.payload)
        assert echoed in ([], [big], [big, b"Hello World!"]), \
            f"echoes before close: {[len(e) for e in echoed]}"
    return run_session(server, body)


add("7.1.6", big_then_close)

# ---- 7.3 close frame payload lengths
add("7.3.1", closing([CLOSE()], allow_empty=True),
    "empty close: answered with an empty close or 1000")
add("7.3.2", failing([F(OP_CLOSE, b"a")], PROTOCOL_ERROR), "1-byte close payload")
add("7.3.3", closing([CLOSE(NORMAL)]))
add("7.3.4", closing([CLOSE(NORMAL, "Hello World!")]))
add("7.3.5", closing([CLOSE(NORMAL, b"*" * 123)]), "reason of maximum length 123")
add("7.3.6", failing([CLOSE(NORMAL, b"*" * 124)], PROTOCOL_ERROR),
    "reason of 124: control payload 126 > 125")

# ---- 7.5.1 invalid UTF-8 in the close reason
add("7.5.1", failing([CLOSE(NORMAL, bytes.fromhex(
    "cebae1bdb9cf83cebcceb5eda080656469746564"))], INVALID_PAYLOAD))

# ---- 7.7 valid codes: the server echoes the code it received
VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
for i, code in enumerate(VALID, 1):
    add(f"7.7.{i}", closing([CLOSE(code)], codes=(code,)), f"valid close code {code}")

# ---- 7.9 / 7.13 invalid codes: 1002
INVALID = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]
for i, code in enumerate(INVALID, 1):
    add(f"7.9.{i}", failing([CLOSE(code)], PROTOCOL_ERROR), f"invalid close code {code}")
add("7.13.1", failing([CLOSE(5000)], PROTOCOL_ERROR), "close code 5000")
add("7.13.2", failing([CLOSE(65535)], PROTOCOL_ERROR), "close code 65535")
