#!/usr/bin/env python3
"""Side-by-side measurements of Rally and peer servers with the shared wsload generator.

Each round starts every server fresh on core 0 (taskset), runs one wsload measurement on
core 1, records the server's RSS and CPU time, and stops it; rounds rotate the order of the
servers so machine noise spreads over all of them. Prints the median (and range) per server
and the ratio to the first server.

  python3 bench/compare.py --wsload ../shared/bench/wsload --reps 3 \\
      --server rally='.build/release/rally-server --listen 127.0.0.1:{port} --echo --loops 1' \\
      --server node='node ../shared/bench/peers/node-ws-server.js {port}' \\
      --test idle15k --test echo
"""
import argparse
import os
import shlex
import socket
import statistics
import subprocess
import time

TESTS = {
    # name: (wsload arguments, kind)
    "idle15k": (["idle", "15000"], "idle"),
    "echo": (["-t", "10", "-w", "2", "-s", "32", "echo", "100", "10"], "run"),
    "fanmax": (["-t", "8", "-w", "1", "--window", "32", "fanout", "10000", "max"], "run"),
    "fanfixed": (["-t", "10", "-w", "1", "fanout", "10000", "10"], "run"),
}
TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_for_port(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def result_fields(line):
    fields = {}
    for token in line.split()[1:]:
        key, _, value = token.partition("=")
        try:
            fields[key] = float(value)
        except ValueError:
            fields[key] = value
    return fields


def measure(args, command, test, port):
    wsload_args, kind = TESTS[test]
    server = subprocess.Popen(["taskset", "-c", "0"] + shlex.split(command.format(port=port)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for_port(port):
            return {"error": "server did not listen"}
        time.sleep(0.5)
        base = ["taskset", "-c", "1", args.wsload, "-q", "-p", str(port), "-P", args.path]
        rss_before = rss_kib(server.pid)
        if kind == "idle":
            client = subprocess.Popen(base + wsload_args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = client.stdout.readline()
            if not line.startswith("ALL_UP"):
                client.kill()
                return {"error": "idle: " + line}
            time.sleep(3)
            out = {"kib_per_conn": (rss_kib(server.pid) - rss_before) / int(wsload_args[1])}
            client.terminate()
            client.wait(timeout=30)
            return out
        run = subprocess.run(base + ["--server-pid", str(server.pid)] + wsload_args,
                             capture_output=True, text=True, timeout=300)
        for line in run.stdout.splitlines():
            if line.startswith("RESULT"):
                return result_fields(line)
        return {"error": run.stderr[-300:]}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", required=True, help="name='command with {port}'")
    parser.add_argument("--test", action="append", required=True, choices=sorted(TESTS))
    parser.add_argument("--wsload", required=True)
    parser.add_argument("--path", default="/echo")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--port", type=int, default=23500)
    args = parser.parse_args()
    servers = [tuple(s.split("=", 1)) for s in args.server]
    results = {}
    port = args.port
    for rep in range(args.reps):
        for test in args.test:
            order = servers[rep % len(servers):] + servers[:rep % len(servers)]
            for name, command in order:
                port += 1
                record = measure(args, command, test, port)
                print(f"rep {rep} {test} {name}: {record}", flush=True)
                results.setdefault((test, name), []).append(record)
                time.sleep(1)
    columns = {"idle": ["kib_per_conn"], "run": ["rate", "p50_us", "p99_us", "srv_cpu_ns_per_msg"]}
    for test in args.test:
        keys = columns[TESTS[test][1]]
        print(f"\n## {test} (wsload {' '.join(TESTS[test][0])}); medians [min-max]")
        print("| server | " + " | ".join(keys) + f" | {keys[-1]} / {servers[0][0]} |")
        print("|---" * (len(keys) + 2) + "|")
        reference = None
        for name, _ in servers:
            good = [r for r in results.get((test, name), []) if "error" not in r]
            cells, last = [], None
            for key in keys:
                values = [r[key] for r in good if key in r]
                if not values:
                    cells.append("-")
                    continue
                last = statistics.median(values)
                cells.append(f"{last:.2f} [{min(values):.2f}-{max(values):.2f}]")
            if reference is None:
                reference = last
            ratio = f"{last / reference:.2f}" if last and reference else "-"
            print(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")


if __name__ == "__main__":
    main()
