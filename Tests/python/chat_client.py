"""A small asyncio client for Rally's chat protocol (rally.v1, protocol/README.md),
plus token minting and HTTP API helpers for the chat end-to-end tests.

`ChatClient` runs a reader task per connection that:
- resolves each command's reply by its `id` (commands get automatic ids);
- collects every push, in arrival order, with its raw text (`pushes`);
- keeps a position per room from `event` pushes, advancing only when `prev`
  matches the position (spec §8: positions advance only from pushes, in order),
  and records every push that does not fit (`anomalies`) so tests can assert
  there are none.

Every wait has a timeout: nothing here can hang a test.
"""
import asyncio
import itertools
import json
import time
import urllib.error
import urllib.request

import jwt
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

import pathlib

SUBPROTOCOL = "rally.v1"
DEFAULT_TIMEOUT = 5.0
RALLY_CLOSE_REASONS = {c["code"]: c["reason"] for c in json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "protocol" / "codes.json").read_text())["closes"]}


class ChatError(AssertionError):
    """A command failed where the test expected success."""


class ChatClosed(AssertionError):
    """The connection closed while waiting for something."""


class ChatClient:
    def __init__(self, ws, label=""):
        self.ws = ws
        self.label = label
        self.user = None
        self.session = None
        self.connected = None          # the connect reply
        self.frames = []               # every server text frame, raw, in order
        self.pushes = []               # [(raw, obj)] of pushes, in order
        self.stray_replies = []        # replies matching no pending command (id null...)
        self.anomalies = []            # event pushes that did not fit the position
        self.positions = {}            # room -> {"epoch", "id", "seq"}
        self.binary = []               # binary frames (the server should send none)
        self.close_code = None
        self.close_reason = None
        self.closed = asyncio.Event()
        self._pending = {}             # command id -> (future, cmd)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    # ------------------------------------------------------------ opening

    @classmethod
    async def open(cls, port, token=None, positions=None, label="", subprotocols=(SUBPROTOCOL,),
                   client=None, timeout=DEFAULT_TIMEOUT, **kw):
        """Open ws://127.0.0.1:port/ws; with a token, also `connect` (and
        require success). Compression is off, so frames are compared raw."""
        kw.setdefault("compression", None)
        kw.setdefault("max_size", 1 << 20)
        ws = await ws_connect(f"ws://127.0.0.1:{port}/ws",
                              subprotocols=list(subprotocols) if subprotocols else None,
                              open_timeout=timeout, close_timeout=2, ping_interval=None, **kw)
        c = cls(ws, label=label)
        if token is not None:
            args = {"token": token}
            if positions is not None:
                args["positions"] = positions
                for p in positions:         # seq unknown until the first push
                    c.positions[p["room"]] = {"epoch": p["epoch"], "id": p["id"], "seq": None}
            if client is not None:
                args["client"] = client
            await c.ok("connect", timeout=timeout, **args)
        return c

    # ------------------------------------------------------------ reading

    async def _read(self):
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    self.binary.append(message)
                    continue
                self.frames.append(message)
                obj = json.loads(message)
                if "ok" in obj:
                    entry = self._pending.pop(obj.get("id"), None)
                    if entry is None:
                        self.stray_replies.append(obj)
                    else:
                        fut, cmd = entry
                        if cmd == "connect" and obj["ok"]:
                            self._on_connected(obj)
                        if not fut.done():
                            fut.set_result(obj)
                elif "push" in obj:
                    self._on_push(message, obj)
                async with self._changed:
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        except Exception as e:  # a bug in the reader must not pass silently
            self.anomalies.append(f"reader error: {e!r}")
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            # protocol §10: a Rally close (4000-4199) carries exactly its code's name
            name = RALLY_CLOSE_REASONS.get(self.close_code)
            if self.close_code is not None and 4000 <= self.close_code <= 4199 and self.close_reason != name:
                self.anomalies.append(f"close {self.close_code} with reason {self.close_reason!r}, not {name!r}")
            for fut, _ in self._pending.values():
                if not fut.done():
                    fut.set_exception(ChatClosed(
                        f"{self.label}: connection closed ({self.close_code} {self.close_reason!r}) "
                        f"before the reply"))
            self._pending.clear()
            self.closed.set()
            async with self._changed:
                self._changed.notify_all()

    def _on_connected(self, reply):
        self.connected = reply
        self.user = reply.get("user")
        self.session = reply.get("session")
        for state in reply.get("rooms", []):
            room = state["room"]
            if state.get("recovered") is True and room in self.positions:
                continue                       # the replay continues from our position
            self._set_tip(state)

    def _set_tip(self, state):
        self.positions[state["room"]] = {"epoch": state["epoch"], "id": state["last"],
                                         "seq": state["seq"]}

    def _on_push(self, raw, obj):
        self.pushes.append((raw, obj))
        kind = obj["push"]
        if kind == "room.joined":
            self._set_tip(obj["room"])
        elif kind == "room.left":
            self.positions.pop(obj["room"], None)
        elif kind == "event":
            room = obj["room"]
            pos = self.positions.get(room)
            if pos is None:
                self.anomalies.append(f"event for a room without a position: {raw}")
            elif obj["epoch"] == pos["epoch"] and obj["prev"] == pos["id"]:
                if pos["seq"] is not None and obj["seq"] != pos["seq"] + 1:
                    self.anomalies.append(f"seq not dense after {pos}: {raw}")
                self.positions[room] = {"epoch": obj["epoch"], "id": obj["id"], "seq": obj["seq"]}
            else:
                self.anomalies.append(f"event does not follow position {pos}: {raw}")

    def position_list(self, rooms=None):
        """This client's positions, as connect's `positions` argument."""
        return [{"room": r, "epoch": p["epoch"], "id": p["id"]} for r, p in sorted(self.positions.items())
                if p["id"] is not None and (rooms is None or r in rooms)]

    # ------------------------------------------------------------ commands

    def next_id(self):
        return f"c{next(self._ids)}"

    async def command(self, cmd, timeout=DEFAULT_TIMEOUT, id=None, **args):
        """Send {"id", "cmd", **args}; return the reply (ok or not)."""
        cid = id or self.next_id()
        frame = {"id": cid, "cmd": cmd, **args}
        return await self.request(json.dumps(frame), cid, cmd, timeout)

    async def request(self, text, cid, cmd="?", timeout=DEFAULT_TIMEOUT):
        """Send raw text and await the reply with id `cid`."""
        fut = asyncio.get_running_loop().create_future()
        self._pending[cid] = (fut, cmd)
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            self._pending.pop(cid, None)
            raise ChatClosed(f"{self.label}: closed ({self.ws.close_code}) while sending {cmd}")
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            self._pending.pop(cid, None)
            raise AssertionError(f"{self.label}: no reply to {cmd} {cid} within {timeout}s") from None

    async def ok(self, cmd, timeout=DEFAULT_TIMEOUT, **args):
        reply = await self.command(cmd, timeout=timeout, **args)
        if not reply.get("ok"):
            raise ChatError(f"{self.label}: {cmd} {args} failed: {reply}")
        return reply

    async def error(self, cmd, timeout=DEFAULT_TIMEOUT, **args):
        """The command must fail; returns the error object."""
        reply = await self.command(cmd, timeout=timeout, **args)
        if reply.get("ok") is not False:
            raise AssertionError(f"{self.label}: {cmd} {args} should fail, got {reply}")
        return reply["error"]

    async def send(self, room, text, cmid, **extra):
        return await self.ok("send", room=room, text=text, cmid=cmid, **extra)

    # ------------------------------------------------------------ pushes

    def events(self, room=None, kind=None):
        """Event pushes (parsed), optionally of one room and/or kind."""
        return [o for _, o in self.pushes if o["push"] == "event"
                and (room is None or o["room"] == room) and (kind is None or o["kind"] == kind)]

    def raw_events(self, room=None):
        return [r for r, o in self.pushes if o["push"] == "event" and (room is None or o["room"] == room)]

    def pushes_of(self, kind):
        return [o for _, o in self.pushes if o["push"] == kind]

    async def wait_until(self, predicate, timeout=DEFAULT_TIMEOUT, what="condition"):
        """Wait until predicate() is true (re-checked after every frame)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.label}: timed out after {timeout}s waiting for {what}; "
                                         f"close={self.close_code}; last frames: {self.frames[-5:]}")
                if self.closed.is_set():
                    raise ChatClosed(f"{self.label}: closed ({self.close_code} {self.close_reason!r}) "
                                     f"while waiting for {what}; last frames: {self.frames[-5:]}")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except asyncio.TimeoutError:
                    pass
        return True

    async def wait_events(self, room, count, timeout=DEFAULT_TIMEOUT, kind=None):
        """Wait until at least `count` event pushes of `room` (and kind) arrived."""
        await self.wait_until(lambda: len(self.events(room, kind)) >= count, timeout,
                              f"{count} events{' of kind ' + kind if kind else ''} in {room}")
        return self.events(room, kind)

    async def wait_push(self, kind, timeout=DEFAULT_TIMEOUT, predicate=lambda o: True, start=0):
        """The first push of `kind` (from index `start` of `pushes`) matching predicate."""
        found = []

        def check():
            for _, o in self.pushes[start:]:
                if o["push"] == kind and predicate(o):
                    found.append(o)
                    return True
            return False
        await self.wait_until(check, timeout, f"a {kind} push")
        return found[0]

    async def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.label}: not closed within {timeout}s") from None
        return self.close_code

    # ------------------------------------------------------------ closing

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 3)
        except Exception:
            pass
        await self._stop_reader()

    async def drop(self):
        """Abrupt end: the TCP connection is cut without a close handshake."""
        transport = self.ws.transport
        if transport is not None:
            transport.abort()
        await self._stop_reader()

    async def _stop_reader(self):
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 3)
        except Exception:
            self._reader.cancel()


async def close_all(clients):
    await asyncio.gather(*(c.close() for c in clients if c is not None), return_exceptions=True)


def run(coro, timeout=60):
    """Run one async scenario with a hard deadline, so nothing can hang."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


