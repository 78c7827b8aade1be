"""Start, watch and stop one Rally server process for a test.

The server is a black box: it is started from $RALLY_SERVER, its port is read
from the "listening on ws[s]://127.0.0.1:PORT" line on stderr, and it must
exit with code 0 on SIGTERM - anything else (a crash, a hang) fails the test
that owned it.
"""
import os
import re
import signal
import subprocess
import time

import pytest

LISTEN_RE = re.compile(r"listening on (wss?)://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def rally_binary():
    path = os.environ.get("RALLY_SERVER")
    if not path:
        pytest.fail("RALLY_SERVER is not set: point it at the Rally server binary, "
                    "e.g. RALLY_SERVER=.build/release/rally-server python3 -m pytest Tests/python",
                    pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"RALLY_SERVER={path!r} is not an executable file", pytrace=False)
    return path


class RallyServer:
    host = "127.0.0.1"

    def __init__(self, binary, extra_args, log_path, env=None):
        self.args = [binary, "--listen", "127.0.0.1:0", "--echo", "--loops", "1",
                     *map(str, extra_args)]
        self.extra_args = tuple(map(str, extra_args))
        # Extra environment variables for the server (e.g. a JWT secret for
        # --jwt-key hs256:secret=env:NAME); None: the test process's environment.
        self.env = dict(env) if env else None
        self.log_path = log_path
        self.proc = None
        self.started = False
        self.port = None
        self.scheme = None
        self.killed = False
        self._stopped = False
        self._stop_result = None

    # ----- lifecycle

    def start(self):
        # stderr goes to a file, not a pipe: a chatty server can never block
        # on a full pipe while the test is not reading it.
        self._log = open(self.log_path, "wb")
        env = None if self.env is None else {**os.environ, **self.env}
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            m = LISTEN_RE.search(self.stderr_text())
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                self.started = True
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode} before "
                            f"listening: {self.args}\n--- stderr ---\n{self.stderr_text()}",
                            pytrace=False)
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        pytest.fail(f"no 'listening on' line within {START_TIMEOUT}s: {self.args}\n"
                    f"--- stderr ---\n{self.stderr_text()}", pytrace=False)

    def stop(self):
        """SIGTERM, wait, and return an error string (None when it exited 0).
        Idempotent: a second call returns the first call's result."""
        if self._stopped:
            return self._stop_result
        self._stopped = True
        self._stop_result = self._stop()
        return self._stop_result

    def kill(self):
        """SIGKILL (a crash on purpose): the server is not judged at stop."""
        if self.proc is None or self._stopped:
            return
        self.killed = True
        self._stopped = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()

    def _stop(self):
        if self.proc is None:
            return None
        if not self.started:            # start() already failed and said why
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
            return None
        try:
            if self.proc.poll() is not None:
                return (f"server died during the test (exit code "
                        f"{self.proc.returncode})\n--- stderr ---\n{self.stderr_tail()}")
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return (f"server did not exit within {STOP_TIMEOUT}s of SIGTERM"
                        f"\n--- stderr ---\n{self.stderr_tail()}")
            if rc != 0:
                return (f"server exited with code {rc} after SIGTERM (expected 0)"
                        f"\n--- stderr ---\n{self.stderr_tail()}")
            return None
        finally:
            self._log.close()

    # ----- inspection

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self):
        assert self.alive(), (f"server is gone (exit code {self.proc.returncode})"
                              f"\n--- stderr ---\n{self.stderr_tail()}")

    def rss_kib(self):
        """Resident set size from /proc (VmRSS), in KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")

    def stderr_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, n=4000):
        return self.stderr_text()[-n:]

    def url(self, path="/echo"):
        return f"{self.scheme}://{self.host}:{self.port}{path}"
