"""The gateway under partial failure: a store outage fails closed and heals by itself;
an upstream that is down costs only its own items; long lists paginate. The gateway runs
in-process, in front of a real HTTP upstream and the real Redis through a relay that a test cuts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.gateway import free_port, gateway_config, running_demo_http
from tests.support.inprocess import InProcessGateway, in_process_gateway
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession
from tests.support.redis import REDIS_URL
from tests.support.relay import TcpRelay

EXTRA_TOOLS = 600


@pytest.fixture(scope="module")
def many_tools_upstream() -> Iterator[str]:
    with running_demo_http("--extra-tools", str(EXTRA_TOOLS), "--page-size", "100") as demo:
        yield demo.url


@pytest.fixture
async def relay() -> AsyncIterator[TcpRelay]:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    relay = TcpRelay(host, int(port))
    await relay.start()
    yield relay
    await relay.cut()


def _policy(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.csv"
    policy.write_text(
        "p, role:user, many/tools/*, call, allow\np, role:user, many/tools/tool_0013, call, deny\n"
        "g, alice, role:user\n",
        encoding="utf-8",
    )
    return policy


def _config(
    tmp_path: Path, issuer: RunningIssuer, upstream: str, store_url: str, prefix: str
) -> dict[str, Any]:
    policy = _policy(tmp_path)
    return gateway_config(
        tmp_path,
        port=8080,
        issuer_url=issuer.url,
        upstreams={
            "many": {"transport": "streamable-http", "url": upstream},
            "down": {
                "transport": "streamable-http",
                "url": f"http://127.0.0.1:{free_port()}/mcp",
                "required": False,
            },
        },
        policy={"file": str(policy)},
        store={"url": store_url, "key_prefix": prefix},
    )


@pytest.fixture
async def gateway_on_relay(
    issuer: RunningIssuer, many_tools_upstream: str, relay: TcpRelay, redis_prefix: str, tmp_path: Path
) -> AsyncIterator[InProcessGateway]:
    store_url = f"redis://127.0.0.1:{relay.port}/0"
    async with in_process_gateway(
        _config(tmp_path, issuer, many_tools_upstream, store_url, redis_prefix)
    ) as gateway:
        yield gateway


async def test_store_outage_fails_closed_and_heals(
    gateway_on_relay: InProcessGateway, issuer: RunningIssuer, relay: TcpRelay
) -> None:
    gateway, http = gateway_on_relay, gateway_on_relay.http
    token = issuer.issuer.mint("alice", audience=gateway.url)
    alice = RawSession(http, gateway.url, token)
    await alice.initialize()
    assert "result" in await alice.request("tools/call", {"name": "many__echo", "arguments": {"text": "x"}})

    await relay.cut()
    during = await http.post(
        gateway.url,
        json={"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "many__echo"}},
        headers=alice.headers(),
    )
    assert during.status_code == 503
    assert during.json()["error"]["code"] == -32001
    assert "retry-after" in during.headers
    fresh = RawSession(http, gateway.url, token)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await fresh.initialize()
    assert refused.value.response.status_code == 503
    assert (await http.get("/readyz")).status_code == 503

    await relay.start()
    again = await alice.request("tools/call", {"name": "many__echo", "arguments": {"text": "healed"}})
    assert "healed" in str(again["result"])
    assert (await http.get("/readyz")).status_code == 200


async def test_an_upstream_down_costs_only_its_own_items(
    gateway_on_relay: InProcessGateway, issuer: RunningIssuer
) -> None:
    gateway, http = gateway_on_relay, gateway_on_relay.http
    ready = (await http.get("/readyz")).json()
    assert ready["upstreams"] == {"many": True, "down": False}
    alice = RawSession(http, gateway.url, issuer.issuer.mint("alice", audience=gateway.url))
    await alice.initialize()
    missing = await alice.request("tools/call", {"name": "down__echo", "arguments": {}})
    assert missing["error"]["code"] == -32602
    working = await alice.request("tools/call", {"name": "many__echo", "arguments": {"text": "up"}})
    assert "up" in str(working["result"])


async def test_long_lists_paginate_without_hidden_items(
    gateway_on_relay: InProcessGateway, issuer: RunningIssuer
) -> None:
    gateway, http = gateway_on_relay, gateway_on_relay.http
    alice = RawSession(http, gateway.url, issuer.issuer.mint("alice", audience=gateway.url))
    await alice.initialize()
    names: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await alice.request("tools/list", {"cursor": cursor} if cursor else {})
        names.extend(tool["name"] for tool in page["result"]["tools"])
        pages += 1
        cursor = page["result"].get("nextCursor")
        if cursor is None:
            break
    assert pages >= 2
    assert len(names) == len(set(names))
    assert "many__tool_0013" not in names
    assert "many__tool_0599" in names
    assert "many__echo" in names

    bob = RawSession(http, gateway.url, issuer.issuer.mint("bob", audience=gateway.url))
    await bob.initialize()
    first = await alice.request("tools/list")
    foreign = await bob.request("tools/list", {"cursor": first["result"]["nextCursor"]})
    assert foreign["error"]["code"] == -32602


async def test_a_required_upstream_down_makes_readyz_unavailable_and_says_which(
    issuer: RunningIssuer, many_tools_upstream: str, tmp_path: Path
) -> None:
    config = gateway_config(
        tmp_path,
        port=8080,
        issuer_url=issuer.url,
        upstreams={
            "many": {"transport": "streamable-http", "url": many_tools_upstream},
            "down": {"transport": "streamable-http", "url": f"http://127.0.0.1:{free_port()}/mcp"},
        },
        policy={"file": str(_policy(tmp_path))},
    )
    async with in_process_gateway(config) as gateway:
        ready = await gateway.http.get("/readyz")
        alice = RawSession(gateway.http, gateway.url, issuer.issuer.mint("alice", audience=gateway.url))
        await alice.initialize()
        working = await alice.request("tools/call", {"name": "many__echo", "arguments": {"text": "up"}})
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["required_upstreams_unavailable"] == ["down"]
    assert "up" in str(working["result"])