# ---------------------------------------------------------------- tokens

def dev_token(port, user, timeout=5):
    """A token from GET /dev/token (also joins demo:lobby and demo:news)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/dev/token?user={user}", timeout=timeout) as r:
        body = json.loads(r.read())
    assert body["user"] == user, body
    return body["token"]


def mint(key, user, alg="HS256", exp_in=3600, kid=None, headers=None, **claims):
    """A JWT signed by PyJWT: key is an HS secret (bytes/str) or a private key."""
    now = int(time.time())
    payload = {"sub": user, "iat": now}
    if exp_in is not None:
        payload["exp"] = now + exp_in
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}   # iat=None: no iat at all
    hdr = dict(headers or {})
    if kid is not None:
        hdr["kid"] = kid
    return jwt.encode(payload, key, algorithm=alg, headers=hdr or None)


# ---------------------------------------------------------------- HTTP API

def api(port, method, path, body=None, key="test-api-key-0123456789", timeout=10):
    """One API call; returns (status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    return status, (json.loads(raw) if raw else None)


def api_ok(port, method, path, body=None, expect=(200, 201, 202), **kw):
    status, out = api(port, method, path, body, **kw)
    assert status in expect, f"{method} {path} {body} -> {status} {out}"
    return out


def make_room(port, room, kind="group", members=(), name=None):
    """Create a room and put members [(user, role)] in it."""
    body = {"id": room, "kind": kind}
    if name:
        body["name"] = name
    api_ok(port, "POST", "/api/rooms", body, expect=(201,))
    if members:
        put_members(port, room, members)


def put_members(port, room, members):
    return api_ok(port, "PUT", f"/api/rooms/{room}/members",
                  {"members": [{"user": u, "role": r} for u, r in members]}, expect=(200,))


def full_history(port, room, page=100):
    """Every event of a room through the API, oldest first (paging backwards)."""
    out = []
    before = None
    for _ in range(100_000):
        q = f"/api/rooms/{room}/history?limit={page}" + (f"&before={before}" if before else "")
        body = api_ok(port, "GET", q, expect=(200,))
        events = body["events"]
        out[:0] = events
        if not body["more"] or not events:
            break
        before = events[0]["id"]
    return out


class ApiSession:
    """A keep-alive HTTP connection to the API (many quick calls)."""

    def __init__(self, port, key="test-api-key-0123456789", timeout=10):
        import http.client
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.key = key

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        headers = {"Authorization": f"Bearer {self.key}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)

    def post_message(self, room, text, cmid, author=None):
        body = {"text": text, "cmid": cmid}
        if author:
            body["author"] = author
        status, out = self.call("POST", f"/api/rooms/{room}/messages", body)
        assert status == 201, f"post to {room} -> {status} {out}"
        return out

    def close(self):
        self.conn.close()
