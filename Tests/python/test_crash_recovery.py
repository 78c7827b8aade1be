"""`kill -9` of the server in the middle of 1,000 sends (protocol/README.md §8):
acknowledged means durable, cmids make resends idempotent, and the log stays
dense across the crash.
"""
import asyncio

from chat_client import ChatClient, ChatClosed, full_history, make_room, mint, run

SECRET = "crash-suite-hs256-secret-0123456789abcdef"
ROOM = "grp:crash"
TOTAL = 1000
IN_FLIGHT = 20
KILL_AFTER = 400


def token(user):
    return mint(SECRET, user, kid="c1")


def check_log(events):
    """seq dense from 1, prev chaining, one epoch."""
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "seq is not dense"
    assert events[0]["prev"] is None
    for before, after in zip(events, events[1:]):
        assert after["prev"] == before["id"], f"prev does not chain: {before} -> {after}"
    assert len({e["epoch"] for e in events}) == 1
    assert len({e["id"] for e in events}) == len(events), "an event id appears twice"


def test_kill9_during_1000_sends(start_server, tmp_path):
    args = ("--data-dir", tmp_path / "data", "--api-key", "test-api-key-0123456789", "--loops", "2",
            "--jwt-key", "hs256:kid=c1:secret=env:RALLY_CRASH_SECRET",
            "--command-rate", "10000", "--command-burst", "10000")
    env = {"RALLY_CRASH_SECRET": SECRET}
    s1 = start_server(*args, env=env)
    make_room(s1.port, ROOM, "group", [("writer", "member"), ("reader", "member")])
    cmids = [f"w-{i:04d}" for i in range(TOTAL)]
    acked = {}          # cmid -> ack (event, seq, at)
    attempted = set()   # cmids whose send was written to the socket

    async def write_until_killed():
        c = await ChatClient.open(s1.port, token("writer"), label="writer")
        queue = list(reversed(cmids))

        async def worker():
            while queue:
                cmid = queue.pop()
                attempted.add(cmid)
                try:
                    reply = await c.command("send", room=ROOM, text=f"message {cmid}", cmid=cmid, timeout=10)
                except ChatClosed:
                    return
                assert reply["ok"], reply
                acked[cmid] = reply

        async def killer():
            while len(acked) < KILL_AFTER:
                assert s1.alive(), "the server died before the kill"
                await asyncio.sleep(0.001)
            s1.kill()

        kill_task = asyncio.create_task(killer())
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        await asyncio.wait_for(kill_task, 10)
        await c.close()

    run(write_until_killed(), 60)
    assert s1.killed and KILL_AFTER <= len(acked) < TOTAL, \
        f"{len(acked)} acks: the kill did not land in the middle of the sends"

    s2 = start_server(*args, env=env)
    events = full_history(s2.port, ROOM)
    check_log(events)
    messages = [e for e in events if e["kind"] == "message"]
    by_cmid = {}
    for m in messages:
        assert m["cmid"] not in by_cmid, f"cmid {m['cmid']} stored twice"
        by_cmid[m["cmid"]] = m
    assert set(by_cmid) <= attempted, f"messages nobody sent: {sorted(set(by_cmid) - attempted)[:5]}"
    ids = [e["id"] for e in events]
    for cmid, ack in acked.items():
        assert ids.count(ack["event"]) == 1, f"acknowledged {cmid} {ack['event']} is not in the log once"
        m = by_cmid.get(cmid)
        assert m is not None and (m["id"], m["seq"], m["at"]) == (ack["event"], ack["seq"], ack["at"]), \
            f"acknowledged {cmid}: {ack} but history has {m}"
    stored_unacked = set(by_cmid) - set(acked)
    print(f"acked {len(acked)}, attempted {len(attempted)}, stored {len(by_cmid)}, stored but not acked {len(stored_unacked)}")

    # resend everything that was not acknowledged
    unacked = [c for c in cmids if c not in acked]
    resent = {}

    async def resend():
        c = await ChatClient.open(s2.port, token("writer"), label="writer-again")
        try:
            for i in range(0, len(unacked), IN_FLIGHT):
                batch = unacked[i:i + IN_FLIGHT]
                replies = await asyncio.gather(*(c.send(ROOM, f"message {m}", m) for m in batch))
                resent.update(zip(batch, replies))
        finally:
            await c.close()
    run(resend(), 60)
    for cmid in stored_unacked:
        assert resent[cmid]["event"] == by_cmid[cmid]["id"], \
            f"{cmid} was stored before the crash as {by_cmid[cmid]['id']}; the resend made {resent[cmid]['event']}"
    old_ids = set(ids)
    for cmid in set(unacked) - stored_unacked:
        assert resent[cmid]["event"] not in old_ids

    final = full_history(s2.port, ROOM)
    check_log(final)
    assert final[:len(events)] == events, "the log before the resends changed"
    final_cmids = [e["cmid"] for e in final if e["kind"] == "message"]
    assert sorted(final_cmids) == cmids, "after the resends every cmid must appear exactly once"
    for cmid, ack in list(acked.items()) + list(resent.items()):
        assert next(e for e in final if e.get("cmid") == cmid)["id"] == ack["event"]
