"""The wire protocol's artefacts checked against each other, without a server.

- Every schema in protocol/schemas/ is a valid JSON Schema (Draft 2020-12) and its $refs resolve.
- Every frame of every vector in protocol/vectors/ validates against the schema it names;
  a client frame marked "invalid" must fail its schema (when it names one) and be answered
  by an error reply with its id.
- The vectors cover every command, reply result, push, event kind, error range and close
  code class, recovery both ways and an idempotent resend; the codes they use are those of
  protocol/codes.json; replies echo ids of commands sent before; pushed events and history
  pages chain (prev = previous id, seq + 1).

Uses no fixture of conftest.py: it needs neither RALLY_SERVER nor a network.
"""
import json
import pathlib

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def _protocol_dir():
    for parent in pathlib.Path(__file__).resolve().parents:
        candidate = parent / "protocol"
        if (candidate / "schemas").is_dir() and (candidate / "vectors").is_dir():
            return candidate
    raise RuntimeError("protocol/ not found above " + __file__)


PROTOCOL = _protocol_dir()
SCHEMAS = PROTOCOL / "schemas"
SCHEMA_FILES = sorted(p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.rglob("*.json"))
VECTOR_FILES = sorted((PROTOCOL / "vectors").glob("*.json"))
CODES = json.loads((PROTOCOL / "codes.json").read_text(encoding="utf-8"))


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _registry():
    resources = []
    for name in SCHEMA_FILES:
        schema = _load(SCHEMAS / name)
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


REGISTRY = _registry()
VECTORS = {p.stem: _load(p) for p in VECTOR_FILES}


def _validator(schema_name):
    return Draft202012Validator(_load(SCHEMAS / schema_name), registry=REGISTRY)


def _frames():
    for name, vector in VECTORS.items():
        for index, frame in enumerate(vector["frames"]):
            yield name, index, frame


# ------------------------------------------------------------------ schemas

@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_is_valid(name):
    schema = _load(SCHEMAS / name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/schemas/" + name), "the $id must mirror the file's path"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_refs_resolve(name):
    schema = _load(SCHEMAS / name)
    resolver = REGISTRY.resolver(base_uri=schema["$id"])

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolver.lookup(node["$ref"])  # raises when unresolvable
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)


def test_commands_refuse_unknown_members_and_server_frames_do_not():
    for name in SCHEMA_FILES:
        schema = _load(SCHEMAS / name)
        if name.startswith("commands/"):
            assert schema.get("additionalProperties") is False, name
        elif name != "defs.json":
            assert "additionalProperties" not in schema, name


# ------------------------------------------------------------------ vectors

def test_vectors_exist():
    assert len(VECTORS) >= 20


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector_shape(path):
    vector = _load(path)
    assert set(vector) == {"name", "description", "frames"}
    assert vector["name"] == path.stem
    assert vector["description"].strip()
    for frame in vector["frames"]:
        assert frame["from"] in ("client", "server")
        bodies = [k for k in ("json", "raw", "close") if k in frame]
        assert len(bodies) == 1, f"one of json/raw/close: {frame}"
        assert set(frame) <= {"from", "schema", "json", "raw", "close", "invalid", "note", "forwardCompatible"}
        if "schema" in frame:
            assert frame["schema"] in SCHEMA_FILES
            kind = frame["schema"].split("/")[0]
            assert kind == ("commands" if frame["from"] == "client" else kind)
            assert frame["from"] == "client" or kind in ("replies", "pushes")
        elif "json" in frame:
            assert frame.get("invalid") or frame.get("forwardCompatible"), \
                f"a json frame without schema must be invalid or forward-compatible: {frame}"
        if "close" in frame or "forwardCompatible" in frame:
            assert frame["from"] == "server"
        if "invalid" in frame or "raw" in frame:
            assert frame["from"] == "client" and frame.get("invalid") is True


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector_frames_match_their_schemas(path):
    vector = _load(path)
    for index, frame in enumerate(vector["frames"]):
        if "schema" not in frame:
            continue
        errors = list(_validator(frame["schema"]).iter_errors(frame["json"]))
        where = f"{path.name} frame {index} ({frame['schema']})"
        if frame.get("invalid"):
            assert errors, f"{where} is marked invalid but passes its schema"
        else:
            assert not errors, f"{where}: " + "; ".join(e.message[:200] for e in errors)


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_replies_answer_earlier_commands(path):
    frames = _load(path)["frames"]
    sent = set()
    for index, frame in enumerate(frames):
        body = frame.get("json")
        if frame["from"] == "client":
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                sent.add(body["id"])
            if frame.get("invalid"):
                # The error reply comes next; it echoes the id when the command had a valid one.
                reply = frames[index + 1]["json"]
                assert reply["ok"] is False
                expected = body.get("id") if isinstance(body, dict) and reply["id"] is not None else None
                assert reply["id"] == expected
            continue
        if isinstance(body, dict) and "ok" in body and body["id"] is not None:
            assert body["id"] in sent, f"{path.name} frame {index} answers an id never sent"


def _codes(kind):
    return {entry["code"]: entry for entry in CODES[kind]}


