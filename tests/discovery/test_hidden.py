"""call_tool of a hidden or unknown name answers exactly as tools/call of an unknown tool."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.modern.wire import post
from tests.support.gateway import GatewayProcess
from tests.support.raw import RawSession

MintFor = Callable[[GatewayProcess, str], str]
HIDDEN = "web__delete_record"  # exists; bob is denied it
UNKNOWN = "web__no_such_tool"


def _wrapped(name: str) -> dict[str, Any]:
    return {"name": "call_tool", "arguments": {"name": name, "arguments": {"record_id": "1"}}}


def _direct(name: str) -> dict[str, Any]:
    return {"name": name, "arguments": {"record_id": "1"}}


def _without_id(reply: dict[str, Any]) -> bytes:
    return json.dumps({key: value for key, value in reply.items() if key != "id"}).encode()


def _named_as(reply: dict[str, Any], name: str, placeholder: str) -> bytes:
    return _without_id(reply).replace(name.encode(), placeholder.encode())


async def test_legacy_call_tool_of_hidden_or_unknown_names_is_byte_identical_to_unknown_tool(
    gateway: GatewayProcess, mint: MintFor
) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        bob = RawSession(http, gateway.url, mint(gateway, "bob"))
        await bob.initialize()
        replies = {
            (kind, name): await bob.request("tools/call", params(name))
            for kind, params in (("wrapped", _wrapped), ("direct", _direct))
            for name in (HIDDEN, UNKNOWN)
        }
    for name in (HIDDEN, UNKNOWN):
        assert _without_id(replies["wrapped", name]) == _without_id(replies["direct", name])
    assert replies["direct", UNKNOWN]["error"]["code"] == -32602
    assert _named_as(replies["wrapped", HIDDEN], HIDDEN, "X") == _named_as(
        replies["direct", UNKNOWN], UNKNOWN, "X"
    )


async def test_modern_call_tool_of_hidden_or_unknown_names_is_byte_identical_to_unknown_tool(
    gateway: GatewayProcess, mint: MintFor
) -> None:
    token = mint(gateway, "bob")
    async with httpx.AsyncClient(timeout=20) as http:
        replies: dict[tuple[str, str], dict[str, Any]] = {}
        statuses: dict[tuple[str, str], int] = {}
        for kind, params in (("wrapped", _wrapped), ("direct", _direct)):
            for name in (HIDDEN, UNKNOWN):
                status, reply, _ = await post(http, gateway.url, token, "tools/call", params(name))
                statuses[kind, name] = status
                replies[kind, name] = reply
    assert len(set(statuses.values())) == 1
    for name in (HIDDEN, UNKNOWN):
        assert _without_id(replies["wrapped", name]) == _without_id(replies["direct", name])
    assert _named_as(replies["wrapped", HIDDEN], HIDDEN, "X") == _named_as(
        replies["direct", UNKNOWN], UNKNOWN, "X"
    )
