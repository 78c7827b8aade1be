"""Autobahn-style expectations on top of wsraw, shared by the ab_* case lists.

Autobahn|Testsuite judges a case by (1) the sequence of events the peer
produced (messages, pongs, timeouts) and (2) how the connection closed. The
helpers here check the same two things, with Rally's stricter contract where
it has one (exact close codes, fail-fast UTF-8).
"""
import warnings
from dataclasses import dataclass
from typing import Callable

import pytest

from wsraw import (OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, FrameTimeout,
                   TCPClosed, WSClient)

NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED = 1000, 1001, 1002, 1003
INVALID_PAYLOAD, POLICY, TOO_BIG = 1007, 1008, 1009

OPNAMES = {OP_TEXT: "text", OP_BINARY: "binary", OP_PING: "ping", OP_PONG: "pong",
           OP_CLOSE: "close"}


@dataclass
class Case:
    """One Autobahn case: `id` like "5.19", `run(server)` performs it."""
    id: str
    run: Callable
    desc: str = ""

    @property
    def test_id(self):
        # Autobahn numbers become case_6_4_1; extra named cases keep their name.
        name = self.id.replace(".", "_")
        return "case_" + name if self.id[0].isdigit() else name


def params(cases):
    return [pytest.param(c, id=c.test_id) for c in cases]


def short(b: bytes, n=48):
    return repr(b[:n]) + (f"...(+{len(b) - n} bytes)" if len(b) > n else "")


# Event tuples used in expectations:
def msg(payload, opcode=OP_TEXT):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return ("message", opcode, bytes(payload))


def pong(payload=b""):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return ("pong", OP_PONG, bytes(payload))


class Session:
    """One connection to /echo, with expectation helpers."""

    def __init__(self, server, extensions=None, timeout=5.0, ssl_context=None):
        headers = {"Sec-WebSocket-Extensions": extensions} if extensions else None
        self.ws = WSClient.connect(server.host, server.port, headers=headers,
                                   ssl_context=ssl_context, timeout=timeout)
        self.closed_by_me = False

    # ----- sending (thin pass-throughs, for readable case code)

    def frames(self, frames, **kw):
        self.ws.send_frames(frames, **kw)

    def close(self, code=None, reason=b"", payload=None):
        self.closed_by_me = True
        self.ws.send_close(code, reason, payload)

    # ----- expectations

    def expect(self, *events, timeout=5.0):
        """The next events are exactly `events` (messages / pongs), in order."""
        for i, want in enumerate(events):
            where = f"event {i + 1} of {len(events)} (expected {want[0]} {short(want[2])})"
            try:
                m = self.ws.recv_message(timeout)
            except FrameTimeout:
                pytest.fail(f"timed out after {timeout}s waiting for {where}")
            except TCPClosed:
                pytest.fail(f"TCP closed while waiting for {where}")
            got_kind = "message" if not m.is_control else OPNAMES.get(m.opcode, hex(m.opcode))
            if m.opcode == OP_CLOSE:
                pytest.fail(f"got close (code {m.frames[0].close_code}, reason "
                            f"{m.frames[0].close_reason!r}) while waiting for {where}")
            got = (got_kind, m.opcode, m.payload)
            if got != want:
                pytest.fail(f"{where}: got {got_kind} "
                            f"{OPNAMES.get(m.opcode, m.opcode)} {short(m.payload)} "
                            f"(len {len(m.payload)}), want {OPNAMES.get(want[1])} "
                            f"len {len(want[2])}")

    def expect_silence(self, seconds):
        """Autobahn's 'timeout' expectation: nothing at all arrives."""
        try:
            f = self.ws.recv_frame(seconds)
        except FrameTimeout:
            return
        except TCPClosed:
            pytest.fail(f"server closed TCP where nothing should happen for {seconds}s")
        pytest.fail(f"expected nothing for {seconds}s, got {f}")

    def _next_frame_for_close(self, timeout, what):
        try:
            return self.ws.recv_frame(timeout)
        except FrameTimeout:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")

    def expect_close(self, codes, timeout=5.0, allow_empty=False):
        """After our close: the server answers with a close carrying one of
        `codes` (nothing else first) and then closes TCP itself."""
        codes = (codes,) if isinstance(codes, int) else tuple(codes)
        try:
            f = self._next_frame_for_close(timeout, f"the close reply {codes}")
        except TCPClosed:
            pytest.fail(f"server dropped TCP without answering the close (want {codes})")
        assert f.opcode == OP_CLOSE, f"expected a close frame {codes}, got {f}"
        self.check_close_frame(f, codes, allow_empty)
        self.expect_tcp_close(timeout)
        return f

    def expect_fail(self, code, timeout=5.0, first=None):
        """Autobahn 'fail the connection': the next thing is a close frame with
        exactly `code`, then TCP close. A bare TCP drop is allowed (as Autobahn
        does) but reported as a warning, because Rally should send the code.
        `first`: a frame the caller already received and wants judged."""
        try:
            f = first or self._next_frame_for_close(
                timeout, f"close {code} (failing the connection)")
        except TCPClosed:
            warnings.warn(f"server dropped TCP without a close frame (wanted {code})")
            return None
        assert f.opcode == OP_CLOSE, f"expected close {code}, got {f}"
        self.check_close_frame(f, (code,), False)
        if not self.closed_by_me:
            try:
                self.ws.send_close(code)
            except OSError:
                pass    # the server may already have closed; that's fine
        self.expect_tcp_close(timeout)
        return f

    def close_normally(self, code=NORMAL, reason=b"", timeout=5.0):
        """Autobahn's default ending: we close, the server echoes, TCP closes."""
        self.close(code, reason)
        return self.expect_close(code, timeout)

    def check_close_frame(self, f, codes, allow_empty):
        assert f.fin and f.rsv == 0, f"malformed close frame: {f}"
        if not f.payload and allow_empty:
            return
        assert len(f.payload) >= 2, f"close frame without a code (want {codes}): {f}"
        assert f.close_code in codes, \
            f"close code {f.close_code} (reason {f.close_reason!r}), want {codes}"
        f.close_reason.decode("utf-8")      # reason must be valid UTF-8

    def expect_tcp_close(self, timeout):
        closed, extra = self.ws.wait_tcp_close(timeout)
        assert not extra, f"frames after the close frame: {extra}"
        assert closed, f"server did not close TCP within {timeout}s after the close handshake"

    def abort(self):
        self.ws.abort()


def run_session(server, body, **kw):
    """Open a Session, run body(session), always drop the socket."""
    s = Session(server, **kw)
    try:
        body(s)
    finally:
        s.abort()
