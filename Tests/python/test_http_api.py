"""The platform HTTP API against its OpenAPI document, protocol/http-api.yaml.

The document is validated first (openapi-spec-validator). Then a real server
(`--dev --data-dir TMP --api-key KEY`) is driven over raw sockets, and every
response it gives is checked against the document with openapi-core: status,
declared headers and JSON body. Responses to requests that match no operation
of the document (an unknown path: 404; a known path with another method: 405)
are checked against the document's shared responses
(`components/responses/NotFound`, `MethodNotAllowed`, ...) with jsonschema.
Successful requests are also checked against the document's request schemas.

A failure names the request, the response (status, headers, body) and what
differs from the document.
"""
import asyncio
import json
import re
import socket
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import validate as validate_openapi
from werkzeug.datastructures import Headers, ImmutableMultiDict

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

SPEC_PATH = Path(__file__).resolve().parents[2] / "protocol" / "http-api.yaml"
KEY = "test-key-0123456789"
KEY2 = "second-key-0123456789"
TIMEOUT = 5.0
MIB = 1 << 20


# ------------------------------------------------------------------ document

@pytest.fixture(scope="module")
def spec():
    assert SPEC_PATH.exists(), f"{SPEC_PATH} is missing"
    with open(SPEC_PATH) as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def contract(spec):
    return Contract(spec)


# ------------------------------------------------------------------ raw HTTP

class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers            # werkzeug Headers: case-insensitive, ordered
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        head = "".join(f"\n  {k}: {v}" for k, v in self.headers.items())
        body = self.body[:600].decode("utf-8", "replace")
        return f"HTTP {self.status} {self.reason}{head}\n\n  {body}"


class Sent:
    """What was sent: enough to find the operation and validate the request."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)

    def __repr__(self):
        body = "" if self.body is None else " " + self.body[:200].decode("utf-8", "replace")
        return f"{self.method} {self.target}{body}"


def build_request(method, target, body=None, headers=(), key=KEY, auth="x-api-key"):
    """Bytes of one HTTP/1.1 request, and its `Sent` description."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    fields = [("Host", "127.0.0.1")]
    if key is not None:
        fields.append(("X-Api-Key", key) if auth == "x-api-key" else ("Authorization", f"Bearer {key}"))
    fields.extend(headers)
    names = {n.lower() for n, _ in fields}
    if body is not None:
        if "content-type" not in names:
            fields.append(("Content-Type", "application/json"))
        if "content-length" not in names and "transfer-encoding" not in names:
            fields.append(("Content-Length", str(len(body))))
    raw = f"{method} {target} HTTP/1.1\r\n".encode()
    raw += b"".join(f"{n}: {v}\r\n".encode() for n, v in fields) + b"\r\n"
    if body is not None and not any(n.lower() == "transfer-encoding" for n, _ in fields):
        raw += body
    return raw, Sent(method, target, Headers(fields), body)


