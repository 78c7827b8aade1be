"""Interoperability with a real third-party client: Python `websockets`
(asyncio API), over ws:// and wss:// (ECDSA and RSA certificates), with
permessage-deflate negotiated by the client's default offer.
"""
import asyncio
import contextlib
import os
import random

import pytest

websockets = pytest.importorskip("websockets", reason="pip install websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.extensions.permessage_deflate import PerMessageDeflate  # noqa: E402

from support import client_tls_context  # noqa: E402

MiB = 1024 * 1024


@pytest.fixture(scope="module", params=["ws", "wss-ecdsa", "wss-rsa"])
def target(request, certs, start_module_server):
    """(url, ssl context or None) of a server of each transport kind."""
    if request.param == "ws":
        server = start_module_server()
        return server.url("/echo"), None
    cert, key = certs[request.param.split("-")[1]]
    server = start_module_server("--tls-cert", cert, "--tls-key", key)
    return server.url("/echo"), client_tls_context(cert)


def run(coro, timeout=60):
    """Run one async scenario with a hard deadline, so nothing can hang."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def client(target, **kw):
    url, ctx = target
    kw.setdefault("max_size", 17 * MiB)
    ws = await connect(url, ssl=ctx, open_timeout=10, close_timeout=5,
                       ping_interval=None, **kw)
    try:
        yield ws
    finally:
        # Not `async with connect(...)`: its exit path can raise a secondary
        # error that buries the test's real failure.
        try:
            await asyncio.wait_for(ws.close(), 10)
        except Exception:
            pass


def deflate_of(ws):
    return [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]


def text_payload(n, seed=1):
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "δέλτα", "€uro", "naïve", "日本", "x"]
    out, size = [], 0
    while size < n:
        w = rng.choice(words)
        out.append(w)
        size += len(w.encode()) + 1
    return " ".join(out).encode()[:n].decode("utf-8", "ignore")


async def echo(ws, message):
    try:
        await ws.send(message)
        got = await ws.recv()
    except ConnectionClosed as e:
        raise AssertionError(f"connection closed during the echo of {len(message)} "
                             f"bytes: {e}") from None
    assert type(got) is type(message), f"sent {type(message).__name__}, got {type(got).__name__}"
    assert got == message, f"echo of {len(message)} differs (got {len(got)})"


def test_text_and_binary(target):
    async def scenario():
        async with client(target) as ws:
            await echo(ws, "hello, Rally ✓")
            await echo(ws, "")
            await echo(ws, b"\x00\x01\xfe\xff" * 1000)
            await echo(ws, b"")
            await ws.close()
            rcvd = ws.protocol.close_rcvd
            assert rcvd is not None and rcvd.code == 1000, f"close reply: {rcvd}"
    run(scenario())


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_16mib_message(target, kind):
    async def scenario():
        async with client(target) as ws:
            if kind == "text":
                await echo(ws, text_payload(16 * MiB - 8) + "end.")
            else:
                await echo(ws, os.urandom(16 * MiB))
    run(scenario(), timeout=120)


def test_permessage_deflate_negotiated(target):
    async def scenario():
        async with client(target) as ws:   # the default offer includes deflate
            assert deflate_of(ws), "permessage-deflate was not negotiated"
            header = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            assert "permessage-deflate" in header
            assert "server_no_context_takeover" in header, header
            assert "client_no_context_takeover" in header, header
            for n in (1, 100, 1000, 10_000, 100_000, 1_000_000):
                await echo(ws, text_payload(n, seed=n))
                await echo(ws, (b"compressible binary " * (n // 20 + 1))[:n])
            await echo(ws, os.urandom(200_000))     # incompressible still works
    run(scenario())


def test_without_compression(target):
    async def scenario():
        async with client(target, compression=None) as ws:
            assert not deflate_of(ws)
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            await echo(ws, text_payload(50_000))
    run(scenario())


def test_ping_pong(target):
    async def scenario():
        async with client(target) as ws:
            latency = await asyncio.wait_for(await ws.ping(b"are you there"), 5)
            assert latency < 5
            await echo(ws, "after ping")
    run(scenario())


def test_many_concurrent_clients(target):
    # One event loop (--loops 1) must interleave many connections fairly.
    async def one(i):
        async with client(target) as ws:
            for j in range(20):
                await echo(ws, f"client {i} message {j} " + "x" * (i * 37 % 3000))
    async def scenario():
        await asyncio.gather(*(one(i) for i in range(30)))
    run(scenario())
