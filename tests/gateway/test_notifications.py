"""Upstream-initiated notifications reach exactly the clients entitled to them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from tests.gateway.conftest import Mint, folder_gateway
from tests.support.gateway import GatewayProcess, running_demo_http
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession, parse_sse


@pytest.fixture(scope="module")
def gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A gateway and `web` upstream of the module's own: a test here adds a tool to `web`,
    which the folder's other modules must not see."""
    with (
        running_demo_http("--page-size", "2") as web,
        folder_gateway(issuer, web.url, tmp_path_factory.mktemp("gateway")) as running,
    ):
        yield running


async def _next_message(stream: Any, timeout: float) -> dict[str, Any] | None:
    with anyio.move_on_after(timeout):
        message: dict[str, Any] = await stream.receive()
        return message
    return None


async def test_list_changed_reaches_only_clients_whose_view_changed(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        alice = RawSession(http, gateway.url, mint("alice"))
        bob = RawSession(http, gateway.url, mint("bob"))
        carol = RawSession(http, gateway.url, mint("carol", groups=["finance"]))
        for session in (alice, bob, carol):
            await session.initialize()
        async with alice.listen() as to_alice, bob.listen() as to_bob, carol.listen() as to_carol:
            reply = await alice.request(
                "tools/call", {"name": "web__add_dynamic_tool", "arguments": {"name": "fresh"}}
            )
            assert "result" in reply
            with anyio.fail_after(10):
                assert (await to_alice.receive())["method"] == "notifications/tools/list_changed"
                assert (await to_bob.receive())["method"] == "notifications/tools/list_changed"
            # Carol sees no web tool before or after: she hears nothing.
            assert await _next_message(to_carol, 0.5) is None
        listed = await bob.request("tools/list")
        assert "web__fresh" in {tool["name"] for tool in listed["result"]["tools"]}
        hidden = await carol.request("tools/list")
        assert hidden["result"]["tools"] == []


async def test_resource_updates_reach_subscribers_who_may_read(gateway: GatewayProcess, mint: Mint) -> None:
    uri = "demo://docs/handbook"
    async with httpx.AsyncClient(timeout=20) as http:
        bob = RawSession(http, gateway.url, mint("bob"))
        other = RawSession(http, gateway.url, mint("bob"))
        alice = RawSession(http, gateway.url, mint("alice"))
        for session in (bob, other, alice):
            await session.initialize()
        assert "result" in await bob.request("resources/subscribe", {"uri": uri})
        async with bob.listen() as to_bob, other.listen() as to_other:
            touched = await alice.request(
                "tools/call", {"name": "demo__touch_resource", "arguments": {"uri": uri}}
            )
            assert "result" in touched
            with anyio.fail_after(10):
                update = await to_bob.receive()
            assert update["method"] == "notifications/resources/updated"
            assert update["params"]["uri"] == uri
            assert await _next_message(to_other, 0.5) is None
        assert "result" in await bob.request("resources/unsubscribe", {"uri": uri})


@pytest.mark.parametrize("uri", ["demo://finance/payroll", "demo://nowhere/at-all"])
async def test_subscribing_to_a_hidden_or_missing_resource_is_not_found(
    gateway: GatewayProcess, mint: Mint, uri: str
) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        bob = RawSession(http, gateway.url, mint("bob"))
        await bob.initialize()
        reply = await bob.request("resources/subscribe", {"uri": uri})
    assert reply["error"]["code"] == -32002


async def test_cancelled_request_ends_promptly_and_the_session_goes_on(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        alice = RawSession(http, gateway.url, mint("alice"))
        await alice.initialize()
        params = {
            "name": "web__slow_task",
            "arguments": {"steps": 100, "delay_ms": 100},
            "_meta": {"progressToken": 1},
        }
        body = {"jsonrpc": "2.0", "id": 41, "method": "tools/call", "params": params}
        seen: list[dict[str, Any]] = []
        with anyio.fail_after(8):
            async with http.stream("POST", gateway.url, json=body, headers=alice.headers()) as response:
                buffer = ""
                async for chunk in response.aiter_text():
                    buffer += chunk
                    while "\n\n" in buffer:
                        event, buffer = buffer.split("\n\n", 1)
                        seen.extend(parse_sse(event + "\n\n"))
                        if len(seen) == 1:
                            # The first progress event proves the call is running upstream.
                            cancel = {
                                "jsonrpc": "2.0",
                                "method": "notifications/cancelled",
                                "params": {"requestId": 41},
                            }
                            assert (
                                await http.post(gateway.url, json=cancel, headers=alice.headers())
                            ).status_code == 202
        assert seen[0]["method"] == "notifications/progress"
        assert seen[0]["params"]["progressToken"] == 1
        assert seen[-1]["id"] == 41
        assert seen[-1]["error"]["code"] == -32800
        echoed = await alice.request("tools/call", {"name": "web__echo", "arguments": {"text": "after"}})
        assert "after" in str(echoed["result"])