class Conn:
    """One client connection; responses are read in order from a buffered reader."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.rfile = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def read_response(self, method="GET"):
        line = self.rfile.readline(65537)
        if not line:
            raise ConnectionError("the server closed the connection instead of answering")
        m = re.match(rb"HTTP/1\.1 (\d{3}) ?(.*)\r\n$", line)
        assert m, f"bad status line {line!r}"
        status, reason = int(m.group(1)), m.group(2).decode()
        headers = Headers()
        while True:
            line = self.rfile.readline(65537)
            assert line.endswith(b"\r\n"), f"truncated header section: {line!r}"
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.add(name.strip(), value.strip())
        body = b""
        has_body = not (100 <= status < 200 or status in (204, 304) or method == "HEAD")
        if has_body:
            assert "Transfer-Encoding" not in headers, "the API is documented as never chunking"
            length = int(headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            assert len(body) == length, f"body cut short: {len(body)} of {length} bytes"
        return Response(status, reason, headers, body)

    def closed_by_server(self, timeout=2.0):
        """True when the server closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            return self.rfile.read(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass


# ------------------------------------------------------------------ contract

class _Req:
    """openapi-core's Request protocol over a `Sent`."""

    def __init__(self, sent):
        self.host_url = "http://127.0.0.1"
        self.path = urllib.parse.unquote(sent.path)       # path parameters arrive decoded
        self.method = sent.method.lower()
        self.parameters = RequestParameters(query=ImmutableMultiDict(sent.query), header=sent.headers,
                                            cookie=ImmutableMultiDict(), path={})
        self.body = sent.body
        self.content_type = (sent.headers.get("Content-Type") or "application/json").lower()


class _Resp:
    def __init__(self, response):
        self.status_code = response.status
        self.headers = response.headers
        self.data = response.body
        self.content_type = (response.headers.get("Content-Type") or "").lower()


def _explain(error):
    lines, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        lines.append(f"{type(error).__name__}: {error}")
        for sub in getattr(error, "schema_errors", None) or []:
            lines.append(f"  - at {getattr(sub, 'json_path', '$')}: {sub.message}")
        error = error.__cause__ or error.__context__
    return "\n".join(lines)


class Contract:
    """The document, and checks of real exchanges against it."""

    FALLBACK = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed",
                413: "PayloadTooLarge"}

    def __init__(self, spec):
        self.spec = spec
        self.openapi = OpenAPI.from_dict(spec)
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:rally:http-api", resource)
        self.templates = []
        for template, item in spec["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            methods = {m.upper() for m in item if m in ("get", "put", "post", "patch", "delete", "head")}
            self.templates.append((template, re.compile(pattern), methods))

    def operation(self, sent):
        """(template, documented?) for the request: template None for an unknown path."""
        for template, pattern, methods in self.templates:
            if pattern.match(sent.path):
                return template, sent.method in methods
        return None, False

    def check(self, sent, response, request=False):
        """Raises AssertionError when the exchange does not match the document."""
        template, documented = self.operation(sent)
        where = f"\nrequest: {sent!r}\nresponse: {response!r}"
        if documented:
            if request:
                try:
                    self.openapi.validate_request(_Req(sent))
                except Exception as error:  # noqa: BLE001 - any validation error is a failure
                    raise AssertionError(f"the request does not match {SPEC_PATH.name}:\n"
                                         f"{_explain(error)}{where}") from None
            try:
                self.openapi.validate_response(_Req(sent), _Resp(response))
            except Exception as error:  # noqa: BLE001
                raise AssertionError(f"the response does not match {SPEC_PATH.name} "
                                     f"({sent.method} {template}):\n{_explain(error)}{where}") from None
            return
        component = self.FALLBACK.get(response.status)
        if template is not None and response.status == 404:
            component = "NotFound"
        assert component, (f"{sent.method} {sent.path} is no operation of the document and status "
                           f"{response.status} is none of its shared responses{where}")
        self.check_component(response, component, where)

    def check_all(self, exchanges):
        """Checks every (sent, response) and fails once, listing every mismatch."""
        problems = []
        for sent, response in exchanges:
            try:
                self.check(sent, response)
            except AssertionError as error:
                problems.append(str(error))
        assert not problems, f"{len(problems)} of {len(exchanges)} responses differ from the document:\n\n" + \
            "\n\n".join(problems)

    def check_component(self, response, name, where=""):
        """Headers and body against components/responses/NAME, with jsonschema."""
        declared = self.spec["components"]["responses"][name]
        problems = []
        for header, ref in declared.get("headers", {}).items():
            definition = self._resolve(ref)
            value = response.headers.get(header)
            if value is None:
                if definition.get("required"):
                    problems.append(f"missing required header {header} "
                                    f"({definition.get('description', '').strip()})")
                continue
            schema = definition["schema"]
            instance = int(value) if schema.get("type") == "integer" and value.isdigit() else value
            problems += [f"header {header}: {e.message}" for e in self._errors(schema, instance)]
        content = declared.get("content", {})
        if content:
            ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype not in content:
                problems.append(f"Content-Type {ctype!r} is not one of {list(content)}")
            else:
                try:
                    body = json.loads(response.body)
                except ValueError as error:
                    problems.append(f"body is not JSON: {error}")
                else:
                    schema = content[ctype]["schema"]
                    problems += [f"body at {e.json_path}: {e.message}" for e in self._errors(schema, body)]
        assert not problems, (f"the response does not match {SPEC_PATH.name} "
                              f"components/responses/{name}:\n  - " + "\n  - ".join(problems) + where)

    def _resolve(self, node):
        while "$ref" in node:
            node = self.registry.resolver().lookup("urn:rally:http-api" + node["$ref"]).contents
        return node

    def _errors(self, schema, instance):
        wrapper = dict(schema)
        if "$ref" in wrapper:
            wrapper["$ref"] = "urn:rally:http-api" + wrapper["$ref"]
        wrapper = json.loads(json.dumps(wrapper).replace('"$ref": "#/', '"$ref": "urn:rally:http-api#/'))
        validator = jsonschema.Draft202012Validator(wrapper, registry=self.registry)
        return sorted(validator.iter_errors(instance), key=lambda e: list(e.path))


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def server(start_module_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("http-api-data")
    return start_module_server("--dev", "--data-dir", str(data), "--api-key", KEY, "--api-key", KEY2)


class Api:
    """Sends one request per connection and checks the exchange against the document."""

    def __init__(self, server, contract):
        self.server = server
        self.contract = contract
        self.counter = 0

    def call(self, method, target, body=None, status=None, headers=(), key=KEY, auth="x-api-key",
             check_request=None):
        raw, sent = build_request(method, target, body, headers, key, auth)
        conn = Conn(self.server.port)
        try:
            conn.send(raw)
            response = conn.read_response(method)
        finally:
            conn.close()
        if status is not None:
            assert response.status == status, f"expected {status}\nrequest: {sent!r}\nresponse: {response!r}"
        if check_request is None:
            check_request = 200 <= response.status < 300
        self.contract.check(sent, response, request=check_request)
        return response

    def error_code(self, response):
        return response.json()["error"]["code"]

    def unique(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}-{time.monotonic_ns() % 10**9}"

    def new_room(self, kind="group", name=None):
        room = self.unique("t:room")
        body = {"id": room, "kind": kind}
        if name is not None:
            body["name"] = name
        self.call("POST", "/api/rooms", body, status=201)
        return room


@pytest.fixture(scope="module")
def api(server, contract):
    return Api(server, contract)


def dev_token(port, user):
    conn = Conn(port)
    try:
        conn.send(f"GET /dev/token?user={user} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        response = conn.read_response()
    finally:
        conn.close()
    assert response.status == 200, repr(response)
    return response.json()["token"]


# ------------------------------------------------------------------ the document

def test_document_is_valid_openapi(spec):
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.")
    operations = {(m.upper(), p) for p, item in spec["paths"].items() for m in item
                  if m in ("get", "put", "post", "patch", "delete", "head")}
    wanted = {("GET", "/healthz"), ("POST", "/api/rooms"), ("PATCH", "/api/rooms/{id}"),
              ("DELETE", "/api/rooms/{id}"), ("PUT", "/api/rooms/{id}/members"),
              ("DELETE", "/api/rooms/{id}/members"), ("POST", "/api/rooms/{id}/messages"),
              ("GET", "/api/rooms/{id}/history"), ("POST", "/api/users/{user}/disconnect"),
              ("GET", "/api/stats"), ("GET", "/dev/token")}
    assert wanted <= operations, f"undocumented: {sorted(wanted - operations)}"
    schemes = spec["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["bearerKey"].items()
    assert {"type": "apiKey", "in": "header", "name": "X-Api-Key"}.items() <= schemes["apiKeyHeader"].items()
    assert spec["paths"]["/dev/token"]["get"]["security"] == []
    assert "development only" in spec["paths"]["/dev/token"]["get"]["summary"].lower()
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"status", "code", "message"}
    text = SPEC_PATH.read_text()
    for needle in ("1 MiB", "100-continue", "Transfer-Encoding", "keep-alive", "--api-listen"):
        assert needle in text, f"the document does not mention {needle}"
    # Every status the code produces appears on some operation.
    statuses = {s for item in spec["paths"].values() for m, op in item.items() if isinstance(op, dict)
                for s in op.get("responses", {})}
    assert {"200", "201", "202", "400", "401", "403", "404", "409", "413", "503"} <= statuses
    assert "MethodNotAllowed" in spec["components"]["responses"]


# ------------------------------------------------------------------ health, dev token, auth

def test_healthz(api):
    response = api.call("GET", "/healthz", key=None, status=200)
    assert response.json() == {"status": "ok"}


def test_head_content_length_matches_get(api):
    """RFC 9110 §8.6: a HEAD response MUST NOT carry a Content-Length other than the GET's."""
    get = api.call("GET", "/healthz", key=None, status=200)
    head = api.call("HEAD", "/healthz", key=None, status=200)
    length = head.headers.get("Content-Length")
    assert length is None or int(length) == len(get.body), (
        f"HEAD /healthz answers Content-Length: {length}, but GET /healthz has a {len(get.body)}-byte "
        f"body: a HEAD response must send no Content-Length or the GET's (RFC 9110 §8.6)\n{head!r}")


def test_dev_token(api):
    response = api.call("GET", "/dev/token?user=dora", key=None, status=200)
    body = response.json()
    assert body["user"] == "dora" and body["token"].count(".") == 2
    for bad in ("a%20b", "system", "", "x" * 129):
        response = api.call("GET", f"/dev/token?user={bad}", key=None, status=400)
        assert api.error_code(response) == "invalid_request"
    api.call("GET", "/dev/token", key=None, status=400)


def test_missing_or_wrong_key_401(api):
    for key, auth in ((None, "x-api-key"), ("wrong", "x-api-key"), ("wrong", "bearer"),
                      (KEY + "x", "bearer"), (KEY[:-1], "x-api-key"), ("", "x-api-key")):
        response = api.call("GET", "/api/stats", key=key, auth=auth, status=401)
        assert api.error_code(response) == "unauthorized"
        assert response.headers.get("WWW-Authenticate") == "Bearer"
    # The key is checked before routing: unknown paths and methods are 401 too.
    api.call("GET", "/api/no/such/thing", key=None, status=401)
    api.call("DELETE", "/api/stats", key="wrong", status=401)
    # A wrong bearer is not rescued by a right X-Api-Key: Authorization wins.
    api.call("GET", "/api/stats", key="wrong", auth="bearer", headers=[("X-Api-Key", KEY)], status=401)


def test_right_key_in_either_header(api):
    api.call("GET", "/api/stats", key=KEY, auth="x-api-key", status=200)
    api.call("GET", "/api/stats", key=KEY, auth="bearer", status=200)
    api.call("GET", "/api/stats", key=KEY2, auth="x-api-key", status=200)
    api.call("GET", "/api/stats", key=None, headers=[("Authorization", f"bearer {KEY}")], status=200)


# ------------------------------------------------------------------ rooms

def test_room_lifecycle(api):
    room = api.unique("grp:life")
    created = api.call("POST", "/api/rooms", {"id": room, "kind": "group", "name": "Life"}, status=201).json()
    assert created["id"] == room and created["kind"] == "group" and created["name"] == "Life"
    assert created["seq"] == 0 and created["last"] is None and created["members"] == 0

    renamed = api.call("PATCH", f"/api/rooms/{room}", {"name": "Renamed"}, status=200).json()
    assert renamed["name"] == "Renamed" and renamed["epoch"] == created["epoch"]
    unnamed = api.call("PATCH", f"/api/rooms/{room}", {}, status=200).json()
    assert "name" not in unnamed, "PATCH without name is documented to remove the name"

    announcement = api.call("POST", "/api/rooms", {"id": room + "-news", "kind": "announcement"},
                            status=201).json()
    assert announcement["kind"] == "announcement" and "name" not in announcement

    assert api.call("DELETE", f"/api/rooms/{room}", status=200).json() == {"ok": True}
    api.call("DELETE", f"/api/rooms/{room}", status=404)
    api.call("PATCH", f"/api/rooms/{room}", {"name": "x"}, status=404)
    api.call("GET", f"/api/rooms/{room}/history", status=404)


def test_room_id_with_percent_encoding(api):
    room = api.unique("grp:a|b.")
    api.call("POST", "/api/rooms", {"id": room, "kind": "group"}, status=201)
    encoded = urllib.parse.quote(room, safe=":")
    assert api.call("PATCH", f"/api/rooms/{encoded}", {"name": "pipe"}, status=200).json()["id"] == room


def test_create_existing_room_409(api):
    room = api.new_room()
    response = api.call("POST", "/api/rooms", {"id": room, "kind": "group"}, status=409)
    assert api.error_code(response) == "conflict"
    api.call("POST", "/api/rooms", {"id": "demo:lobby", "kind": "announcement"}, status=409)


@pytest.mark.parametrize("body, code", [
    ("{not json", "invalid_request"),
    ("[1, 2]", "invalid_request"),
    ("", "invalid_request"),
    ({"kind": "group"}, "invalid_request"),                     # no id
    ({"id": "x:nokind"}, "invalid_request"),                    # no kind
    ({"id": "x:bad", "kind": "direct"}, "invalid_request"),     # direct rooms come from dm
    ({"id": "x:bad", "kind": "channel"}, "invalid_request"),
    ({"id": 7, "kind": "group"}, "invalid_request"),
    ({"id": "dm:a|b", "kind": "group"}, "invalid_argument"),
    ({"id": "has space", "kind": "group"}, "invalid_argument"),
], ids=["bad-json", "array", "empty", "no-id", "no-kind", "kind-direct", "kind-unknown", "id-number",
        "id-dm", "id-space"])
def test_create_room_400(api, body, code):
    response = api.call("POST", "/api/rooms", body, status=400)
    assert api.error_code(response) == code


# ------------------------------------------------------------------ members

def test_members(api):
    room = api.new_room()
    target = f"/api/rooms/{room}/members"
    after = api.call("PUT", target, {"members": [{"user": "m1", "role": "member"},
                                                 {"user": "m2", "role": "owner"}]}, status=200).json()
    assert after["members"] == 2 and after["seq"] == 2
    again = api.call("PUT", target, {"members": [{"user": "m1", "role": "member"}]}, status=200).json()
    assert again["seq"] == 2, "an unchanged member appends nothing"
    api.call("PUT", target, {"members": [{"user": "m1", "role": "moderator"}]}, status=200)
    removed = api.call("DELETE", target, {"users": ["m2", "not-a-member"]}, status=200).json()
    assert removed["members"] == 1

    events = api.call("GET", f"/api/rooms/{room}/history", status=200).json()["events"]
    assert [(e["kind"], e["user"], e.get("role")) for e in events] == [
        ("member.joined", "m1", "member"), ("member.joined", "m2", "owner"),
        ("member.role", "m1", "moderator"), ("member.left", "m2", None)]


@pytest.mark.parametrize("method, body, status, code", [
    ("PUT", {"members": [{"user": "x", "role": "boss"}]}, 400, "invalid_request"),
    ("PUT", {"members": [{"user": "x"}]}, 400, "invalid_request"),
    ("PUT", {"members": [{"role": "member"}]}, 400, "invalid_request"),
    ("PUT", {"members": "x"}, 400, "invalid_request"),
    ("PUT", {}, 400, "invalid_request"),
    ("PUT", "nope", 400, "invalid_request"),
    ("PUT", {"members": [{"user": "bad user", "role": "member"}]}, 400, "invalid_argument"),
    ("DELETE", {"users": [1]}, 400, "invalid_request"),
    ("DELETE", {}, 400, "invalid_request"),
    ("DELETE", None, 400, "invalid_request"),
], ids=["bad-role", "no-role", "no-user", "not-array", "no-members", "bad-json", "bad-user-id",
        "users-not-strings", "no-users", "no-body"])
def test_members_400(api, method, body, status, code):
    room = api.new_room()
    response = api.call(method, f"/api/rooms/{room}/members", body, status=status)
    assert api.error_code(response) == code


def test_members_unknown_room_404(api):
    api.call("PUT", "/api/rooms/no:such:room/members", {"members": [{"user": "a", "role": "member"}]}, status=404)
    api.call("DELETE", "/api/rooms/no:such:room/members", {"users": ["a"]}, status=404)


# ------------------------------------------------------------------ messages

def test_post_message_and_idempotence(api):
    room = api.new_room()
    first = api.call("POST", f"/api/rooms/{room}/messages", {"text": "hello", "cmid": "c-1"}, status=201).json()
    repeat = api.call("POST", f"/api/rooms/{room}/messages", {"text": "hello", "cmid": "c-1"}, status=201).json()
    assert repeat == first, "the same cmid must return the first post's event"
    other = api.call("POST", f"/api/rooms/{room}/messages", {"text": "hello", "cmid": "c-2"}, status=201).json()
    assert other["event"] != first["event"] and other["seq"] == first["seq"] + 1

    api.call("PUT", f"/api/rooms/{room}/members", {"members": [{"user": "poster", "role": "member"}]}, status=200)
    as_member = api.call("POST", f"/api/rooms/{room}/messages",
                         {"text": "from poster", "cmid": "c-1", "author": "poster"}, status=201).json()
    assert as_member["event"] != first["event"], "cmids are per author"

    events = api.call("GET", f"/api/rooms/{room}/history", status=200).json()["events"]
    messages = [(e["author"], e["text"], e["cmid"]) for e in events if e["kind"] == "message"]
    assert messages == [("system", "hello", "c-1"), ("system", "hello", "c-2"), ("poster", "from poster", "c-1")]


def test_post_as_non_member_403(api):
    room = api.new_room()
    response = api.call("POST", f"/api/rooms/{room}/messages",
                        {"text": "hi", "cmid": "nm-1", "author": "stranger"}, status=403)
    assert api.error_code(response) == "not_member"


def test_post_unknown_room_404(api):
    api.call("POST", "/api/rooms/no:such:room/messages", {"text": "hi", "cmid": "x"}, status=404)


@pytest.mark.parametrize("body", [
    {"cmid": "c"},                                  # no text
    {"text": "hi"},                                 # no cmid
    {"text": "hi", "cmid": ""},
    {"text": "hi", "cmid": "has space"},
    {"text": "hi", "cmid": "x" * 65},
    {"text": "hi", "cmid": "é"},
    {"text": "hi", "cmid": 5},
    {"text": "   \n\t", "cmid": "c"},
    {"text": "", "cmid": "c"},
    {"text": "x" * 4001, "cmid": "c"},
    {"text": "a\u0000b", "cmid": "c"},
    {"text": "hi", "cmid": "c", "author": "bad author"},
    "{broken",
], ids=["no-text", "no-cmid", "cmid-empty", "cmid-space", "cmid-65", "cmid-non-ascii", "cmid-number",
        "text-whitespace", "text-empty", "text-4001", "text-nul", "bad-author", "bad-json"])
def test_post_message_400(api, body):
    room = api.new_room()
    response = api.call("POST", f"/api/rooms/{room}/messages", body, status=400)
    assert api.error_code(response) == "invalid_request"


# ------------------------------------------------------------------ history

def test_history_paging(api):
    room = api.new_room()
    ids = [api.call("POST", f"/api/rooms/{room}/messages", {"text": f"m{i}", "cmid": f"h{i}"},
                    status=201).json()["event"] for i in range(7)]
    base = f"/api/rooms/{room}/history"

    def page(query):
        return api.call("GET", f"{base}?{query}" if query else base, status=200).json()

    latest = page("limit=3")
    assert [e["id"] for e in latest["events"]] == ids[4:] and latest["more"] is True
    assert [e["seq"] for e in latest["events"]] == [5, 6, 7]
    older = page(f"before={ids[4]}&limit=3")
    assert [e["id"] for e in older["events"]] == ids[1:4] and older["more"] is True
    oldest = page(f"before={ids[1]}&limit=3")
    assert [e["id"] for e in oldest["events"]] == ids[:1] and oldest["more"] is False
    newer = page(f"after={ids[0]}&limit=2")
    assert [e["id"] for e in newer["events"]] == ids[1:3] and newer["more"] is True
    tail = page(f"after={ids[4]}&limit=100")
    assert [e["id"] for e in tail["events"]] == ids[5:] and tail["more"] is False
    empty = page(f"after={ids[6]}")
    assert empty["events"] == [] and empty["more"] is False
    everything = page("")
    assert [e["id"] for e in everything["events"]] == ids and everything["more"] is False
    assert page("limit=1")["events"][0]["id"] == ids[6]
    for e in everything["events"]:
        assert e["room"] == room and e["epoch"] == everything["epoch"]
    assert [e["prev"] for e in everything["events"]] == [None] + ids[:-1]

    for query in ("limit=0", "limit=101", "limit=-1", f"before={ids[1]}&after={ids[0]}"):
        response = api.call("GET", f"{base}?{query}", status=400)
        assert api.error_code(response) == "invalid_request", query
    api.call("GET", f"{base}?before=no-such-event", status=404)
    api.call("GET", f"{base}?after=no-such-event", status=404)
    api.call("GET", "/api/rooms/no:such:room/history", status=404)


# ------------------------------------------------------------------ stats, 404, 405

def test_stats(api):
    stats = api.call("GET", "/api/stats", status=200).json()
    assert stats["rooms"] >= 2 and stats["members"] >= 0 and stats["events"] >= 0


@pytest.mark.parametrize("method, target", [
    ("GET", "/api/nope"), ("GET", "/api/"), ("GET", "/api/rooms/x/bogus"), ("POST", "/api/users/x"),
    ("GET", "/api/rooms/x/members/extra"), ("GET", "/api/stats/x"),
])
def test_unknown_api_path_404(api, method, target):
    response = api.call(method, target, status=404)
    assert api.error_code(response) == "not_found"


WRONG_METHODS = [("DELETE", "/api/stats"), ("GET", "/api/rooms"), ("PUT", "/api/rooms/x"),
                 ("GET", "/api/rooms/x"), ("GET", "/api/rooms/x/members"), ("GET", "/api/rooms/x/messages"),
                 ("POST", "/api/rooms/x/history"), ("GET", "/api/users/x/disconnect")]


def test_wrong_method_405(api):
    exchanges = []
    for method, target in WRONG_METHODS:
        raw, sent = build_request(method, target, {} if method in ("PUT", "POST") else None)
        conn = Conn(api.server.port)
        try:
            conn.send(raw)
            response = conn.read_response(method)
            assert response.status == 405, f"{sent!r}\n{response!r}"
            assert response.json()["error"]["code"] == "method_not_allowed", repr(response)
            # The connection stays usable after an API error.
            conn.send(build_request("GET", "/api/stats")[0])
            assert conn.read_response().status == 200
        finally:
            conn.close()
        exchanges.append((sent, response))
    api.contract.check_all(exchanges)


def test_non_api_wrong_method_405(api):
    exchanges = []
    for method, target in (("POST", "/healthz"), ("DELETE", "/healthz"), ("POST", "/dev/token?user=x")):
        raw, sent = build_request(method, target, key=None)
        conn = Conn(api.server.port)
        try:
            conn.send(raw)
            response = conn.read_response(method)
        finally:
            conn.close()
        assert response.status == 405, f"{sent!r}\n{response!r}"
        assert response.headers.get("Allow"), repr(response)
        exchanges.append((sent, response))
    api.contract.check_all(exchanges)


# ------------------------------------------------------------------ disconnect

def test_disconnect_closes_websocket_4102(api, server):
    user = api.unique("wsuser")
    token = dev_token(server.port, user)

    async def scenario():
        async with ws_connect(f"ws://127.0.0.1:{server.port}/ws", subprotocols=["rally.v1"],
                              open_timeout=TIMEOUT, close_timeout=2) as ws:
            assert ws.subprotocol == "rally.v1"
            await ws.send(json.dumps({"id": "1", "cmd": "connect", "token": token}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert reply.get("ok") is True and reply["user"] == user, reply
            stats = await asyncio.to_thread(api.call, "GET", "/api/stats", None, 200)
            assert stats.json()["sessions"] >= 1
            response = await asyncio.to_thread(api.call, "POST", f"/api/users/{user}/disconnect", None, 202)
            assert response.json() == {"user": user, "disconnecting": True}
            try:
                while True:
                    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
                    assert "push" in frame, f"unexpected frame before the close: {frame}"
            except ConnectionClosed as closed:
                assert closed.rcvd is not None, "the server dropped the connection without a close frame"
                return closed.rcvd.code, closed.rcvd.reason

    code, reason = asyncio.run(asyncio.wait_for(scenario(), 15))
    assert code == 4102, f"close code {code} ({reason!r}), expected 4102 disconnected_by_platform"


def test_disconnect_without_sessions_and_bad_user(api):
    assert api.call("POST", "/api/users/nobody-here/disconnect", status=202).json()["disconnecting"] is True
    response = api.call("POST", "/api/users/a%20b/disconnect", status=400)
    assert api.error_code(response) == "invalid_request"


def test_ban_unban_and_revoke_tokens(api):
    user = api.unique("banned")
    assert api.call("PUT", f"/api/users/{user}/ban", None, 200).json() == {"user": user, "banned": True}
    until = int(time.time() * 1000) + 3_600_000
    assert api.call("PUT", f"/api/users/{user}/ban", {"until": until}, 200).json() == \
        {"user": user, "banned": True, "bannedUntil": until}
    body = api.call("POST", f"/api/users/{user}/revoke-tokens", {"before": 1_700_000_000}, 200).json()
    assert body["revokedBefore"] == 1_700_000_000 and body["banned"] is True
    # the revocation time only moves forward
    assert api.call("POST", f"/api/users/{user}/revoke-tokens", {"before": 1_600_000_000}, 200).json()["revokedBefore"] == 1_700_000_000
    assert api.call("DELETE", f"/api/users/{user}/ban", None, 200).json() == \
        {"user": user, "banned": False, "revokedBefore": 1_700_000_000}
    for bad in ({"until": "soon"}, {"until": 0}, {"until": 1.5}, [1]):
        assert api.error_code(api.call("PUT", f"/api/users/{user}/ban", bad, 400)) == "invalid_request"
    assert api.error_code(api.call("POST", f"/api/users/{user}/revoke-tokens", {"before": "x"}, 400)) == "invalid_request"
    assert api.error_code(api.call("PUT", "/api/users/a%20b/ban", None, 400)) == "invalid_request"
    assert api.call("GET", f"/api/users/{user}/ban", None, 405).headers.get("Allow") == "PUT, DELETE"


# ------------------------------------------------------------------ HTTP/1.1 behaviour

def test_keep_alive_sequential_requests(api):
    room = api.new_room()
    conn = Conn(api.server.port)
    try:
        exchanges = [("GET", "/api/stats", None, 200, KEY),
                     ("POST", f"/api/rooms/{room}/messages", {"text": "ka", "cmid": "ka"}, 201, KEY),
                     ("GET", "/api/stats", None, 401, None),        # errors keep the connection too
                     ("POST", "/api/rooms", "{bad", 400, KEY),
                     ("GET", "/api/nope", None, 404, KEY),
                     ("GET", f"/api/rooms/{room}/history", None, 200, KEY)]
        for method, target, body, status, key in exchanges:
            raw, sent = build_request(method, target, body, key=key)
            conn.send(raw)
            response = conn.read_response(method)
            assert response.status == status, f"{sent!r}\n{response!r}"
            assert "close" not in response.headers.get("Connection", "").lower(), repr(response)
            api.contract.check(sent, response)
        raw, sent = build_request("GET", "/api/stats", headers=[("Connection", "close")])
        conn.send(raw)
        response = conn.read_response()
        assert response.status == 200
        api.contract.check(sent, response)
        assert conn.closed_by_server(), "Connection: close was not honoured"
    finally:
        conn.close()


def test_pipelined_requests_answered_in_order(api):
    room = api.new_room()
    requests = [build_request("GET", "/api/stats"),
                build_request("POST", f"/api/rooms/{room}/messages", {"text": "p1", "cmid": "p1"}),
                build_request("GET", "/api/nope"),
                build_request("POST", f"/api/rooms/{room}/messages", {"text": "p2", "cmid": "p2"}),
                build_request("PATCH", f"/api/rooms/{room}", {"name": "piped"}),
                build_request("GET", f"/api/rooms/{room}/history?limit=2")]
    conn = Conn(api.server.port)
    try:
        conn.send(b"".join(raw for raw, _ in requests))      # one write: all pipelined
        responses = [conn.read_response(sent.method) for _, sent in requests]
        assert [r.status for r in responses] == [200, 201, 404, 201, 200, 200], responses
        for (_, sent), response in zip(requests, responses):
            api.contract.check(sent, response)
        assert responses[4].json()["name"] == "piped"
        page = responses[5].json()["events"]
        assert [e["text"] for e in page] == ["p1", "p2"]
        assert [e["id"] for e in page] == [responses[1].json()["event"], responses[3].json()["event"]]
        conn.send(build_request("GET", "/api/stats")[0])
        assert conn.read_response().status == 200, "the connection must stay open after the pipeline"
    finally:
        conn.close()


def test_expect_100_continue(api):
    room = api.unique("grp:expect")
    body = json.dumps({"id": room, "kind": "group"}).encode()
    raw, sent = build_request("POST", "/api/rooms", body, headers=[("Expect", "100-continue")])
    head, _, _ = raw.partition(b"\r\n\r\n")
    conn = Conn(api.server.port, timeout=3)
    try:
        conn.send(head + b"\r\n\r\n")                          # the head only: wait for 100
        interim = conn.read_response()
        assert interim.status == 100, f"expected 100 Continue before the body, got {interim!r}"
        conn.send(body)
        response = conn.read_response("POST")
        assert response.status == 201, repr(response)
        api.contract.check(sent, response, request=True)
        assert response.json()["id"] == room
    finally:
        conn.close()


def test_content_length_with_transfer_encoding_400(api):
    raw = (b"POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: " + KEY.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    sent = Sent("POST", "/api/rooms", Headers([("X-Api-Key", KEY), ("Content-Type", "application/json")]), b"")
    conn = Conn(api.server.port)
    try:
        conn.send(raw)
        response = conn.read_response("POST")
        assert response.status == 400, repr(response)
        assert conn.closed_by_server(), "the connection must be closed after a framing error"
    finally:
        conn.close()
    api.contract.check(sent, response)


def test_body_at_the_limit_is_read(api):
    room = api.unique("grp:big")
    body = json.dumps({"id": room, "kind": "group"}).encode()
    body += b" " * (MIB - len(body))                           # exactly 1 MiB of JSON
    response = api.call("POST", "/api/rooms", body, status=201)
    assert response.json()["id"] == room


def test_body_over_the_limit_413(api):
    sent = Sent("POST", "/api/rooms", Headers([("X-Api-Key", KEY), ("Content-Type", "application/json")]), b"{}")
    responses = []
    # Announced by Content-Length: refused at the head, before any body byte is sent.
    conn = Conn(api.server.port)
    try:
        conn.send(build_request("POST", "/api/rooms", b"", headers=[("Content-Length", str(MIB + 1))])[0])
        response = conn.read_response("POST")
        assert response.status == 413, repr(response)
        assert conn.closed_by_server(), "the connection must be closed after 413"
        responses.append(response)
    finally:
        conn.close()
    # Chunked: refused as soon as the chunk sizes add up past the limit.
    conn = Conn(api.server.port)
    try:
        head = build_request("POST", "/api/rooms", b"", headers=[("Transfer-Encoding", "chunked")])[0]
        conn.send(head + b"80000\r\n" + b" " * 0x80000 + b"\r\n" + b"80001\r\n")
        response = conn.read_response("POST")
        assert response.status == 413, repr(response)
        responses.append(response)
    finally:
        conn.close()
    api.contract.check_all([(sent, response) for response in responses])


def test_keep_alive_connection_is_not_cut_while_in_use(api):
    """A connection that keeps sending requests is answered beyond the 10 s head time-out."""
    conn = Conn(api.server.port, timeout=3)
    opened = time.monotonic()
    try:
        while time.monotonic() - opened < 12.5:
            sent_at = time.monotonic() - opened
            raw, sent = build_request("GET", "/api/stats")
            try:
                conn.send(raw)
                response = conn.read_response()
            except (ConnectionError, OSError) as error:
                pytest.fail(f"the server closed a keep-alive connection that was in use: the request sent "
                            f"{sent_at:.1f} s after connecting (one request a second, each answered) got "
                            f"{type(error).__name__}: {error}. The HTTP head time-out (10 s) is counted "
                            f"from accept, not from the start of each request.", pytrace=False)
            assert response.status == 200
            api.contract.check(sent, response)
            time.sleep(1.0)
    finally:
        conn.close()
