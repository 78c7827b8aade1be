"""Shared fixtures: Rally server processes and throw-away TLS certificates.

No key material is committed: certificates are generated per test session
with the openssl CLI into pytest's temporary directory.
"""
import subprocess

import pytest

from server_proc import RallyServer, rally_binary


class ServerPool:
    """Servers started by one fixture; all stopped (and judged) together."""

    def __init__(self, binary, log_dir):
        self.binary = binary
        self.log_dir = log_dir
        self.servers = []

    def start(self, *extra_args, env=None):
        log = self.log_dir / f"server{len(self.servers)}.log"
        server = RallyServer(self.binary, extra_args, log, env=env)
        self.servers.append(server)
        return server.start()

    def stop_all(self):
        errors = [e for e in (s.stop() for s in self.servers) if e]
        if errors:
            # A crash or an unclean exit is a failure of the test(s) that used
            # the server, even when every assertion inside them passed.
            pytest.fail("\n\n".join(errors), pytrace=False)


@pytest.fixture(scope="session")
def rally_bin():
    return rally_binary()


@pytest.fixture
def start_server(rally_bin, tmp_path):
    """Function-scoped factory: start_server('--max-outbound-bytes', 1024),
    optionally with env={'NAME': 'value'} added to the server's environment."""
    pool = ServerPool(rally_bin, tmp_path)
    yield pool.start
    pool.stop_all()


@pytest.fixture(scope="module")
def start_module_server(rally_bin, tmp_path_factory):
    """Module-scoped factory, for servers shared by many tests."""
    pool = ServerPool(rally_bin, tmp_path_factory.mktemp("servers"))
    yield pool.start
    pool.stop_all()


@pytest.fixture(scope="module")
def echo_server(start_module_server):
    """A server with default options, shared by a whole test module."""
    return start_module_server()


# ------------------------------------------------------------------- TLS

def _make_cert(directory, name, newkey_args):
    cert, key = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    cmd = ["openssl", "req", "-x509", "-nodes", "-days", "7",
           *newkey_args, "-keyout", str(key), "-out", str(cert),
           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"openssl failed: {cmd}\n{done.stderr}"
    return str(cert), str(key)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """{'ecdsa': (cert, key), 'rsa': (cert, key)}: self-signed for 127.0.0.1."""
    d = tmp_path_factory.mktemp("certs")
    return {
        "ecdsa": _make_cert(d, "ecdsa", ["-newkey", "ec", "-pkeyopt",
                                         "ec_paramgen_curve:prime256v1"]),
        "rsa": _make_cert(d, "rsa", ["-newkey", "rsa:2048"]),
    }


# ------------------------------------------------------------ reporting

def pytest_terminal_summary(terminalreporter):
    """One line per Autobahn section: how many cases ran and passed."""
    sections = {}
    for outcome in ("passed", "failed", "error"):
        for rep in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(rep, "nodeid", "")
            if "test_conformance.py" not in nodeid or "[case_" not in nodeid \
                    or getattr(rep, "when", "call") != "call":
                continue
            section = nodeid.split("[case_")[1].split("_")[0]
            if not section.isdigit():
                continue
            ran, ok = sections.get(section, (0, 0))
            sections[section] = (ran + 1, ok + (outcome == "passed"))
    if sections:
        parts = [f"{s}: {ok}/{ran}" for s, (ran, ok) in
                 sorted(sections.items(), key=lambda kv: int(kv[0]))]
        total = sum(r for r, _ in sections.values())
        passed = sum(o for _, o in sections.values())
        terminalreporter.write_line(
            f"Autobahn cases passed per section: {', '.join(parts)}; "
            f"total {passed}/{total}")
