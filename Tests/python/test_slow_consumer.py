"""Back-pressure: a client that never reads must be closed with 4001 ("slow
consumer") once its outbound queue passes --max-outbound-bytes, while the
server's memory stays bounded and other clients keep being served.
"""
import os
import socket
import struct
import threading
import time

import pytest

from support import assert_serves_echo
from wsraw import (OP_BINARY, OP_CLOSE, OP_TEXT, FrameTimeout, TCPClosed, WSClient,
                   build_frame)

KiB, MiB = 1024, 1024 * 1024
LIMIT = 1 * MiB
SLOW_CLIENTS = 8
MESSAGE = 64 * KiB
SEND_CAP = 12 * MiB   # > LIMIT + kernel buffers (4 MiB sndbuf max + 64 KiB rcvbuf)
RSS_HEADROOM_KIB = 64 * 1024


@pytest.fixture
def server(start_server):
    return start_server("--max-outbound-bytes", LIMIT)


def connect_small_window(server):
    """Connect with a small receive buffer, so the kernel soaks up little of
    what the server sends and its own queue has to grow."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KiB)
    sock.settimeout(5)
    sock.connect((server.host, server.port))
    c = WSClient(sock)
    resp = c.handshake()
    assert resp.status == 101, resp.raw_head
    return c


def slow_consumer(server, result):
    """Send 64 KiB messages without reading until blocked, refused or at the
    cap; then read everything and see how the server ended the connection."""
    c = connect_small_window(server)
    frame = build_frame(OP_BINARY, os.urandom(MESSAGE))   # reused: same bytes each time
    sent = 0
    c.sock.settimeout(2.0)
    try:
        while sent < SEND_CAP:
            c.sock.sendall(frame)
            sent += MESSAGE
        result["stopped"] = "cap"
    except socket.timeout:
        result["stopped"] = "send blocked"
    except OSError as e:
        result["stopped"] = f"send failed: {e!r}"
    result["sent"] = sent
    echoed = 0
    try:
        while True:
            f = c.recv_frame(10)
            if f.opcode == OP_CLOSE:
                result["close"] = (f.close_code, f.close_reason)
                try:
                    c.send_close(f.close_code)
                except OSError:
                    pass
                result["tcp_closed"] = c.wait_tcp_close(3)[0]
                break
            echoed += len(f.payload)
    except TCPClosed:
        result["tcp_closed"] = True
    except FrameTimeout:
        result["timeout"] = True
    finally:
        result["echoed"] = echoed
        c.abort()


def normal_client(server, stop, result):
    """Round trips on another connection all along; none may stall."""
    worst, count = 0.0, 0
    with WSClient.connect(server.host, server.port) as c:
        while not stop.is_set():
            t = time.monotonic()
            c.send_message(b"ping %d" % count, OP_TEXT)
            m = c.recv_message(3)
            assert m.payload == b"ping %d" % count, m
            worst = max(worst, time.monotonic() - t)
            count += 1
            time.sleep(0.02)
    result.update(worst=worst, count=count)


def rss_sampler(server, stop, samples):
    while not stop.is_set():
        try:
            samples.append(server.rss_kib())
        except (OSError, AssertionError):
            break
        time.sleep(0.05)


def run_thread(target, *args):
    errors = []

    def wrapper():
        try:
            target(*args)
        except BaseException as e:          # surfaced by the test, not lost
            errors.append(e)
    t = threading.Thread(target=wrapper, daemon=True)
    t.start()
    return t, errors


def test_slow_consumers_closed_with_4001(server):
    # Warm up (first connection, allocator pools), then take the baseline.
    assert_serves_echo(server)
    baseline = server.rss_kib()

    stop = threading.Event()
    samples, normal = [], {}
    sampler, _ = run_thread(rss_sampler, server, stop, samples)
    normal_t, normal_err = run_thread(normal_client, server, stop, normal)

    results = [{} for _ in range(SLOW_CLIENTS)]
    slow = [run_thread(slow_consumer, server, r) for r in results]
    for t, _ in slow:
        t.join(60)
    stop.set()
    normal_t.join(10)
    sampler.join(5)

    for i, ((t, err), r) in enumerate(zip(slow, results)):
        assert not t.is_alive(), f"slow client {i} still running after 60 s"
        assert not err, f"slow client {i} raised {err[0]!r}"
        assert not r.get("timeout"), (
            f"slow client {i} was never disconnected: sent {r['sent']} bytes "
            f"({r['stopped']}), read back {r['echoed']}, then nothing for 10 s")
        if "close" in r:
            code, reason = r["close"]
            assert code == 4001, f"slow client {i}: close {code} {reason!r}, want 4001"
            assert reason == b"slow_consumer", f"close reason {reason!r}"   # protocol §10: the code's name
        else:
            assert r.get("tcp_closed"), f"slow client {i}: {r}"

    assert not normal_err, f"normal client failed while slow ones were active: {normal_err[0]!r}"
    assert normal["count"] > 0 and normal["worst"] < 3, normal

    peak = max(samples, default=baseline)
    assert peak <= baseline + RSS_HEADROOM_KIB, (
        f"server RSS peaked at {peak // 1024} MiB, baseline {baseline // 1024} MiB: "
        f"more than {RSS_HEADROOM_KIB // 1024} MiB for {SLOW_CLIENTS} slow consumers")
    assert_serves_echo(server)


def test_reading_client_not_closed(server):
    """The same volume from a client that does read (8 messages in flight at
    most, 512 KiB, under the limit) must never be cut off."""
    payload = os.urandom(MESSAGE)
    with WSClient.connect(server.host, server.port) as c:
        for _ in range(SEND_CAP // MESSAGE // 8):
            for _ in range(8):
                c.send_message(payload, OP_BINARY)
            for _ in range(8):
                m = c.recv_message(10)
                assert (m.opcode, m.payload) == (OP_BINARY, payload), m
        c.send_close(1000)
        f = c.recv_frame(5)
        assert (f.opcode, f.close_code) == (OP_CLOSE, 1000), f


def test_unread_then_disconnect_frees_server(server):
    """A client that floods without reading and then just vanishes (RST)
    must not leave the server stuck: others are served right after."""
    for _ in range(4):
        c = connect_small_window(server)
        frame = build_frame(OP_BINARY, b"\xab" * MESSAGE)
        c.sock.settimeout(1.0)
        try:
            for _ in range(64):
                c.sock.sendall(frame)
        except OSError:
            pass
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.abort()                                   # linger 0: close sends RST
    assert_serves_echo(server)
