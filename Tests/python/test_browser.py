"""The demo page (`/`, clients/js/index.html + rally.js) in a real headless Chromium.

Chromium (Debian's `chromium` package; `scripts/install-deps.sh --test`
installs it) is started headless with `--remote-debugging-port=0`; the port
is read from `DevToolsActivePort` in its throw-away profile, and the test
talks the DevTools protocol over the page's WebSocket with the `websockets`
package. Waits are polls in page JavaScript (`Runtime.evaluate` with
`awaitPromise`), each with a deadline. If Chromium is missing or does not
start, the test fails (never skips) and says why. Chromium is killed at the
end whatever happens. Name resolution inside Chromium is disabled, so it
sends traffic only to 127.0.0.1.

Scenario: alice signs in through the page's form, the room list shows and
the lobby opens; she sends a message with the page's form and sees it; bob
(a Python `rally.v1` client) posts to the lobby and the page shows it; the
platform disconnects alice (`POST /api/users/alice/disconnect`): the page
must say it was closed (4102) and rally.js must not reconnect.
"""
import asyncio
import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from websockets.asyncio.client import connect as ws_connect

KEY = "browser-test-key-0123456789"
TEST_TIMEOUT = 50.0       # the whole scenario
STEP_TIMEOUT = 10.0       # one wait in the page
START_TIMEOUT = 20.0      # Chromium up and listening


# ------------------------------------------------------------------ Chromium

def chromium_binary():
    candidates = [os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser"), shutil.which("google-chrome")]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail("Chromium is not installed: the browser test needs it (Debian: apt-get install chromium; "
                "`scripts/install-deps.sh --test` installs it; or set CHROMIUM=/path/to/chrome)",
                pytrace=False)


class Chromium:
    def __init__(self, profile_dir, log_path):
        self.profile = profile_dir
        self.log_path = log_path
        self.proc = None

    def start(self):
        args = [chromium_binary(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
                "--disable-client-side-phishing-detection", "--disable-dev-shm-usage",
                "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1000,700", "about:blank"]
        self._log = open(self.log_path, "wb")
        # A session of its own: the whole process group (zygotes, renderers) can be killed.
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     start_new_session=True)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"Chromium exited with {self.proc.returncode} at start-up: {args}\n"
                            f"--- its output ---\n{self.log_tail()}", pytrace=False)
            if port_file.exists():
                lines = port_file.read_text().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit():
                    self.port = int(lines[0])
                    return self
            time.sleep(0.05)
        pytest.fail(f"Chromium wrote no DevToolsActivePort within {START_TIMEOUT}s: {args}\n"
                    f"--- its output ---\n{self.log_tail()}", pytrace=False)

    def page_websocket_url(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
                targets = json.load(r)
            pages = [t for t in targets if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.1)
        pytest.fail(f"Chromium has no page target: {targets}", pytrace=False)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)   # helpers left in the group, if any
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(5)
        self._log.close()

    def log_tail(self, n=3000):
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except FileNotFoundError:
            return ""


