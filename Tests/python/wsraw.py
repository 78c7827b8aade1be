"""A small raw-socket WebSocket client (RFC 6455 + RFC 7692) for tests.

Unlike a real client library it never "fixes" anything: it sends exactly the
bytes a test asks for (any opcode, FIN/RSV bits, masked or not, chopped into
pieces with pauses), and reports exactly what arrives (every frame, TCP close),
so a test can check the server's behaviour on the wire.
"""
import socket
import ssl
import time
from dataclasses import dataclass

# The wire format lives in wsframes; re-exported so tests import one module.
from wsframes import (DEFLATE_TAIL, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING,
                      OP_PONG, OP_TEXT, Frame, Message, accept_for, apply_mask,
                      build_frame, close_payload, deflate_message, inflate_message,
                      new_key, parse_extensions)

__all__ = ["OP_CONT", "OP_TEXT", "OP_BINARY", "OP_CLOSE", "OP_PING", "OP_PONG",
           "DEFLATE_TAIL", "Frame", "Message", "accept_for", "apply_mask", "build_frame",
           "close_payload", "deflate_message", "inflate_message", "new_key",
           "parse_extensions", "TCPClosed", "FrameTimeout", "HTTPResponse",
           "build_request", "open_socket", "WSClient"]


class TCPClosed(Exception):
    """The peer closed the TCP connection (FIN, RST or TLS close)."""


class FrameTimeout(Exception):
    """Nothing (complete) arrived within the timeout."""


# ------------------------------------------------------------------- HTTP

@dataclass
class HTTPResponse:
    status: int
    reason: str
    headers: list          # [(name, value)] in arrival order
    body: bytes = b""
    raw_head: bytes = b""

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


