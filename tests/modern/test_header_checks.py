"""The `Mcp-Param-*` check (2026-07-28 transports, "Custom Headers from Tool Parameters"):
a tool's `x-mcp-header` parameters must be mirrored in headers that match the body."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from authz_mcp.errors import HeaderMismatch
from authz_mcp.http.modern import header_map
from authz_mcp.proxy.modern_checks import param_header_mismatch, validated_envelope
from tests.modern.wire import MODERN, envelope

SCHEMA = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "limit": {"type": "integer", "x-mcp-header": "Limit"},
        "query": {"type": "string"},
    },
}


def _b64(text: str) -> str:
    return "=?base64?" + base64.b64encode(text.encode()).decode() + "?="


@pytest.mark.parametrize(
    ("arguments", "headers"),
    [
        ({"region": "eu", "limit": 5}, {"mcp-param-region": ["eu"], "mcp-param-limit": ["5"]}),
        (
            {"region": " padded ", "limit": 5},
            {"mcp-param-region": [_b64(" padded ")], "mcp-param-limit": ["5.0"]},
        ),
        ({"query": "no mirrored values"}, {}),
    ],
)
def test_headers_that_mirror_the_body_pass(arguments: dict[str, Any], headers: dict[str, list[str]]) -> None:
    assert param_header_mismatch(SCHEMA, arguments, headers) is None


@pytest.mark.parametrize(
    ("arguments", "headers"),
    [
        ({"region": "eu"}, {}),
        ({"region": "eu"}, {"mcp-param-region": ["us"]}),
        ({}, {"mcp-param-region": ["eu"]}),
        ({"region": "eu"}, {"mcp-param-region": ["eu", "eu"]}),
        ({"region": "eu"}, {"mcp-param-region": ["=?base64?%%%?="]}),
    ],
)
def test_a_missing_extra_different_repeated_or_broken_header_is_a_mismatch(
    arguments: dict[str, Any], headers: dict[str, list[str]]
) -> None:
    mismatch = param_header_mismatch(SCHEMA, arguments, headers)
    assert mismatch is not None
    assert mismatch.jsonrpc_code == -32020
    assert mismatch.http_status == 400


def _scope(*headers: tuple[str, str]) -> dict[str, Any]:
    return {"type": "http", "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers]}


def test_header_values_are_compared_without_surrounding_whitespace() -> None:
    """RFC 9110 §5.5: "a field value does not include leading or trailing whitespace". Some
    ASGI servers pass it through (uvicorn's httptools parser trims it, h11 and others may not),
    so the comparison with the body must not depend on the server in front."""
    params = {"name": "demo__echo", "arguments": {}, "_meta": envelope()}
    scope = _scope(
        ("MCP-Protocol-Version", f"\t{MODERN} "),
        ("Mcp-Method", "  tools/call\t"),
        ("Mcp-Name", " demo__echo  "),
    )
    envelope_seen = validated_envelope(header_map(scope), "tools/call", params)
    assert envelope_seen.protocol_version == MODERN


def test_whitespace_inside_a_header_value_still_makes_a_mismatch() -> None:
    params = {"name": "demo__echo", "arguments": {}, "_meta": envelope()}
    scope = _scope(
        ("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call"), ("Mcp-Name", "demo__ echo")
    )
    with pytest.raises(HeaderMismatch):
        validated_envelope(header_map(scope), "tools/call", params)