class DevTools:
    """A DevTools protocol session on one page, over its WebSocket."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting = {}
        self.console = []          # console messages and uncaught exceptions, for failure reports
        self.prompt_answer = None  # what a window.prompt() of the page is answered with
        self.dialogs = []          # the dialogs the page opened
        self.tasks = set()
        self.loaded = asyncio.Event()  # Page.loadEventFired
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                future = self.waiting.pop(message["id"], None)
                if future and not future.done():
                    future.set_result(message)
            elif message.get("method") == "Runtime.consoleAPICalled":
                args = message["params"].get("args", [])
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
                self.console.append(f"console.{message['params'].get('type')}: {text}")
            elif message.get("method") == "Page.loadEventFired":
                self.loaded.set()
            elif message.get("method") == "Page.javascriptDialogOpening":
                params = message["params"]
                self.dialogs.append((params.get("type"), params.get("message")))
                answer = {"accept": self.prompt_answer is not None}
                if self.prompt_answer is not None:
                    answer["promptText"] = self.prompt_answer
                task = asyncio.create_task(self.send("Page.handleJavaScriptDialog", answer))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            elif message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.console.append("exception: " + details.get("exception", {}).get("description",
                                                                                     details.get("text", "")))

    async def send(self, method, params=None, timeout=STEP_TIMEOUT):
        msg_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.waiting[msg_id] = future
        await self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise AssertionError(f"DevTools {method} failed: {reply['error']}")
        return reply["result"]

    async def evaluate(self, expression, timeout=STEP_TIMEOUT):
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = await self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                      "returnByValue": True}, timeout=timeout + 2)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise AssertionError(details.get("exception", {}).get("description", details.get("text")))
        return result["result"].get("value")

    async def wait_for(self, condition, what, timeout=STEP_TIMEOUT):
        """Polls `condition` (a JS expression) in the page every 50 ms until it is truthy."""
        script = f"""new Promise((resolve) => {{
            const deadline = Date.now() + {int(timeout * 1000)};
            const poll = () => {{
                let value;
                try {{ value = ({condition}); }} catch (e) {{ value = undefined; }}
                if (value) resolve(value);
                else if (Date.now() > deadline) resolve(null);
                else setTimeout(poll, 50);
            }};
            poll();
        }})"""
        value = await self.evaluate(script, timeout=timeout)
        if value is None:                  # null: the deadline passed (a truthy value never is)
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{await self.page_state()}")
        return value

    async def page_state(self):
        try:
            state = await self.evaluate("""({
                status: document.getElementById('status').textContent,
                signinError: document.getElementById('signin-error').textContent,
                me: document.getElementById('me').textContent,
                rooms: [...document.querySelectorAll('#rooms .room')].map(d => d.className + ': ' + d.textContent),
                messages: [...document.getElementById('messages').children].map(d => d.textContent),
            })""", timeout=3)
        except Exception as error:  # noqa: BLE001 - only for the report
            state = f"(page state unavailable: {error})"
        return f"page: {json.dumps(state, ensure_ascii=False, indent=1)}\nconsole: {self.console[-20:]}"

    async def type_text(self, selector, text):
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", {"text": text})

    async def press_enter(self):
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                      "nativeVirtualKeyCode": 13}
            if kind == "keyDown":
                params["text"] = "\r"
            await self.send("Input.dispatchKeyEvent", params)

    async def close(self):
        for task in list(self.tasks):
            task.cancel()
        self.reader.cancel()
        try:
            await self.reader
        except (asyncio.CancelledError, Exception):  # noqa: BLE001
            pass


# ------------------------------------------------------------------ helpers

def http(port, method, path, key=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     headers={"X-Api-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def alice_message_js(text):
    """The .msg element of alice's message with this text."""
    return (f"[...document.querySelectorAll('#messages .msg')].find(d => "
            f"d.querySelector('.who')?.textContent === 'alice' && "
            f"d.querySelector('.text')?.textContent === {json.dumps(text)})")


def messages_js(author, text):
    return (f"[...document.querySelectorAll('#messages .msg')].some(d => "
            f"d.querySelector('.who')?.textContent === {json.dumps(author)} && "
            f"d.querySelector('.text')?.textContent === {json.dumps(text)})")


# ------------------------------------------------------------------ the test

def test_demo_page_in_chromium(start_server, tmp_path):
    data_dir = tmp_path / "rally-data"
    data_dir.mkdir()
    server = start_server("--dev", "--data-dir", str(data_dir), "--api-key", KEY)
    port = server.port
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    chromium = Chromium(profile, tmp_path / "chromium.log")
    try:
        chromium.start()
        page_url = chromium.page_websocket_url()
        asyncio.run(asyncio.wait_for(scenario(page_url, port, tmp_path / "page.png"), TEST_TIMEOUT))
    except asyncio.TimeoutError:
        pytest.fail(f"the browser scenario took more than {TEST_TIMEOUT}s\n"
                    f"--- Chromium output ---\n{chromium.log_tail()}", pytrace=False)
    finally:
        chromium.stop()
    server.assert_alive()


async def scenario(page_url, port, screenshot):
    nonce = str(time.monotonic_ns() % 10**9)
    async with ws_connect(page_url, max_size=64 << 20, open_timeout=STEP_TIMEOUT, close_timeout=2) as ws:
        page = DevTools(ws)
        try:
            await run_page(page, port, nonce)
        except AssertionError as error:
            saved = await save_screenshot(page, screenshot)
            raise AssertionError(f"{error}\n(screenshot: {saved})") from None
        else:
            await save_screenshot(page, screenshot)
        finally:
            await page.close()


