#!/usr/bin/env python3
"""Reads must not stall appends: an unrelated sender's ack latency, without and then with a
storm of cheap-to-send, expensive-to-answer reads, against one running server.

Set-up (through the HTTP API, pipelined on one keep-alive connection): ROOMS group rooms of
EVENTS messages each, whose members are ATTACKERS users; one quiet room with one sender.
Then, in one run:
  1. baseline: the sender posts RATE messages a second for DURATION seconds; ack latency;
  2. storm: the same, while ATTACKERS processes (one per attacker user) reconnect in a loop,
     each connect asking to recover every room from its first event (a recovery read from the
     store, up to the per-connect budget), then `rooms` (unread counts) and `history` pages.
Prints the sender's ack p50/p99/max per phase and the storm's work (connects, replayed events).

    S=secret; rally-server --jwt-key hs256:secret=env:S --api-key KEY ... &
    python3 bench/readstorm.py --port P --api-key KEY --secret S [--rooms 50 --events 1000 --attackers 8]

The sender and each attacker run in processes of their own (the attackers at nice 15), so the
attackers' decoding does not delay the sender's clock.
"""
import argparse
import asyncio
import os
import socket
import json
import multiprocessing
import statistics
import time

import jwt
from websockets.asyncio.client import connect as ws_connect


def token(secret, user):
    now = int(time.time())
    return jwt.encode({"sub": user, "iat": now, "exp": now + 3600}, secret, algorithm="HS256")


def pipelined(port, key, requests):
    """Sends (method, path, body) requests on one keep-alive connection, pipelined in chunks;
    returns the parsed JSON bodies in order."""
    out = []
    for start in range(0, len(requests), 200):
        chunk = requests[start:start + 200]
        raw = b""
        for method, path, body in chunk:
            data = json.dumps(body).encode() if body is not None else b""
            raw += (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(raw)
            buffer = b""
            for method, path, _ in chunk:
                while b"\r\n\r\n" not in buffer:
                    more = sock.recv(65536)
                    if not more:
                        raise SystemExit(f"{method} {path}: connection closed")
                    buffer += more
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                               if line.lower().startswith("content-length:")), 0)
                while len(buffer) < length:
                    buffer += sock.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                if status >= 300:
                    raise SystemExit(f"{method} {path}: {status} {body[:200]!r}")
                out.append(json.loads(body) if body else None)
    return out


def set_up(args):
    attackers = [f"{args.prefix}-attacker{i}" for i in range(args.attackers)]
    rooms = [f"{args.prefix}:storm{r}" for r in range(args.rooms)]
    requests = [("POST", "/api/rooms", {"id": room, "kind": "group"}) for room in rooms]
    requests += [("PUT", f"/api/rooms/{room}/members", {"members": [{"user": a, "role": "member"} for a in attackers]})
                 for room in rooms]
    requests += [("POST", "/api/rooms", {"id": f"{args.prefix}:quiet", "kind": "group"}),
                 ("PUT", f"/api/rooms/{args.prefix}:quiet/members", {"members": [{"user": f"{args.prefix}-sender", "role": "member"}]})]
    pipelined(args.port, args.api_key, requests)
    # The positions attackers recover from: each room's last membership event, before any message.
    firsts = pipelined(args.port, args.api_key, [("GET", f"/api/rooms/{room}/history?limit=1", None) for room in rooms])
    positions = [{"room": page["room"], "epoch": page["epoch"], "id": page["events"][-1]["id"]} for page in firsts]
    text = "x" * args.text
    posts = [("POST", f"/api/rooms/{room}/messages", {"text": f"{text} {i}", "cmid": f"s{i}"})
             for room in rooms for i in range(args.events)]
    started = time.time()
    pipelined(args.port, args.api_key, posts)
    print(f"set-up: {len(rooms)} rooms x {args.events} events in {time.time() - started:.1f} s", flush=True)
    return attackers, positions


