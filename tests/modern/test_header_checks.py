"""The `Mcp-Param-*` check (2026-07-28 transports, "Custom Headers from Tool Parameters"):
a tool's `x-mcp-header` parameters must be mirrored in headers that match the body."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from authz_mcp.http.modern_checks import param_header_mismatch

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
