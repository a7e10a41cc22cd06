"""In every cell, allowed calls, reads, gets and completions work, and denied ones answer
exactly as missing ones do (hidden == nonexistent, in the client's era)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from mcp import MCPError
from mcp_types import PromptReference, ResourceTemplateReference, TextContent, TextResourceContents

from tests.modern.conftest import Cell

INVALID_PARAMS = -32602
LEGACY_RESOURCE_NOT_FOUND = -32002


async def _error(call: Awaitable[Any]) -> tuple[int, str]:
    with pytest.raises(MCPError) as raised:
        await call
    return raised.value.error.code, raised.value.error.message


async def test_allowed_tool_call_returns_the_upstreams_result(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        result = await bob.call_tool("demo__echo", {"text": "across eras"})
    assert result.content == [TextContent(type="text", text="across eras")]
    assert not result.is_error


async def test_denied_tool_answers_as_a_missing_one(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        denied = await _error(bob.call_tool("demo__delete_record", {"record_id": "7"}))
        missing = await _error(bob.call_tool("demo__no_such_tool", {}))
    assert denied == (INVALID_PARAMS, "Unknown tool: demo__delete_record")
    assert missing == (INVALID_PARAMS, "Unknown tool: demo__no_such_tool")


async def test_allowed_read_returns_the_contents(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        read = await bob.read_resource("demo://docs/readme")
    (contents,) = read.contents
    assert isinstance(contents, TextResourceContents)
    assert contents.text.startswith("# Demo server")


async def test_denied_read_answers_as_a_missing_resource_in_the_clients_era(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        denied = await _error(bob.read_resource("demo://finance/payroll"))
        missing = await _error(bob.read_resource("demo://nowhere/at-all"))
    # 2026-07-28 "MUST NOT emit" -32002, replaced by -32602; 2025-11-25 defines -32002.
    expected = INVALID_PARAMS if cell.modern_client else LEGACY_RESOURCE_NOT_FOUND
    assert denied == missing == (expected, "Resource not found")


async def test_allowed_prompt_get_and_denied_one_answering_as_missing(cell: Cell) -> None:
    async with cell.client("bob") as bob:
        prompt = await bob.get_prompt("demo__summarize", {"text": "eras"})
        denied = await _error(bob.get_prompt("demo__incident_report", {"service": "api"}))
        missing = await _error(bob.get_prompt("demo__no_such_prompt", {}))
    assert "eras" in str(prompt.messages[0].content)
    assert denied == (INVALID_PARAMS, "Unknown prompt: demo__incident_report")
    assert missing == (INVALID_PARAMS, "Unknown prompt: demo__no_such_prompt")


async def test_completion_is_authorized_by_its_reference(cell: Cell) -> None:
    prompt = PromptReference(type="ref/prompt", name="demo__incident_report")
    template = ResourceTemplateReference(type="ref/resource", uri="demo://users/{user_id}/profile")
    async with cell.client("carol", groups=["finance"]) as carol, cell.client("bob") as bob:
        services = await carol.complete(prompt, {"name": "service", "value": "b"})
        users = await carol.complete(template, {"name": "user_id", "value": "a"})
        hidden_prompt = await _error(bob.complete(prompt, {"name": "service", "value": "b"}))
        hidden_template = await _error(bob.complete(template, {"name": "user_id", "value": "a"}))
    assert services.completion.values == ["billing"]
    assert users.completion.values == ["alice"]
    assert hidden_prompt == (INVALID_PARAMS, "Unknown prompt: demo__incident_report")
    assert hidden_template[0] == (INVALID_PARAMS if cell.modern_client else LEGACY_RESOURCE_NOT_FOUND)
