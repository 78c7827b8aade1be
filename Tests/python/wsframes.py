"""The WebSocket wire format for the test client: frame encoding and
parsing, masking, close payloads, and permessage-deflate (RFC 7692) message
compression with Python's zlib. No I/O here: see wsraw.py for the client.
"""
import base64
import hashlib
import os
import zlib
from dataclasses import dataclass, field

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFLATE_TAIL = b"\x00\x00\xff\xff"


# ----------------------------------------------------------------- framing

def accept_for(key: str) -> str:
    digest = hashlib.sha1((key + WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def new_key() -> str:
    return base64.b64encode(os.urandom(16)).decode("ascii")


def apply_mask(data: bytes, key: bytes) -> bytes:
    # XOR through one big integer: ~100x faster than a per-byte loop, which
    # matters for the 16 MiB cases.
    n = len(data)
    if n == 0:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    x = int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")
    return x.to_bytes(n, "little")


def build_frame(opcode, payload=b"", fin=True, rsv=0, mask=True,
                mask_key=None) -> bytes:
    """Encode one frame exactly as asked (no validation on purpose)."""
    payload = bytes(payload)
    head = bytearray([(0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += n.to_bytes(2, "big")
    else:
        head.append(mbit | 127)
        head += n.to_bytes(8, "big")
    if mask:
        key = mask_key if mask_key is not None else os.urandom(4)
        return bytes(head) + key + apply_mask(payload, key)
    return bytes(head) + payload


def close_payload(code=None, reason=b"") -> bytes:
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return int(code).to_bytes(2, "big") + reason


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes

    @property
    def close_code(self):
        return int.from_bytes(self.payload[:2], "big") if len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:]

    def __repr__(self):
        shown = self.payload[:40]
        more = "..." if len(self.payload) > 40 else ""
        return (f"Frame(op={self.opcode:#x}, fin={self.fin}, rsv={self.rsv}, "
                f"masked={self.masked}, len={len(self.payload)}, {shown!r}{more})")


@dataclass
class Message:
    """A complete data message, or a control frame passed through as-is."""
    opcode: int
    payload: bytes
    frames: list = field(default_factory=list)

    @property
    def is_control(self):
        return self.opcode >= 0x8


# ---------------------------------------------------------- permessage-deflate

def deflate_message(data: bytes, window_bits: int = 15, level: int = 6) -> bytes:
    """Compress one message with no context takeover (RFC 7692 7.2.1)."""
    # zlib refuses an 8-bit raw window; 9 bits never emits distances > 250,
    # so it stays decodable by an 8-bit peer (the same trick zlib uses).
    wbits = max(window_bits, 9)
    c = zlib.compressobj(level, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    if out.endswith(DEFLATE_TAIL):
        out = out[:-4]
    return out


def inflate_message(data: bytes, window_bits: int = 15, max_size: int = 0) -> bytes:
    d = zlib.decompressobj(-window_bits)
    out = d.decompress(data + DEFLATE_TAIL, max_size)
    return out


def parse_extensions(value: str):
    """'a; x; y=1, b' -> [('a', {'x': None, 'y': '1'}), ('b', {})]."""
    result = []
    for item in (value or "").split(","):
        parts = [p.strip() for p in item.split(";") if p.strip()]
        if not parts:
            continue
        params = {}
        for p in parts[1:]:
            k, eq, v = p.partition("=")
            params[k.strip().lower()] = v.strip().strip('"') if eq else None
        result.append((parts[0].lower(), params))
    return result
