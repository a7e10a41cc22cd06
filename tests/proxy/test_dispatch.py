"""Classifying incoming JSON-RPC messages: anything malformed is an invalid request (-32600)."""

from __future__ import annotations

import pytest

from authz_mcp.errors import INVALID_REQUEST, InvalidRequest
from authz_mcp.proxy.dispatch import classify

VALID = [
    ("request", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, "request"),
    ("request-string-id", {"jsonrpc": "2.0", "id": "a-1", "method": "ping"}, "request"),
    ("request-zero-id", {"jsonrpc": "2.0", "id": 0, "method": "ping"}, "request"),
    (
        "request-with-params",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}},
        "request",
    ),
    ("notification", {"jsonrpc": "2.0", "method": "notifications/initialized"}, "notification"),
    (
        "notification-with-params",
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
        "notification",
    ),
    ("result-response", {"jsonrpc": "2.0", "id": 1, "result": {}}, "response"),
    ("error-response", {"jsonrpc": "2.0", "id": "s-1", "error": {"code": -1, "message": "no"}}, "response"),
]


@pytest.mark.parametrize(("message", "kind"), [case[1:] for case in VALID], ids=[case[0] for case in VALID])
def test_valid_message_is_classified(message: object, kind: str) -> None:
    assert classify(message) == kind


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
        classify(message)
    assert raised.value.jsonrpc_code == INVALID_REQUEST
