"""A deny rule on a resource cannot be walked around with another spelling of its URI.

Mallory may read `files://root/pub/*` but not `files://root/pub/internal/*`; the vault
behind the gateway decodes and resolves paths itself, so every alias below would read the
secret file if the gateway passed it on. Each one must answer exactly as a missing resource
does, and what the gateway does forward must be the canonical form it decided on.
"""

from __future__ import annotations

import anyio
import httpx
import pytest
from mcp import Client, MCPError
from mcp.client.session import IncomingMessage
from mcp.client.subscriptions import ResourceUpdated
from mcp_types import ResourceTemplateReference, TextContent, TextResourceContents

from tests.support.vault_server import CANARY_URI, FILE_CANARY, FILES_TEMPLATE, README_URI, resolve
from tests.uris.conftest import Cell
from tests.uris.wire import RawClient, without

pytestmark = pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")

ISSUE_ALIASES = [
    "files://root/pub/./internal/canary.txt",
    "files://root/pub/x/../internal/canary.txt",
    "files://root/pub/x/%2e%2e/internal/canary.txt",
    "files://root/pub/%69nternal/canary.txt",
    "files://root/pub/internal%2Fcanary.txt",
    "files://root/pub/x%2F..%2Finternal/canary.txt",
    "files://root/pub/%2E/internal/canary.txt",
    "files://root/pub/;/../internal/canary.txt",
]
MORE_ALIASES = [
    "FILES://ROOT/pub/internal/canary.txt",
    "files://root/pub/x/.%2E/internal/canary.txt",
    "files://root/pub/x%5C..%5Cinternal/canary.txt",
    "files://root/pub/x\\..\\internal/canary.txt",
    "files://root/pub//internal/canary.txt",
    "files://root/pub/x/..;/internal/canary.txt",
    "files://root/pub/x/..%3B/internal/canary.txt",
    "files://root/pub/internal/canary.txt%00",
    "files://root/pub/internal/canary%zz.txt",
]
ALIASES = [*ISSUE_ALIASES, *MORE_ALIASES]
PERMITTED_ALIASES = [
    "files://root/pub/./readme.txt",
    "FILES://root/pub/%72eadme.txt",
    "files://Root/pub/x/../readme.txt",
]
MISSING = "files://root/elsewhere/none.txt"
RESOURCE_NOT_FOUND = -32002
_BOUND = 15.0


def _leaked_to_upstream(cell: Cell) -> list[dict[str, str]]:
    """What reached the vault that it would have read the secret file for."""
    return [entry for entry in cell.vault.received() if resolve(entry["uri"]) == "internal/canary.txt"]


async def _raw(cell: Cell, http: httpx.AsyncClient) -> RawClient:
    raw = RawClient(http, cell.gateway.url, cell.token(), modern=cell.modern_client)
    await raw.open()
    return raw


async def test_every_alias_of_a_denied_file_reads_like_a_missing_resource(cell: Cell) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        raw = await _raw(cell, http)
        missing = without(await raw.answer("resources/read", {"uri": MISSING}), MISSING)
        answers = {uri: await raw.answer("resources/read", {"uri": uri}) for uri in [CANARY_URI, *ALIASES]}

    assert '"error"' in missing
    for uri, answer in answers.items():
        assert FILE_CANARY not in answer
        assert without(answer, uri) == missing, uri
    assert _leaked_to_upstream(cell) == []


async def test_completion_refs_to_aliases_answer_like_a_missing_resource(cell: Cell) -> None:
    def params(uri: str) -> dict[str, object]:
        return {"ref": {"type": "ref/resource", "uri": uri}, "argument": {"name": "path", "value": ""}}

    async with httpx.AsyncClient(timeout=30) as http:
        raw = await _raw(cell, http)
        missing = without(await raw.answer("completion/complete", params(MISSING)), MISSING)
        answers = {
            uri: await raw.answer("completion/complete", params(uri)) for uri in [CANARY_URI, *ALIASES]
        }

    for uri, answer in answers.items():
        assert without(answer, uri) == missing, uri
    assert _leaked_to_upstream(cell) == []


async def test_permitted_aliases_reach_the_upstream_in_canonical_form(cell: Cell) -> None:
    before = len(cell.vault.received())
    async with cell.client() as client:
        results = [await client.read_resource(alias) for alias in PERMITTED_ALIASES]

    for result in results:
        content = result.contents[0]
        # The vault names the URI it was asked for in its answer.
        assert isinstance(content, TextResourceContents)
        assert (content.uri, content.text) == (README_URI, "Public readme of the vault.\n")
    received = cell.vault.received()[before:]
    assert received == [{"method": "resources/read", "uri": README_URI}] * len(PERMITTED_ALIASES)