async def save_screenshot(page, path):
    """The page as a PNG (for a person to look at, e.g. after a failure)."""
    try:
        shot = await page.send("Page.captureScreenshot", {"format": "png"}, timeout=5)
        path.write_bytes(base64.b64decode(shot["data"]))
        return str(path)
    except Exception as error:  # noqa: BLE001 - best effort
        return f"not taken: {error}"


async def run_page(page, port, nonce):
    await page.send("Page.enable")
    await page.send("Runtime.enable")
    navigation = await page.send("Page.navigate", {"url": f"http://127.0.0.1:{port}/"})
    assert "errorText" not in navigation, f"the demo page did not load: {navigation}"
    await asyncio.wait_for(page.loaded.wait(), STEP_TIMEOUT)
    await page.wait_for("document.readyState === 'complete' && !!window.Rally && !!document.getElementById('name')",
                        "the demo page and rally.js to load")

    # Count every WebSocket the page opens (rally.js constructs the global at connect time).
    await page.evaluate("""(() => {
        const Native = window.WebSocket;
        window.__sockets = [];
        window.WebSocket = class extends Native {
            constructor(...args) { super(...args); window.__sockets.push(Date.now()); }
        };
        return true;
    })()""")

    # Sign in as alice through the form: type the name, press Enter.
    await page.type_text("#name", "alice")
    await page.press_enter()
    await page.wait_for("!document.querySelector('aside').hidden && !document.querySelector('main').hidden "
                        "&& document.getElementById('status').textContent === 'connected'",
                        "the signed-in view (status 'connected')")
    rooms = await page.wait_for(
        "(() => { const r = [...document.querySelectorAll('#rooms .room')].map(d => d.textContent);"
        " return r.length >= 2 && r; })()", "the room list")
    assert any("Lobby" in r and "member" in r for r in rooms), f"no lobby (as member) in the room list: {rooms}"
    assert any("News" in r and "follower" in r for r in rooms), f"no news room (as follower) in the list: {rooms}"
    await page.wait_for("document.querySelector('#rooms .room.active')?.textContent.includes('Lobby')",
                        "the lobby to be the open room")
    assert await page.evaluate("document.getElementById('me').textContent") == "signed in as alice"

    # alice writes through the page's form; the message comes back as an event and is shown.
    alice_text = f"hello from alice {nonce}"
    await page.type_text("#text", alice_text)
    await page.press_enter()
    await page.wait_for(messages_js("alice", alice_text), "alice's message in the page")
    assert await page.evaluate("document.getElementById('text').value") == "", "the input was not cleared"

    # The server stored it under alice's name (checked over the API).
    status, history = await asyncio.to_thread(http, port, "GET", "/api/rooms/demo:lobby/history", KEY)
    assert status == 200, history
    assert any(e.get("author") == "alice" and e.get("text") == alice_text for e in history["events"]), history

    # bob, a second client (Python), posts to the lobby; the page shows it.
    status, issued = await asyncio.to_thread(http, port, "GET", "/dev/token?user=bob")
    assert status == 200, issued
    bob_text = f"hi alice, bob here {nonce}"
    async with ws_connect(f"ws://127.0.0.1:{port}/ws", subprotocols=["rally.v1"], open_timeout=STEP_TIMEOUT,
                          close_timeout=2) as bob:
        await bob.send(json.dumps({"id": "1", "cmd": "connect", "token": issued["token"]}))
        reply = await bob_reply(bob, "1")
        assert reply["ok"] is True and reply["user"] == "bob", reply
        await bob.send(json.dumps({"id": "2", "cmd": "send", "room": "demo:lobby", "text": bob_text,
                                   "cmid": f"bob-{nonce}"}))
        reply = await bob_reply(bob, "2")
        assert reply["ok"] is True, reply
        await page.wait_for(messages_js("bob", bob_text), "bob's message in the page")
        await page.wait_for("[...document.querySelectorAll('#messages .notice')]"
                            ".some(d => d.textContent === 'joined: bob (member)')",
                            "the notice that bob joined the lobby")
        # bob sees alice's message in the lobby's history.
        await bob.send(json.dumps({"id": "3", "cmd": "history", "room": "demo:lobby"}))
        reply = await bob_reply(bob, "3")
        assert any(e.get("author") == "alice" and e.get("text") == alice_text for e in reply["events"]), reply

        # alice edits her message with the page's "edit" button (a prompt() the test answers),
        # then deletes it with "delete"; the page shows each change and bob receives both.
        edited_text = f"edited by alice {nonce}"
        page.prompt_answer = edited_text
        await page.evaluate(f"(() => {{ setTimeout(() => {alice_message_js(alice_text)}"
                            f".querySelector('button:nth-of-type(1)').click(), 0); return true; }})()")
        await page.wait_for(messages_js("alice", edited_text) + " && [...document.querySelectorAll("
                            "'#messages .msg .meta')].some(m => m.textContent.endsWith('(edited)'))",
                            "the edited message, marked (edited)")
        assert page.dialogs and page.dialogs[-1][0] == "prompt", page.dialogs
        edit = await bob_push(bob, lambda f: f.get("kind") == "edit")
        assert edit["author"] == "alice" and edit["text"] == edited_text, edit
        await page.evaluate(f"(() => {{ {alice_message_js(edited_text)}"
                            f".querySelector('button:nth-of-type(2)').click(); return true; }})()")
        await page.wait_for("[...document.querySelectorAll('#messages .msg.deleted')].some(d => "
                            "d.querySelector('.who').textContent === 'alice' && "
                            "d.querySelector('.text').textContent === 'message deleted')",
                            "alice's message shown as deleted")
        deleted = await bob_push(bob, lambda f: f.get("kind") == "delete")
        assert deleted["actor"] == "alice" and deleted["target"] == edit["target"], deleted

        # carol writes with RallyClient, the project's Swift client (rally-bench say, built
        # beside the server): the page shows her message too.
        status, issued = await asyncio.to_thread(http, port, "GET", "/dev/token?user=carol")
        assert status == 200, issued
        carol_text = f"carol via RallyClient {nonce}"
        bench = os.path.join(os.path.dirname(os.environ["RALLY_SERVER"]), "rally-bench")
        assert os.path.exists(bench), f"{bench} is missing: build it with swift build -c release"
        said = await asyncio.to_thread(subprocess.run, [bench, "say", "--port", str(port), "--token", issued["token"],
                                                        "--room", "demo:lobby", "--text", carol_text],
                                       capture_output=True, text=True, timeout=30)
        assert said.returncode == 0, f"rally-bench say failed: {said.stdout}{said.stderr}"
        await page.wait_for(messages_js("carol", carol_text), "carol's (RallyClient) message in the page")

        # The platform disconnects alice: 4102, and rally.js must not come back.
        sockets_before = await page.evaluate("window.__sockets.length")
        assert sockets_before >= 1, "the WebSocket counter saw no connection: the no-reconnect check would be void"
        status, body = await asyncio.to_thread(http, port, "POST", "/api/users/alice/disconnect", KEY)
        assert status == 202 and body == {"user": "alice", "disconnecting": True}, (status, body)
        closed = await page.wait_for(
            "(() => { const s = document.getElementById('status').textContent;"
            " return s.startsWith('closed') && s; })()",
            "the status to say the connection was closed")
        assert "4102" in closed, f"status {closed!r} does not name the close code 4102"
        # rally.js's first reconnect would come within 0.75 s (500 ms backoff, jitter x1.5): wait 2.5 s.
        quiet = await page.evaluate(f"""new Promise((resolve) => setTimeout(() => resolve({{
            sockets: window.__sockets.length - {sockets_before},
            status: document.getElementById('status').textContent,
        }}), 2500))""")
        assert quiet["sockets"] == 0, (f"rally.js reconnected after close 4102 ({quiet['sockets']} new "
                                       f"WebSocket(s)); status now {quiet['status']!r}\n{await page.page_state()}")
        assert quiet["status"] == closed, f"the status changed after the close: {closed!r} -> {quiet['status']!r}"
        status, stats = await asyncio.to_thread(http, port, "GET", "/api/stats", KEY)
        assert status == 200 and stats["sessions"] == 1, f"expected only bob's session to remain: {stats}"
    assert not [c for c in page.console if c.startswith("exception")], page.console


async def bob_push(ws, predicate):
    """The next event push that satisfies `predicate`, skipping other frames."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "bob received no such push"
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if frame.get("push") == "event" and predicate(frame):
            return frame


async def bob_reply(ws, command_id):
    """The reply to `command_id`, skipping pushes."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no reply to command {command_id}"
        frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        if frame.get("id") == command_id and "ok" in frame:
            return frame
