"""The vault test server on its own: it really is the naive file server the URI tests need."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import Client, MCPError
from mcp_types import INVALID_PARAMS, ResourceTemplateReference, TextContent, TextResourceContents

from tests.support.upstreams import Transport, server_upstream
from tests.support.vault_server import (
    CANARY_URI,
    FILE_CANARY,
    FILES_TEMPLATE,
    PROMPT_CANARY,
    README_URI,
    TOOL_CANARY,
    VAULT_MODULE,
    recorded,
    resolve,
)

# resources/subscribe is a handshake-era method; the SDK warns that 2026-07-28 removed it.
pytestmark = pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> Transport:
    value: Transport = request.param
    return value


@asynccontextmanager
async def vault_client(transport: Transport, record: Path) -> AsyncIterator[Client]:
    async with (
        server_upstream(VAULT_MODULE, transport, "--record", str(record)) as target,
        Client(target, mode="legacy") as client,
    ):
        yield client


async def _text(client: Client, uri: str) -> str:
    result = await client.read_resource(uri)
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    return content.text


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        (README_URI, "readme.txt"),
        ("files://root/pub/x/%2e%2e/internal/canary.txt", "internal/canary.txt"),
        ("files://root/pub/internal%2Fcanary.txt", "internal/canary.txt"),
        ("files://root/pub/x%5C..%5Cinternal/canary.txt", "internal/canary.txt"),
        ("files://root/pub/;/../internal/canary.txt", "internal/canary.txt"),
        ("files://root/pub/../../etc/passwd", None),
        ("other://root/pub/readme.txt", None),
    ],
)
def test_resolves_paths_the_naive_way(uri: str, path: str | None) -> None:
    assert resolve(uri) == path


async def test_serves_its_files_to_anyone_who_names_them_and_records_what_it_received(
    transport: Transport, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    alias = "files://root/pub/x/%2e%2e/internal/canary.txt"
    async with vault_client(transport, record) as client:
        templates = await client.list_resource_templates()
        readme = await _text(client, README_URI)
        canary = await _text(client, alias)
        with pytest.raises(MCPError) as missing:
            await client.read_resource("files://root/pub/nothing.txt")
        await client.subscribe_resource(README_URI)
        completion = await client.complete(
            ResourceTemplateReference(uri=FILES_TEMPLATE), {"name": "path", "value": "int"}
        )

    assert [template.uri_template for template in templates.resource_templates] == [FILES_TEMPLATE]
    assert "readme" in readme
    assert FILE_CANARY in canary
    assert missing.value.error.code == INVALID_PARAMS
    assert completion.completion.values == ["internal/canary.txt"]
    assert recorded(record) == [
        {"method": "resources/read", "uri": README_URI},
        {"method": "resources/read", "uri": alias},
        {"method": "resources/read", "uri": "files://root/pub/nothing.txt"},
        {"method": "resources/subscribe", "uri": README_URI},
        {"method": "completion/complete", "uri": FILES_TEMPLATE},
    ]
    assert CANARY_URI.endswith("internal/canary.txt")


async def test_holds_a_public_and_a_secret_tool_and_prompt(transport: Transport, tmp_path: Path) -> None:
    async with vault_client(transport, tmp_path / "record.jsonl") as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
        secret = await client.call_tool("dump_secrets", {})
        recovery = await client.get_prompt("vault_recovery")

    assert tools == {"list_files", "touch", "dump_secrets"}
    assert prompts == {"greeting", "vault_recovery"}
    assert isinstance(secret.content[0], TextContent)
    assert TOOL_CANARY in secret.content[0].text
    assert isinstance(recovery.messages[0].content, TextContent)
    assert PROMPT_CANARY in recovery.messages[0].content.text
