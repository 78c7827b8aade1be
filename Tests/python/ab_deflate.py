"""Autobahn|Testsuite sections 12 and 13: permessage-deflate (RFC 7692).

12.x: five kinds of payload (JSON, bitmap, German prose, HTML, PDF-like),
each in Autobahn's 18 size / auto-fragmentation steps, with the default
offer. 13.x: the JSON payload with Autobahn's seven offers (server
no-context-takeover, server_max_window_bits=8/15, several offers at once).
Plus a few offers Autobahn doesn't make (client_max_window_bits=N, a bare
offer).

The corpora are synthetic (generated, same character as Autobahn's files)
and Autobahn's 1000 messages per case are cut to a byte budget to keep the
suite fast; every message still makes a full round trip and is compared.
"""
import json
import random

from ab_session import Case, run_session
from wsraw import OP_BINARY, OP_TEXT, parse_extensions

CASES = []

# (payload size, auto-fragment size) - Autobahn's MSG_SIZES.
STEPS = [(16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0),
         (32768, 0), (65536, 0), (131072, 0),
         (8192, 256), (16384, 256), (32768, 256), (65536, 256), (131072, 256),
         (131072, 1024), (131072, 4096), (131072, 32768)]


def message_count(size, budget):
    return max(4, min(1000, budget // max(size, 1)))


# ----------------------------------------------------------------- corpora

def _json_corpus(rng, n):
    items, out = [], 0
    while out < n:
        item = {"id": rng.randrange(10 ** 9), "name": f"user{rng.randrange(5000)}",
                "tags": [rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(3)],
                "score": round(rng.random() * 100, 3), "active": rng.random() < 0.5}
        items.append(item)
        out += 100
    return json.dumps(items, indent=1).encode("ascii")[:n]


def _bitmap_corpus(rng, n):
    # 8-bit greyscale rows: smooth gradients with a little noise, like a photo.
    rows, width = [], 512
    for y in range(n // width + 1):
        rows.append(bytes((x // 2 + y // 3 + rng.randrange(8)) & 0xFF for x in range(width)))
    return b"".join(rows)[:n]


WORDS = ("Habe nun, ach! Philosophie, Juristerei und Medizin, und leider auch "
         "Theologie durchaus studiert, mit heißem Bemühn. Da steh ich nun, ich "
         "armer Tor! Und bin so klug als wie zuvor; Heiße Magister, heiße Doktor "
         "gar Grübeln Häuser Öfen Übermut schön für").split()


def _prose_corpus(rng, n):
    lines = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 12)))
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines).encode("utf-8")[:n]


def _html_corpus(rng, n):
    parts = ["<!DOCTYPE html><html><head><title>Data</title></head><body>\n"]
    while sum(map(len, parts)) < n:
        cls = rng.choice(["row", "cell", "item", "note"])
        parts.append(f'<div class="{cls}" id="n{rng.randrange(10 ** 6)}"><a href="/p/'
                     f'{rng.randrange(999)}">link {rng.randrange(99)}</a> <span>'
                     f'{rng.random():.6f}</span></div>\n')
    return "".join(parts).encode("ascii")[:n]


def _pdf_corpus(rng, n):
    # PDF-like: text object headers around incompressible "stream" bodies.
    out = bytearray(b"%PDF-1.4\n")
    while len(out) < n:
        k = rng.randrange(10000)
        out += f"{k} 0 obj << /Length 2048 /Filter /FlateDecode >>\nstream\n".encode()
        out += rng.randbytes(2048)
        out += b"\nendstream\nendobj\n"
    return bytes(out[:n])


def corpus(kind):
    rng = random.Random(kind)
    maker = {"json": _json_corpus, "bitmap": _bitmap_corpus, "prose": _prose_corpus,
             "html": _html_corpus, "pdf": _pdf_corpus}[kind]
    return maker(rng, 300 * 1024)


# Autobahn's 12.x order; binary ones are sent as binary messages (German
# prose too, as in Autobahn, since a slice may cut a UTF-8 sequence).
DATASETS = [("json", OP_TEXT), ("bitmap", OP_BINARY), ("prose", OP_BINARY),
            ("html", OP_TEXT), ("pdf", OP_BINARY)]
_CORPUS_CACHE = {}


def slices(kind, size, count):
    """Consecutive, wrapping slices of the corpus, like Autobahn's sendOne."""
    data = _CORPUS_CACHE.setdefault(kind, corpus(kind))
    pos = 0
    for _ in range(count):
        end = pos + size
        if end <= len(data):
            chunk = data[pos:end]
        else:
            end -= len(data)
            chunk = data[pos:] + data[:end]
        pos = end
        yield chunk


# ------------------------------------------------------------ negotiation

def check_response(offers, resp):
    """The accepted parameters are consistent with RFC 7692 and Rally's
    contract (both no_context_takeover flags), for at least one offer."""
    assert resp is not None, f"permessage-deflate not accepted (offered {offers!r})"
    assert "server_no_context_takeover" in resp and "client_no_context_takeover" in resp, \
        f"expected both *_no_context_takeover in the response, got {resp}"
    for name in ("server_max_window_bits", "client_max_window_bits"):
        if name in resp:
            assert resp[name] and 8 <= int(resp[name]) <= 15, f"bad {name} in {resp}"
    problems = []
    for name, offer in parse_extensions(offers):
        if name != PMD:
            continue
        p = []
        if "client_max_window_bits" in resp:
            if "client_max_window_bits" not in offer:
                p.append("client_max_window_bits answered but not offered")
            elif offer["client_max_window_bits"] and \
                    int(resp["client_max_window_bits"]) > int(offer["client_max_window_bits"]):
                p.append("client_max_window_bits larger than offered")
        if offer.get("server_max_window_bits") and "server_max_window_bits" in resp:
            if int(resp["server_max_window_bits"]) > int(offer["server_max_window_bits"]):
                p.append("server_max_window_bits larger than offered")
        if not p:
            return
        problems.append(p)
    raise AssertionError(f"response {resp} fits none of the offers {offers!r}: {problems}")


def exchange(offer, kind, opcode, size, frag, budget):
    def body(s):
        check_response(offer, s.ws.deflate)
        for i, data in enumerate(slices(kind, size, message_count(size, budget))):
            s.ws.send_message(data, opcode, compress=True, frag_size=frag)
            m = s.ws.recv_message(15)
            assert m.opcode == opcode, f"message {i}: echo opcode {m.opcode}, sent {opcode}"
            assert m.payload == data, \
                f"message {i}: echo of {len(m.payload)} bytes differs from the {size} sent"
        s.close_normally()
    return lambda server: run_session(server, body, extensions=offer)


PMD = "permessage-deflate"
DEFAULT_OFFER = f"{PMD}; client_no_context_takeover; client_max_window_bits"
OFFERS_13 = [
    DEFAULT_OFFER,
    f"{DEFAULT_OFFER}; server_no_context_takeover",
    f"{DEFAULT_OFFER}; server_max_window_bits=8",
    f"{DEFAULT_OFFER}; server_max_window_bits=15",
    f"{DEFAULT_OFFER}; server_no_context_takeover; server_max_window_bits=8",
    f"{DEFAULT_OFFER}; server_no_context_takeover; server_max_window_bits=15",
    f"{DEFAULT_OFFER}; server_no_context_takeover; server_max_window_bits=8, "
    f"{DEFAULT_OFFER}; server_no_context_takeover, {DEFAULT_OFFER}",
]

for j, (kind, opcode) in enumerate(DATASETS, 1):
    for i, (size, frag) in enumerate(STEPS, 1):
        CASES.append(Case(f"12.{j}.{i}", exchange(DEFAULT_OFFER, kind, opcode, size,
                                                   frag, budget=1024 * 1024),
                          f"{kind}: messages of {size}, auto-fragment {frag}"))
for j, offer in enumerate(OFFERS_13, 1):
    for i, (size, frag) in enumerate(STEPS, 1):
        CASES.append(Case(f"13.{j}.{i}", exchange(offer, "json", OP_TEXT, size, frag,
                                                   budget=256 * 1024),
                          f"offer {offer!r}: {size}, auto-fragment {frag}"))


# ----------------------------------------- offers Autobahn doesn't make

def extra_offer(offer, require_no_client_bits=False):
    def body(s):
        check_response(offer, s.ws.deflate)
        if require_no_client_bits:
            # RFC 7692 7.1.2.2: never answer client_max_window_bits the
            # client didn't offer (it might not support it).
            assert "client_max_window_bits" not in s.ws.deflate, s.ws.deflate
        for size in (0, 1, 100, 5000, 70000):
            data = bytes(slices("html", size, 1).__next__()) if size else b""
            s.ws.send_message(data, OP_TEXT, compress=True)
            m = s.ws.recv_message(10)
            assert (m.opcode, m.payload) == (OP_TEXT, data), f"size {size}: {m}"
        s.close_normally()
    return lambda server: run_session(server, body, extensions=offer)


CASES += [
    Case("deflate.bare_offer", extra_offer(PMD, require_no_client_bits=True)),
    Case("deflate.client_max_window_bits_10",
         extra_offer(f"{PMD}; client_max_window_bits=10")),
    Case("deflate.client_max_window_bits_9_server_bits_10",
         extra_offer(f"{PMD}; client_max_window_bits=9; server_max_window_bits=10")),
    Case("deflate.unknown_extension_first",
         extra_offer(f"x-unknown-ext; foo=1, {PMD}; client_max_window_bits")),
]
