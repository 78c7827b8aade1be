#!/usr/bin/env python3
"""What SQLite's secure_delete costs the embedded store: the same workload (messages appended,
then a share of them edited and deleted, one transaction per 50 operations, WAL, synchronous=FULL,
the store's `messages` shape) with secure_delete off and on, side by side, several rounds;
prints medians of the time per operation and the bytes written to the WAL.

    python3 bench/secure_delete.py [--rows 20000] [--rounds 5]
"""
import argparse
import os
import sqlite3
import statistics
import tempfile
import time

SCHEMA = """
CREATE TABLE messages (room_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, text TEXT,
  deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_id, id)) WITHOUT ROWID;
"""


def run(secure, rows, directory):
    path = os.path.join(directory, f"bench-{secure}-{time.monotonic_ns()}.sqlite")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(f"PRAGMA secure_delete={'ON' if secure else 'OFF'}")
    db.executescript(SCHEMA)
    text = "x" * 200
    timings = {}
    for phase in ("append", "edit", "delete"):
        start = time.perf_counter()
        for batch in range(0, rows, 50):
            db.execute("BEGIN IMMEDIATE")
            for i in range(batch, min(rows, batch + 50)):
                mid = f"{i:08d}"
                if phase == "append":
                    db.execute("INSERT INTO messages VALUES ('g', ?, ?, ?, 0)", (mid, i, text))
                elif phase == "edit":
                    db.execute("UPDATE messages SET text = ? WHERE room_id = 'g' AND id = ?", ("y" * 150, mid))
                elif i % 2 == 0:
                    db.execute("UPDATE messages SET text = NULL, deleted = 1 WHERE room_id = 'g' AND id = ?", (mid,))
            db.execute("COMMIT")
        done = rows if phase != "delete" else rows // 2
        timings[phase] = (time.perf_counter() - start) / done * 1e6
    wal = os.path.getsize(path + "-wal")
    db.close()
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
    return timings, wal


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="rally-bench-") as directory:
        for _ in range(args.rounds):
            for secure in (False, True):   # interleaved: both see the same machine state
                results[secure].append(run(secure, args.rows, directory))
    print(f"SQLite {sqlite3.sqlite_version}, {args.rows} rows, {args.rounds} rounds, medians (µs per operation)")
    print(f"{'secure_delete':<14}{'append':>10}{'edit':>10}{'delete':>10}{'WAL MiB':>10}")
    for secure in (False, True):
        rows = results[secure]
        med = {p: statistics.median(r[0][p] for r in rows) for p in ("append", "edit", "delete")}
        wal = statistics.median(r[1] for r in rows) / (1 << 20)
        print(f"{'on' if secure else 'off':<14}{med['append']:>10.1f}{med['edit']:>10.1f}{med['delete']:>10.1f}{wal:>10.2f}")


if __name__ == "__main__":
    main()
