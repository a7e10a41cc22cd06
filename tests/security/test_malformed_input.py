"""Malformed and oversized input gets its defined 4xx error, never a 5xx or a traceback; the
request never reaches an upstream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.modern.wire import headers_for
from tests.security.conftest import MODULE_TIMEOUT, Target, assert_no_leaks

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

MAX_BODY = 65536


def _error(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


PARSE_ERROR = _error(-32700, "Parse error")
NOT_JSON_RPC = _error(-32600, "Expected a JSON-RPC 2.0 object")

# body -> (status, exact reply), sent inside mallory's 2025-11-25 session
BODIES: dict[str, tuple[bytes, int, dict[str, Any]]] = {
    "empty": (b"", 400, PARSE_ERROR),
    "not JSON": (b"hello", 400, PARSE_ERROR),
    "truncated JSON": (b'{"jsonrpc":"2.0","id":1,"method":"tools/li', 400, PARSE_ERROR),
    "invalid UTF-8": (b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}', 400, PARSE_ERROR),
    "NaN": (
        b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}',
        400,
        _error(-32600, "id must be a string or an integer"),
    ),
    "deeply nested params": (
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + b"[" * 30000 + b"]" * 30000 + b"}}",
        400,
        PARSE_ERROR,
    ),
    "a string": (b'"tools/list"', 400, NOT_JSON_RPC),
    "a number": (b"42", 400, NOT_JSON_RPC),
    "null": (b"null", 400, NOT_JSON_RPC),
    "JSON-RPC 1.0": (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', 400, NOT_JSON_RPC),
    "no jsonrpc member": (b'{"id":1,"method":"ping"}', 400, NOT_JSON_RPC),
    "id a boolean": (
        b'{"jsonrpc":"2.0","id":true,"method":"ping"}',
        400,
        _error(-32600, "id must be a string or an integer"),
    ),
    "id an object": (
        b'{"jsonrpc":"2.0","id":{},"method":"ping"}',
        400,
        _error(-32600, "id must be a string or an integer"),
    ),
    "id a float": (
        b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}',
        400,
        _error(-32600, "id must be a string or an integer"),
    ),
    "method a number": (
        b'{"jsonrpc":"2.0","id":1,"method":7}',
        400,
        _error(-32600, "method must be a non-empty string"),
    ),
    "method empty": (
        b'{"jsonrpc":"2.0","id":1,"method":""}',
        400,
        _error(-32600, "method must be a non-empty string"),
    ),
    "params an array": (
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}',
        400,
        _error(-32600, "params must be an object"),
    ),
    "params a string": (
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}',
        400,
        _error(-32600, "params must be an object"),
    ),
    "neither request nor response": (
        b'{"jsonrpc":"2.0","id":1}',
        400,
        _error(-32600, "Not a request, notification or response"),
    ),
}


@pytest.fixture(scope="module")
def mallory(target: Target) -> tuple[str, str]:
    token = target.token("mallory")
    return token, target.open_session(token)


@pytest.mark.parametrize("case", list(BODIES))
def test_a_malformed_body_gets_its_defined_error(target: Target, mallory: tuple[str, str], case: str) -> None:
    body, status, expected = BODIES[case]
    reply = target.send(body, target.legacy_headers(*mallory))
    assert (reply.status, reply.body) == (status, expected)


# JSON that parses, sent as requests: the JSON-RPC answer the gateway owes each
REQUESTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "unknown method": (
        {"method": "tools/destroy"},
        {"code": -32601, "message": "Method not found: tools/destroy"},
    ),
    "method with NUL": (
        {"method": "tools/list\x00"},
        {"code": -32601, "message": "Method not found: tools/list\x00"},
    ),
    "tool name a number": (
        {"method": "tools/call", "params": {"name": 7}},
        {"code": -32602, "message": "name must be a non-empty string"},
    ),
    "tool name missing": (
        {"method": "tools/call", "params": {}},
        {"code": -32602, "message": "name must be a non-empty string"},
    ),
    "uri a list": (
        {"method": "resources/read", "params": {"uri": ["a"]}},
        {"code": -32602, "message": "uri must be a non-empty string"},
    ),
    "uri empty": (
        {"method": "resources/read", "params": {"uri": ""}},
        {"code": -32602, "message": "uri must be a non-empty string"},
    ),
    "completion ref a string": (
        {"method": "completion/complete", "params": {"ref": "x", "argument": {}}},
        {"code": -32602, "message": "ref must be an object"},
    ),
    "completion ref of no type": (
        {"method": "completion/complete", "params": {"ref": {"type": "ref/tool", "name": "demo__echo"}}},
        {"code": -32602, "message": "ref.type must be ref/prompt or ref/resource"},
    ),
    "huge integer id": (
        {"method": "tools/destroy", "id": 10**30},
        {"code": -32601, "message": "Method not found: tools/destroy"},
    ),
}


@pytest.mark.parametrize("case", list(REQUESTS))
def test_a_malformed_request_gets_its_json_rpc_error(
    target: Target, mallory: tuple[str, str], case: str
) -> None:
    request, error = REQUESTS[case]
    request_id = request.get("id", 3)
    body = {
        "jsonrpc": "2.0",
        "id": request_id,
        **{key: value for key, value in request.items() if key != "id"},
    }
    reply = target.send(body, target.legacy_headers(*mallory))
    assert (reply.status, reply.body) == (200, {"jsonrpc": "2.0", "id": request_id, "error": error})


def test_a_body_over_the_limit_is_413_before_it_is_read(target: Target, mallory: tuple[str, str]) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "y" * MAX_BODY}})
    reply = target.send(body.encode(), target.legacy_headers(*mallory))
    assert (reply.status, reply.body) == (413, _error(-32600, "Request body too large"))


def test_a_chunked_body_over_the_limit_is_413(target: Target, mallory: tuple[str, str]) -> None:
    def chunks() -> Any:
        yield b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"'
        for _ in range(20):
            yield b"y" * 8192
        yield b'"}}'

    response = target.http.post(target.url, content=chunks(), headers=target.legacy_headers(*mallory))
    assert (response.status_code, response.json()) == (413, _error(-32600, "Request body too large"))


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Content-Type": "text/plain"}, 415, "Content-Type must be application/json"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type must be application/json"),
        ({"Accept": "application/json"}, 406, "Client must accept application/json and text/event-stream"),
        ({"Accept": "text/html"}, 406, "Client must accept application/json and text/event-stream"),
        ({"MCP-Protocol-Version": "1999-01-01"}, 400, "Unsupported MCP-Protocol-Version"),
    ],
    ids=["text/plain", "a form", "JSON only", "HTML", "an unknown protocol version"],
)
def test_wrong_transport_headers_get_their_error(
    target: Target, mallory: tuple[str, str], headers: dict[str, str], status: int, message: str
) -> None:
    sent = {**target.legacy_headers(*mallory), **headers}
    reply = target.send({"jsonrpc": "2.0", "id": 1, "method": "ping"}, sent)
    assert (reply.status, reply.body) == (status, _error(-32600, message))


@pytest.mark.parametrize("method", ["PUT", "PATCH", "OPTIONS"])
def test_other_http_methods_are_405(target: Target, mallory: tuple[str, str], method: str) -> None:
    reply = target.send(b"{}", target.legacy_headers(*mallory), method=method)
    assert (reply.status, reply.body) == (405, _error(-32600, "Method not allowed"))
    assert reply.headers["allow"] == "GET, POST, DELETE"


MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"name": "web__echo", "arguments": "not an object", "_meta": MODERN_META}, 400, -32602),
        ({"name": "web__echo", "arguments": {"text": "x" * 40_000}, "_meta": MODERN_META}, 200, None),
        (
            {
                "name": "web__echo",
                "arguments": {},
                "_meta": {**MODERN_META, "io.modelcontextprotocol/protocolVersion": ["2026-07-28"]},
            },
            400,
            -32020,
        ),
        (
            {
                "name": "web__echo",
                "arguments": {},
                "_meta": {**MODERN_META, "io.modelcontextprotocol/clientCapabilities": []},
            },
            400,
            -32602,
        ),
    ],
    ids=["arguments a string", "a large argument", "a version that is a list", "capabilities a list"],
)
def test_odd_modern_requests_get_their_defined_answer(
    target: Target, params: dict[str, Any], status: int, code: int | None
) -> None:
    headers = headers_for(target.token("mallory"), "tools/call", {"name": "web__echo"})
    reply = target.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers)
    assert reply.status == status
    if code is None:
        assert reply.body["result"]["content"] == [{"type": "text", "text": "x" * 40_000}]
    else:
        assert reply.body["error"]["code"] == code


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)