async def test_the_audit_line_names_the_canonical_uri_and_the_alias_asked_for(cell: Cell) -> None:
    async with cell.client() as client:
        await client.read_resource("files://root/pub/./readme.txt")
        for alias in (
            "files://root/pub/./internal/canary.txt",
            "files://root/pub/x/%2e%2e/internal/canary.txt",
        ):
            with pytest.raises(MCPError):
                await client.read_resource(alias)

    reads = [line for line in cell.gateway.audit() if line["method"] == "resources/read"]
    permitted = [line for line in reads if line.get("requested") == "files://root/pub/./readme.txt"]
    denied = [line for line in reads if line.get("requested") == "files://root/pub/./internal/canary.txt"]
    refused = [line for line in reads if line["item"] == "files://root/pub/x/%2e%2e/internal/canary.txt"]
    assert {(line["item"], line["decision"]) for line in permitted} == {(README_URI, "allow")}
    assert {(line["item"], line["decision"]) for line in denied} == {(CANARY_URI, "deny")}
    assert all("files://root/pub/internal/*, read, deny" in line["reason"] for line in denied)
    assert {(line["decision"], line["reason"]) for line in refused} == {
        ("deny", "uri refused: encoded dot segment")
    }


async def test_subscriptions_refuse_aliases_and_hold_the_canonical_uri(cell: Cell) -> None:
    heard: list[str] = []
    arrived = anyio.Event()

    async def on_message(message: IncomingMessage) -> None:
        uri = getattr(getattr(message, "params", None), "uri", None)
        if getattr(message, "method", None) == "notifications/resources/updated" and uri is not None:
            heard.append(str(uri))
            arrived.set()

    before = len(cell.vault.received())
    async with cell.client(message_handler=on_message) as client:
        touch = {"uri": README_URI}
        if cell.modern_client:
            wanted = [*ALIASES, *PERMITTED_ALIASES]
            async with client.listen(resource_subscriptions=wanted) as subscription:
                assert subscription.honored.resource_subscriptions == [README_URI]
                await client.call_tool("vault__touch", touch)
                with anyio.fail_after(_BOUND):
                    async for event in subscription:
                        assert isinstance(event, ResourceUpdated)
                        heard.append(event.uri)
                        break
        else:
            for alias in ALIASES:
                with pytest.raises(MCPError) as refused:
                    await client.subscribe_resource(alias)
                assert refused.value.error.code == RESOURCE_NOT_FOUND
            await client.subscribe_resource(PERMITTED_ALIASES[0])
            # The SDK opens its GET stream on its own, with no signal: touch until heard.
            with anyio.fail_after(_BOUND):
                while not heard:
                    await client.call_tool("vault__touch", touch)
                    with anyio.move_on_after(0.3):
                        await arrived.wait()
            await client.unsubscribe_resource(PERMITTED_ALIASES[1])

    assert set(heard) == {README_URI}
    # A dual-era upstream hears of subscriptions through its own listen stream, which the
    # vault does not record; the update it sent for README_URI arriving is the proof there.
    forwarded = [entry for entry in cell.vault.received()[before:] if entry["method"] != "resources/read"]
    assert all(entry["uri"] == README_URI for entry in forwarded)
    if cell.kind.startswith("legacy"):
        assert forwarded
    assert _leaked_to_upstream(cell) == []


async def test_completion_of_a_template_alias_reaches_the_upstream_in_canonical_form(cell: Cell) -> None:
    before = len(cell.vault.received())
    async with cell.client() as client:
        ref = ResourceTemplateReference(uri="FILES://Root/pub/./{+path}")
        result = await client.complete(ref, {"name": "path", "value": "read"})

    assert result.completion.values == ["readme.txt"]
    assert cell.vault.received()[before:] == [{"method": "completion/complete", "uri": FILES_TEMPLATE}]


async def test_public_tool_and_prompt_still_work_behind_the_rule(cell: Cell) -> None:
    async with cell.client() as client:
        listed = await client.call_tool("vault__list_files", {})
        greeting = await client.get_prompt("vault__greeting")

    assert isinstance(listed.content[0], TextContent)
    assert README_URI in listed.content[0].text
    assert isinstance(greeting.messages[0].content, TextContent)


async def test_updates_the_upstream_spells_differently_reach_subscribers_in_canonical_form(
    legacy_upstream_cell: Cell,
) -> None:
    """The vault names the file as its `touch` caller spelled it: an update for a canonical
    alias reaches the subscriber as the canonical URI; one with no canonical form reaches no one."""
    cell = legacy_upstream_cell
    heard: list[str] = []
    arrived = anyio.Event()

    async def on_message(message: IncomingMessage) -> None:
        uri = getattr(getattr(message, "params", None), "uri", None)
        if getattr(message, "method", None) == "notifications/resources/updated" and uri is not None:
            heard.append(str(uri))
            arrived.set()

    async def touch_until_heard(client: Client) -> None:
        with anyio.fail_after(_BOUND):
            while not heard:
                await client.call_tool("vault__touch", {"uri": "files://root/pub/x/%2e%2e/readme.txt"})
                await client.call_tool("vault__touch", {"uri": "FILES://root/pub/%72eadme.txt"})
                with anyio.move_on_after(0.3):
                    await arrived.wait()

    async with cell.client(message_handler=on_message) as client:
        if cell.modern_client:
            async with (
                client.listen(resource_subscriptions=[PERMITTED_ALIASES[0]]) as subscription,
                anyio.create_task_group() as group,
            ):

                async def pump() -> None:
                    async for event in subscription:
                        assert isinstance(event, ResourceUpdated)
                        heard.append(event.uri)
                        arrived.set()

                group.start_soon(pump)
                await touch_until_heard(client)
                group.cancel_scope.cancel()
        else:
            await client.subscribe_resource(PERMITTED_ALIASES[0])
            await touch_until_heard(client)

    assert set(heard) == {README_URI}
