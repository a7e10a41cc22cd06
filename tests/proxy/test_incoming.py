"""The typed parse of what a client sends: anything malformed is an invalid request (-32600)."""

from __future__ import annotations

import pytest

from authz_mcp.errors import INVALID_REQUEST, InvalidRequest
from authz_mcp.protocol import Incoming, Notification, Request, Response, parse_incoming

VALID: list[tuple[str, object, Incoming]] = [
    ("request", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, Request(1, "tools/list", {})),
    ("request-string-id", {"jsonrpc": "2.0", "id": "a-1", "method": "ping"}, Request("a-1", "ping", {})),
    ("request-zero-id", {"jsonrpc": "2.0", "id": 0, "method": "ping"}, Request(0, "ping", {})),
    (
        "request-with-params",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}},
        Request(1, "tools/call", {"name": "x"}),
    ),
    (
        "notification",
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        Notification("notifications/initialized", {}),
    ),
    (
        "notification-with-params",
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
        Notification("notifications/cancelled", {"requestId": 1}),
    ),
    (
        "result-response",
        {"jsonrpc": "2.0", "id": 1, "result": {}},
        Response(1, {"jsonrpc": "2.0", "id": 1, "result": {}}),
    ),
    (
        "error-response",
        {"jsonrpc": "2.0", "id": "s-1", "error": {"code": -1, "message": "no"}},
        Response("s-1", {"jsonrpc": "2.0", "id": "s-1", "error": {"code": -1, "message": "no"}}),
    ),
]


@pytest.mark.parametrize(("message", "parsed"), [case[1:] for case in VALID], ids=[case[0] for case in VALID])
def test_a_valid_message_parses_to_its_kind_and_fields(message: object, parsed: Incoming) -> None:
    assert parse_incoming(message) == parsed


INVALID: list[tuple[str, object]] = [
    ("batch", [{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
    ("string", "ping"),
    ("null", None),
    ("number", 1),
    ("empty-object", {}),
    ("no-version", {"id": 1, "method": "ping"}),
    ("old-version", {"jsonrpc": "1.0", "id": 1, "method": "ping"}),
    ("numeric-version", {"jsonrpc": 2.0, "id": 1, "method": "ping"}),
    ("null-id", {"jsonrpc": "2.0", "id": None, "method": "ping"}),
    ("bool-id", {"jsonrpc": "2.0", "id": True, "method": "ping"}),
    ("float-id", {"jsonrpc": "2.0", "id": 1.5, "method": "ping"}),
    ("object-id", {"jsonrpc": "2.0", "id": {"n": 1}, "method": "ping"}),
    ("empty-method", {"jsonrpc": "2.0", "id": 1, "method": ""}),
    ("numeric-method", {"jsonrpc": "2.0", "id": 1, "method": 7}),
    ("list-params", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["x"]}),
    ("null-params", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": None}),
    ("response-without-id", {"jsonrpc": "2.0", "result": {}}),
    ("response-with-result-and-error", {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {"code": 1}}),
    ("id-only", {"jsonrpc": "2.0", "id": 1}),
]


@pytest.mark.parametrize("message", [case[1] for case in INVALID], ids=[case[0] for case in INVALID])
def test_malformed_message_is_an_invalid_request(message: object) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_incoming(message)
    assert raised.value.jsonrpc_code == INVALID_REQUEST
