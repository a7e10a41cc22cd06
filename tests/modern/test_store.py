"""What the gateway keeps for a sessionless user lives in the store: two replicas (processes)
share it, and while the store is down a modern request fails closed (503) like a legacy one
(the gateway in-process, the real Redis through a relay that the test cuts)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from authz_mcp.sessions import principal_session_id, session_key
from tests.modern.wire import post
from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
)
from tests.support.inprocess import in_process_gateway
from tests.support.issuer import RunningIssuer
from tests.support.redis import REDIS_URL
from tests.support.relay import TcpRelay

POLICY = Path(__file__).with_name("policy.csv")
ECHO = {"name": "demo__echo", "arguments": {"text": "hi"}}


@contextlib.contextmanager
def two_replicas(
    issuer: RunningIssuer, prefix: str, tmp_path: Path
) -> Iterator[tuple[GatewayProcess, GatewayProcess, str]]:
    public_url = f"http://127.0.0.1:{free_port()}"
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(running_demo_http("--legacy-only"))
        replicas = [
            stack.enter_context(
                running_gateway(
                    gateway_config(
                        tmp_path,
                        port=free_port(),
                        issuer_url=issuer.url,
                        upstreams={"demo": {"transport": "streamable-http", "url": upstream.url}},
                        policy={"file": str(POLICY)},
                        store={"url": REDIS_URL, "key_prefix": prefix},
                        server={"public_url": public_url, "allowed_hosts": ["127.0.0.1"]},
                    ),
                    tmp_path,
                )
            )
            for _ in range(2)
        ]
        yield replicas[0], replicas[1], public_url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def _stored_principal(prefix: str, owner: str) -> dict[str, str]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return dict(client.hgetall(f"{prefix}session:{session_key(principal_session_id(owner))}"))  # type: ignore[arg-type]
    finally:
        client.close()


async def test_the_upstream_session_held_for_a_modern_user_is_resumed_by_another_replica(
    issuer: RunningIssuer, redis_prefix: str, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    with two_replicas(issuer, redis_prefix, tmp_path) as (first, second, public_url):
        token = issuer.issuer.mint("bob", audience=f"{public_url}/mcp")
        status, reply, _ = await post(http, first.url, token, "tools/call", ECHO)
        assert status == 200, reply
        held = _stored_principal(redis_prefix, f"{issuer.url}\x1fbob")
        assert held["upstream:demo"]

        status, reply, _ = await post(http, second.url, token, "tools/call", ECHO)
        assert status == 200, reply
        assert reply["result"]["content"] == [{"type": "text", "text": "hi"}]
        assert (
            _stored_principal(redis_prefix, f"{issuer.url}\x1fbob")["upstream:demo"] == held["upstream:demo"]
        )


async def test_a_store_outage_fails_modern_requests_closed_and_heals(
    issuer: RunningIssuer, redis_prefix: str, tmp_path: Path
) -> None:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    relay = TcpRelay(host, int(port))
    await relay.start()
    try:
        with running_demo_http() as upstream:
            config = gateway_config(
                tmp_path,
                port=8080,
                issuer_url=issuer.url,
                upstreams={"demo": {"transport": "streamable-http", "url": upstream.url}},
                policy={"file": str(POLICY)},
                store={"url": f"redis://127.0.0.1:{relay.port}/0", "key_prefix": redis_prefix},
            )
            async with in_process_gateway(config) as gateway:
                http, token = gateway.http, issuer.issuer.mint("bob", audience=gateway.url)
                assert (await post(http, gateway.url, token, "tools/call", ECHO))[0] == 200

                await relay.cut()
                status, reply, headers = await post(http, gateway.url, token, "tools/call", ECHO)
                assert (status, reply["error"]["code"]) == (503, -32001)
                assert "retry-after" in headers

                await relay.start()
                status, reply, _ = await post(http, gateway.url, token, "tools/call", ECHO)
                assert status == 200
                assert reply["result"]["content"] == [{"type": "text", "text": "hi"}]
    finally:
        await relay.cut()