def test_codes_file_is_consistent():
    errors, closes = _codes("errors"), _codes("closes")
    assert len(errors) == len(CODES["errors"]) and len(closes) == len(CODES["closes"])
    ranges = {"invalid_request": (1000, 1999), "refused": (2000, 2999), "transient": (3000, 3999),
              "connection": (4000, 4199)}
    for code, entry in errors.items():
        low, high = ranges[entry["category"]]
        assert low <= code <= high
    for code, entry in closes.items():
        assert entry["reconnect"] == (4000 <= code <= 4099)
    # A connection-level error is followed by the close with the same code and reason.
    for code, entry in errors.items():
        if entry["category"] == "connection":
            assert closes[code]["reason"] == entry["reason"]


def test_vector_errors_and_closes_use_defined_codes():
    errors, closes = _codes("errors"), _codes("closes")
    for name, index, frame in _frames():
        body = frame.get("json")
        if isinstance(body, dict) and body.get("ok") is False:
            error = body["error"]
            assert errors[error["code"]]["reason"] == error["reason"], f"{name} frame {index}"
            if "retryAfterMs" in error:
                assert errors[error["code"]]["category"] == "transient"
        if "close" in frame:
            assert closes[frame["close"]["code"]]["reason"] == frame["close"]["reason"]


def test_connection_errors_are_followed_by_their_close():
    for name, vector in VECTORS.items():
        frames = vector["frames"]
        for index, frame in enumerate(frames):
            body = frame.get("json")
            if isinstance(body, dict) and body.get("ok") is False and 4000 <= body["error"]["code"] <= 4199:
                assert frames[index + 1].get("close", {}).get("code") == body["error"]["code"], name


# ------------------------------------------------------------------ coverage

def test_vectors_cover_the_protocol():
    used = {frame["schema"] for _, _, frame in _frames() if "schema" in frame and not frame.get("invalid")}
    unused = [s for s in SCHEMA_FILES if s != "defs.json" and s not in used]
    assert not unused, f"schemas no valid vector frame uses: {unused}"

    kinds, codes, recovered = set(), set(), set()
    for _, _, frame in _frames():
        body = frame.get("json")
        if not isinstance(body, dict):
            continue
        if body.get("push") == "event":
            kinds.add(body["kind"])
        for event in body.get("events", []):
            kinds.add(event["kind"])
        if body.get("ok") is False:
            codes.add(body["error"]["code"])
        for room in body.get("rooms", []):
            if "recovered" in room:
                recovered.add(room["recovered"])
    assert {"message", "edit", "delete", "member.joined", "member.left", "member.role"} <= kinds
    assert {c // 1000 for c in codes} >= {1, 2, 3, 4}
    assert set(_codes("errors")) <= codes, f"error codes without a vector: {set(_codes('errors')) - codes}"
    assert recovered == {True, False}


def test_an_idempotent_resend_is_answered_with_the_same_event():
    frames = VECTORS["send-idempotent-resend"]["frames"]
    by_cmid, replies = {}, {}
    for frame in frames:
        body = frame["json"]
        if frame["from"] == "client":
            by_cmid.setdefault(body["cmid"], []).append(body["id"])
        elif body.get("ok"):
            replies[body["id"]] = (body["event"], body["seq"], body["at"])
    [ids] = by_cmid.values()
    assert len(ids) == 2 and replies[ids[0]] == replies[ids[1]]
    pushes = [f for f in frames if f["json"].get("push") == "event"]
    assert len(pushes) == 1


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_appended_replies_agree_with_the_pushed_event(path):
    """A reply and the push of the same event give the same seq and time (and room, for dm)."""
    frames = _load(path)["frames"]
    pushed = {f["json"]["id"]: f["json"] for f in frames
              if isinstance(f.get("json"), dict) and f["json"].get("push") == "event"}
    for frame in frames:
        if frame.get("schema") != "replies/appended.json":
            continue
        reply = frame["json"]
        event = pushed.get(reply["event"])
        if event is None:
            continue
        assert (reply["seq"], reply["at"]) == (event["seq"], event["at"]), path.name
        assert reply.get("room", event["room"]) == event["room"], path.name


# ------------------------------------------------------------------ ordering

def _check_chain(events, last, where):
    """Each event follows the previous one of its room: prev is its id, seq one more."""
    for event in events:
        room = event["room"]
        if room in last:
            prev_id, prev_seq = last[room]
            assert event["prev"] == prev_id, f"{where}: {event['id']} does not follow {prev_id}"
            if prev_seq is not None:
                assert event["seq"] == prev_seq + 1, f"{where}: seq gap before {event['id']}"
        last[room] = (event["id"], event["seq"])


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_events_chain_in_log_order(path):
    last = {}
    positions = {}
    for index, frame in enumerate(_load(path)["frames"]):
        body = frame.get("json")
        if not isinstance(body, dict):
            continue
        where = f"{path.name} frame {index}"
        if body.get("cmd") == "connect":
            positions = {p["room"]: p["id"] for p in body.get("positions", [])}
        if "events" in body:
            _check_chain(body["events"], {}, where)
        if body.get("ok") is True and "user" in body and "rooms" in body:
            for room in body["rooms"]:
                if room.get("recovered") is True:
                    # Replay starts right after the client's position.
                    last[room["room"]] = (positions[room["room"]], None)
                elif room.get("recovered") is None:
                    last[room["room"]] = (room["last"], room["seq"])
                else:
                    last.pop(room["room"], None)
        if body.get("push") == "room.joined":
            state = body["room"]
            last[state["room"]] = (state["last"], state["seq"])
        if body.get("push") == "event":
            _check_chain([body], last, where)