def build_request(path="/echo", host="127.0.0.1", method="GET",
                  version="HTTP/1.1", headers=None, key=None) -> tuple[bytes, str]:
    """A valid upgrade request, edited by `headers`: {name: value} replaces or
    adds a header, {name: None} removes it. Returns (bytes, key)."""
    key = key or new_key()
    base = [("Host", host), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
    edits = dict(headers or {})
    lower_edits = {k.lower(): (k, v) for k, v in edits.items()}
    out = []
    for k, v in base:
        if k.lower() in lower_edits:
            nk, nv = lower_edits.pop(k.lower())
            if nv is not None:
                out.append((nk, nv))
        else:
            out.append((k, v))
    out += [(k, v) for k, v in lower_edits.values() if v is not None]
    text = f"{method} {path} {version}\r\n"
    text += "".join(f"{k}: {v}\r\n" for k, v in out) + "\r\n"
    return text.encode("latin-1"), key


def open_socket(host, port, ssl_context=None, timeout=5.0, server_hostname=None):
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ssl_context is not None:
        sock = ssl_context.wrap_socket(sock, server_hostname=server_hostname or host)
    return sock


# ------------------------------------------------------------------ client

class WSClient:
    def __init__(self, sock, strict=True):
        self.sock = sock
        self.buf = bytearray()
        self.strict = strict         # complain about masked/RSV server frames
        self.deflate = None          # negotiated permessage-deflate params
        self.response = None
        self._frag_frames = []       # data frames of a message in progress

    # ----- connection set-up

    @classmethod
    def connect(cls, host, port, path="/echo", headers=None, ssl_context=None,
                timeout=5.0, expect_status=101):
        """TCP (+TLS) connect and handshake; asserts the expected status."""
        c = cls(open_socket(host, port, ssl_context, timeout))
        resp = c.handshake(path, headers, timeout=timeout)
        if expect_status is not None and resp.status != expect_status:
            c.abort()
            raise AssertionError(
                f"handshake to {path}: expected {expect_status}, got {resp.status} "
                f"{resp.reason}\n{resp.raw_head.decode('latin-1')}")
        return c

    def handshake(self, path="/echo", headers=None, timeout=5.0, **kw):
        request, key = build_request(path=path, headers=headers, **kw)
        self.send_raw(request)
        resp = self.read_http_response(timeout)
        self.response = resp
        if resp.status == 101:
            got = resp.header("Sec-WebSocket-Accept")
            assert got == accept_for(key), \
                f"bad Sec-WebSocket-Accept {got!r}, expected {accept_for(key)!r}"
            offered = {n for n, _ in parse_extensions(
                (headers or {}).get("Sec-WebSocket-Extensions") or "")}
            for name, params in parse_extensions(", ".join(
                    resp.header_all("Sec-WebSocket-Extensions"))):
                # RFC 6455 9.1: a server may only accept what was offered.
                assert name in offered, f"server accepted extension {name!r}, not offered"
                if name == "permessage-deflate":
                    self.deflate = params
        return resp

    def read_http_response(self, timeout=5.0) -> HTTPResponse:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            try:
                more = self._fill(deadline)
            except FrameTimeout:
                raise FrameTimeout(f"no complete HTTP response within {timeout}s: "
                                   f"{bytes(self.buf[:200])!r}") from None
            if not more:
                raise TCPClosed(f"closed before a full HTTP response: {bytes(self.buf)!r}")
        end = self.buf.index(b"\r\n\r\n") + 4
        head = bytes(self.buf[:end])
        del self.buf[:end]
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers.append((k.strip(), v.strip()))
        resp = HTTPResponse(status, reason, headers, raw_head=head)
        if status != 101:
            resp.body = self._read_body(resp, deadline)
        return resp

    def _read_body(self, resp, deadline):
        length = resp.header("Content-Length")
        if length is not None:
            n = int(length)
            while len(self.buf) < n and self._fill(deadline):
                pass
            body = bytes(self.buf[:n])
            del self.buf[:n]
            return body
        # No length: the body runs to the end of the connection (give up
        # quietly at the deadline: only the status matters then).
        try:
            while self._fill(deadline):
                pass
        except FrameTimeout:
            pass
        body = bytes(self.buf)
        self.buf.clear()
        return body

    # ----- low-level I/O

    def _fill(self, deadline) -> bool:
        """Read more bytes into buf. False on EOF/reset; FrameTimeout at deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FrameTimeout()
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            raise FrameTimeout() from None
        except (ssl.SSLError, OSError):
            # RST, TLS alert/abrupt EOF: all count as "the peer closed".
            return False
        if not data:
            return False
        self.buf += data
        return True

    def send_raw(self, data: bytes, chop=None, delay=0.0, timeout=30.0):
        """Send bytes, optionally in chunks of `chop` bytes with `delay` s pauses."""
        self.sock.settimeout(timeout)
        if not chop:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), chop):
            self.sock.sendall(data[i:i + chop])
            if delay:
                time.sleep(delay)

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, mask=True,
                   mask_key=None, chop=None, delay=0.0):
        self.send_raw(build_frame(opcode, payload, fin, rsv, mask, mask_key),
                      chop=chop, delay=delay)

    def send_frames(self, frames, chop=None, delay=0.0):
        """frames: iterable of build_frame() kwargs dicts or raw bytes; sent as
        one write (or chopped) so they arrive back to back."""
        data = b"".join(f if isinstance(f, (bytes, bytearray)) else build_frame(**f)
                        for f in frames)
        self.send_raw(data, chop=chop, delay=delay)

    def recv_frame(self, timeout=5.0) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            frame = self._parse_frame()
            if frame is not None:
                return frame
            if not self._fill(deadline):
                raise TCPClosed(f"TCP closed ({len(self.buf)} unparsed bytes)")

    def _parse_frame(self):
        b = self.buf
        if len(b) < 2:
            return None
        n = b[1] & 0x7F
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n, pos = int.from_bytes(b[2:4], "big"), 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, pos = int.from_bytes(b[2:10], "big"), 10
        masked = bool(b[1] & 0x80)
        key = b""
        if masked:
            if len(b) < pos + 4:
                return None
            key, pos = bytes(b[pos:pos + 4]), pos + 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        if masked:
            payload = apply_mask(payload, key)
        f = Frame(bool(b[0] & 0x80), (b[0] >> 4) & 7, b[0] & 0xF, masked, payload)
        del b[:pos + n]
        if self.strict:
            assert not f.masked, f"server sent a masked frame: {f}"
        return f

    # ----- messages

    def send_message(self, payload, opcode=OP_TEXT, compress=False,
                     frag_size=0, chop=None, delay=0.0):
        """Send a data message, optionally compressed and/or fragmented into
        frames of `frag_size` payload bytes (of the compressed data)."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        rsv = 0
        if compress:
            assert self.deflate is not None, "permessage-deflate not negotiated"
            bits = self.deflate.get("client_max_window_bits")
            payload = deflate_message(payload, int(bits) if bits else 15)
            rsv = 4
        if not frag_size or len(payload) <= frag_size:
            self.send_frame(opcode, payload, rsv=rsv, chop=chop, delay=delay)
            return
        pieces = [payload[i:i + frag_size] for i in range(0, len(payload), frag_size)]
        frames = []
        for i, piece in enumerate(pieces):
            frames.append(dict(opcode=opcode if i == 0 else OP_CONT, payload=piece,
                               fin=i == len(pieces) - 1, rsv=rsv if i == 0 else 0))
        self.send_frames(frames, chop=chop, delay=delay)

    def recv_message(self, timeout=5.0) -> Message:
        """Next complete data message (reassembled, inflated if RSV1), or the
        next control frame as a Message, whichever comes first. A fragmented
        message in progress survives control frames returned in between."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv_frame(max(deadline - time.monotonic(), 0.001))
            if f.opcode >= 0x8:
                assert f.rsv == 0 or not self.strict, f"control frame with RSV: {f}"
                assert f.fin and len(f.payload) <= 125, f"bad control frame: {f}"
                return Message(f.opcode, f.payload, [f])
            if f.opcode != OP_CONT:
                assert not self._frag_frames, f"new data frame inside a message: {f}"
            else:
                assert self._frag_frames, f"continuation with nothing to continue: {f}"
            if self.strict:
                allowed = 4 if (self.deflate is not None and f.opcode != OP_CONT) else 0
                assert f.rsv & ~allowed == 0, f"unexpected RSV bits from server: {f}"
            self._frag_frames.append(f)
            if f.fin:
                frames, self._frag_frames = self._frag_frames, []
                data = b"".join(fr.payload for fr in frames)
                if frames[0].rsv & 4:
                    data = inflate_message(data)
                if frames[0].opcode == OP_TEXT and self.strict:
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError as e:
                        raise AssertionError(f"server sent invalid UTF-8 text: {e}") from None
                return Message(frames[0].opcode, data, frames)

    # ----- closing

    def send_close(self, code=None, reason=b"", payload=None, **kw):
        if payload is None:
            payload = close_payload(code, reason)
        self.send_frame(OP_CLOSE, payload, **kw)

    def wait_tcp_close(self, timeout=5.0):
        """Wait for the server to close TCP. Returns (closed, extra_frames):
        frames arriving meanwhile are returned so a test can object to them."""
        deadline = time.monotonic() + timeout
        extra = []
        while True:
            try:
                extra.append(self.recv_frame(max(deadline - time.monotonic(), 0.001)))
            except TCPClosed:
                return True, extra
            except FrameTimeout:
                return False, extra

    def abort(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.abort()
