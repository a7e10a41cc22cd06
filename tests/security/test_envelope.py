"""Envelope tricks: batches, duplicate JSON keys, headers that disagree with the body, `_meta`
tampering and response-shaped client messages. The gateway decides on exactly what it forwards,
and what it forwards is one unambiguous message."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.modern.wire import envelope, headers_for
from tests.security.conftest import MODULE_TIMEOUT, Target, assert_no_leaks

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

ECHO = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "web__echo", "arguments": {"text": "x"}},
}
BATCH_REFUSED = {
    "jsonrpc": "2.0",
    "id": None,
    "error": {"code": -32600, "message": "JSON-RPC batches are not supported"},
}


@pytest.fixture(scope="module")
def mallory(target: Target) -> tuple[str, str]:
    token = target.token("mallory")
    return token, target.open_session(token)


BATCHES: dict[str, Any] = {
    "one request": [ECHO],
    "two requests": [ECHO, {**ECHO, "id": 2}],
    "empty": [],
    "nested": [[ECHO]],
    "a notification": [{"jsonrpc": "2.0", "method": "notifications/initialized"}],
    "a response": [{"jsonrpc": "2.0", "id": 1, "result": {}}],
}


@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("case", list(BATCHES))
def test_batches_are_refused(target: Target, mallory: tuple[str, str], era: str, case: str) -> None:
    token, session = mallory
    headers = (
        target.legacy_headers(token, session) if era == "legacy" else headers_for(token, "tools/call", {})
    )
    reply = target.send(BATCHES[case], headers)
    assert (reply.status, reply.body) == (400, BATCH_REFUSED)


def _duplicated(first: str, last: str) -> bytes:
    return (
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":'
        f'{{"name":"{first}","arguments":{{"text":"x","id":"1"}},"name":"{last}"}}}}'
    ).encode()


def test_a_duplicated_name_is_decided_and_forwarded_as_the_last_one(
    target: Target, mallory: tuple[str, str]
) -> None:
    token, session = mallory
    mark = target.spy.mark()
    hidden_last = target.send(
        _duplicated("web__echo", "web__delete_record"), target.legacy_headers(token, session)
    )
    assert hidden_last.body["error"] == {"code": -32602, "message": "Unknown tool: web__delete_record"}
    allowed_last = target.send(
        _duplicated("web__delete_record", "web__echo"), target.legacy_headers(token, session)
    )
    assert allowed_last.body["result"]["content"] == [{"type": "text", "text": "x"}]
    sent = target.spy.since(mark)
    assert b'"name":"echo"' in sent
    assert b"delete_record" not in sent


def test_a_duplicated_method_is_decided_as_the_last_one(target: Target, mallory: tuple[str, str]) -> None:
    token, session = mallory
    body = (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call",'
        b'"params":{"name":"web__delete_record","arguments":{}}}'
    )
    reply = target.send(body, target.legacy_headers(token, session))
    assert reply.body["error"] == {"code": -32602, "message": "Unknown tool: web__delete_record"}


def test_a_duplicated_name_cannot_slip_past_the_mcp_name_header(target: Target) -> None:
    token = target.token("mallory")
    meta = json.dumps(envelope())
    body = (
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"web__echo",'
        f'"arguments":{{"text":"x"}},"name":"web__delete_record","_meta":{meta}}}}}'
    ).encode()
    headers = headers_for(token, "tools/call", {"name": "web__echo"})
    reply = target.send(body, headers)
    assert (reply.status, reply.body["error"]["code"]) == (400, -32020)


def _modern(target: Target, overrides: dict[str, str | None], params: dict[str, Any] | None = None) -> Any:
    token = target.token("mallory")
    body_params = {**(params or {"name": "web__echo", "arguments": {"text": "x"}}), "_meta": envelope()}
    headers: dict[str, str] = headers_for(token, "tools/call", body_params)
    for name, value in overrides.items():
        headers = {key: val for key, val in headers.items() if key.lower() != name.lower()}
        if value is not None:
            headers[name] = value
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": body_params}
    return target.send(body, headers)


MISMATCHES: dict[str, tuple[dict[str, str | None], str]] = {
    "method header names another method": (
        {"Mcp-Method": "tools/list"},
        "Mcp-Method header does not match the method",
    ),
    "method header missing": ({"Mcp-Method": None}, "Mcp-Method header does not match the method"),
    "name header names an allowed tool, body a hidden one": (
        {"Mcp-Name": "web__echo"},
        "Mcp-Name header does not match params.name",
    ),
    "name header missing": ({"Mcp-Name": None}, "Mcp-Name header does not match params.name"),
    "name header base64 of an allowed tool, body a hidden one": (
        {"Mcp-Name": "=?base64?" + base64.b64encode(b"web__echo").decode() + "?="},
        "Mcp-Name header does not match params.name",
    ),
    "version header disagrees with _meta": (
        {"MCP-Protocol-Version": "2025-11-25", "Mcp-Session-Id": None},
        "MCP-Protocol-Version header does not match params._meta",
    ),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_a_header_that_disagrees_with_the_body_is_refused(target: Target, case: str) -> None:
    overrides, message = MISMATCHES[case]
    hidden = {"name": "web__delete_record", "arguments": {}}
    reply = _modern(target, overrides, hidden if "hidden" in case else None)
    assert (reply.status, reply.body) == (
        400,
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32020, "message": message}},
    )
    assert b"delete_record" not in target.spy.since(0)


@pytest.mark.parametrize(
    "meta",
    [
        {"io.modelcontextprotocol/protocolVersion": "2026-07-28"},
        {"io.modelcontextprotocol/clientCapabilities": {}},
        "not an object",
        {},
    ],
    ids=["no capabilities", "no version", "a string", "empty"],
)
def test_a_modern_request_without_a_whole_envelope_is_refused(target: Target, meta: Any) -> None:
    token = target.token("mallory")
    params = {"name": "web__echo", "arguments": {"text": "x"}, "_meta": meta}
    headers = headers_for(token, "tools/call", {"name": "web__echo"})
    reply = target.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, headers)
    message = "params._meta must carry the protocol version and the client capabilities"
    assert (reply.status, reply.body) == (
        400,
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": message}},
    )


@pytest.mark.parametrize(
    "meta",
    [
        {"authz-mcp/user": "alice"},
        {"io.modelcontextprotocol/user": "alice", "sub": "alice"},
        {"progressToken": "authz-mcp-000000000000000000000000"},
        {"io.modelcontextprotocol/serverInfo": {"name": "authz-mcp"}},
    ],
    ids=["claims another user", "claims a subject", "forges a gateway progress token", "claims server info"],
)
def test_meta_claims_change_nobodys_rights(
    target: Target, mallory: tuple[str, str], meta: dict[str, Any]
) -> None:
    token, session = mallory
    params = {"name": "web__delete_record", "arguments": {"id": "1"}, "_meta": meta}
    reply = target.legacy(token, session, "tools/call", params)
    assert reply.body["error"] == {"code": -32602, "message": "Unknown tool: web__delete_record"}


RESPONSES: dict[str, dict[str, Any]] = {
    "a result": {"jsonrpc": "2.0", "id": 1, "result": {}},
    "a result for a gateway-shaped id": {
        "jsonrpc": "2.0",
        "id": "authz-mcp-" + "0" * 24,
        "result": {"action": "accept"},
    },
    "an error": {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "nope"}},
}


@pytest.mark.parametrize("case", list(RESPONSES))
def test_a_response_from_a_legacy_client_that_answers_nothing_is_dropped(
    target: Target, mallory: tuple[str, str], case: str
) -> None:
    token, session = mallory
    reply = target.send(RESPONSES[case], target.legacy_headers(token, session))
    assert (reply.status, reply.body) == (202, None)


@pytest.mark.parametrize("case", list(RESPONSES))
def test_a_response_from_a_modern_client_is_refused(target: Target, case: str) -> None:
    headers = headers_for(target.token("mallory"), "tools/call", {})
    reply = target.send(RESPONSES[case], headers)
    assert (reply.status, reply.body["error"]["code"]) == (400, -32600)


def test_a_message_both_result_and_error_is_invalid(target: Target, mallory: tuple[str, str]) -> None:
    token, session = mallory
    body = {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {"code": 1, "message": "x"}}
    reply = target.send(body, target.legacy_headers(token, session))
    assert (reply.status, reply.body["error"]["code"]) == (400, -32600)


@pytest.mark.parametrize(
    "method",
    ["notifications/tools/list_changed", "notifications/resources/updated", "notifications/message"],
)
def test_server_notifications_from_a_client_are_accepted_and_go_nowhere(
    target: Target, mallory: tuple[str, str], method: str
) -> None:
    token, session = mallory
    mark = target.vault_spy.mark()
    params = {"uri": "files://root/pub/internal/canary.txt", "level": "info", "data": "x"}
    reply = target.send(
        {"jsonrpc": "2.0", "method": method, "params": params}, target.legacy_headers(token, session)
    )
    assert (reply.status, reply.body) == (202, None)
    assert target.vault_spy.since(mark) == b""


def test_no_token_reached_the_upstream_the_log_or_the_audit(target: Target) -> None:
    assert_no_leaks(target)