async def attack(port, secret, user, positions, rooms, stop_at, counter):
    while time.time() < stop_at:
        try:
            async with ws_connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["rally.v1"], max_size=None,
                                  open_timeout=10) as ws:
                await ws.send(json.dumps({"id": "c", "cmd": "connect", "token": token(secret, user), "positions": positions}))
                replayed = 0
                commands = [{"id": "r", "cmd": "rooms"}] + [
                    {"id": f"h{i}", "cmd": "history", "room": rooms[i % len(rooms)], "limit": 100} for i in range(3)]
                sent = False
                pending = set()
                deadline = time.time() + 10
                while time.time() < deadline:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if frame.get("push") == "event":
                        replayed += 1
                    elif frame.get("id") == "c":
                        counter["connects"] += 1
                        if not frame.get("ok"):
                            counter["refused"] += 1
                            break
                    if not sent and frame.get("id") == "c":
                        for command in commands:
                            await ws.send(json.dumps(command))
                            pending.add(command["id"])
                        sent = True
                    if frame.get("id") in pending:
                        pending.discard(frame["id"])
                        if not pending:
                            break
                counter["replayed"] += replayed
        except Exception as error:  # noqa: BLE001 - a refused or cut connection is part of the storm
            counter["errors"] += 1
            await asyncio.sleep(0.05)


def attacker_process(port, secret, user, positions, rooms, seconds, results):
    # The attackers share the client core with the sender: they yield to it, so that what the
    # sender measures is the server's delay, not its neighbours' on the client side.
    os.nice(15)
    counter = {"connects": 0, "refused": 0, "replayed": 0, "errors": 0}
    stop_at = time.time() + seconds
    asyncio.run(attack(port, secret, user, positions, rooms, stop_at, counter))
    results.put(counter)


async def send_at_rate(port, secret, user, room, rate, seconds, tag):
    latencies = []
    async with ws_connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["rally.v1"], max_size=None) as ws:
        await ws.send(json.dumps({"id": "c", "cmd": "connect", "token": token(secret, user)}))
        while json.loads(await ws.recv()).get("id") != "c":
            pass
        sent_at = {}
        done = asyncio.Event()
        total = int(rate * seconds)

        async def reader():
            while len(latencies) < total:
                frame = json.loads(await ws.recv())
                if "ok" in frame and frame.get("id") in sent_at:
                    latencies.append((time.perf_counter() - sent_at.pop(frame["id"])) * 1000)
            done.set()

        task = asyncio.create_task(reader())
        start = time.perf_counter()
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            cid = f"{tag}{i}"
            sent_at[cid] = time.perf_counter()
            await ws.send(json.dumps({"id": cid, "cmd": "send", "room": room, "text": f"quiet {i}", "cmid": cid}))
        await asyncio.wait_for(done.wait(), 30)
        task.cancel()
    return latencies


def report(name, latencies):
    ordered = sorted(latencies)
    p = lambda q: ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * q)))]
    print(f"RESULT phase={name} acks={len(ordered)} p50_ms={statistics.median(ordered):.2f} "
          f"p99_ms={p(0.99):.2f} max_ms={ordered[-1]:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--prefix", default="rs")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--text", type=int, default=100, help="characters per message")
    parser.add_argument("--attackers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=100, help="the sender's messages per second")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--positions", help="a file: written after the set-up; if it exists, the set-up is skipped")
    args = parser.parse_args()

    if args.positions and os.path.exists(args.positions):
        positions = json.load(open(args.positions))
        attackers = [f"{args.prefix}-attacker{i}" for i in range(args.attackers)]
    else:
        attackers, positions = set_up(args)
        if args.positions:
            json.dump(positions, open(args.positions, "w"))
    rooms = [p["room"] for p in positions]
    sender, quiet = f"{args.prefix}-sender", f"{args.prefix}:quiet"
    report("baseline", asyncio.run(send_at_rate(args.port, args.secret, sender, quiet, args.rate, args.duration, "b")))

    results = multiprocessing.Queue()
    storm = [multiprocessing.Process(target=attacker_process,
                                     args=(args.port, args.secret, user, positions, rooms, args.duration + 2, results))
             for user in attackers]
    for process in storm:
        process.start()
    time.sleep(1.0)   # the storm is under way before the measurement starts
    report("storm", asyncio.run(send_at_rate(args.port, args.secret, sender, quiet, args.rate, args.duration, "s")))
    totals = {"connects": 0, "refused": 0, "replayed": 0, "errors": 0}
    for process in storm:
        process.join(60)
        for key, value in results.get(timeout=10).items():
            totals[key] += value
    print(f"STORM attackers={args.attackers} connects={totals['connects']} refused={totals['refused']} "
          f"replayed_events={totals['replayed']} errors={totals['errors']}", flush=True)


if __name__ == "__main__":
    main()
