"""Rate limits: per user (429), per user and tool, per upstream, through the gateway in-process;
one limit shared by two replicas through Redis, through real gateway processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from authz_mcp.config import parse_config
from authz_mcp.errors import ConfigError
from tests.observability.conftest import demo_config, sample, samples_of
from tests.support.gateway import GatewayProcess, free_port, running_gateway
from tests.support.inprocess import InProcessGateway, in_process_gateway
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession
from tests.support.redis import REDIS_URL

RATE_LIMITED = -32029


async def _session(
    http: httpx.AsyncClient, gateway: GatewayProcess | InProcessGateway, issuer: RunningIssuer, user: str
) -> RawSession:
    session = RawSession(http, gateway.url, issuer.issuer.mint(user, audience=gateway.url))
    await session.initialize()
    return session


async def _echo(session: RawSession, tool: str = "demo__echo") -> dict[str, Any]:
    return await session.request("tools/call", {"name": tool, "arguments": {"text": "x", "a": 1, "b": 2}})


def _refusals(gateway: GatewayProcess | InProcessGateway) -> list[dict[str, Any]]:
    return [line for line in gateway.audit() if str(line.get("reason", "")).startswith("rate limit")]


async def test_over_the_per_user_limit_a_request_gets_429_with_retry_after_and_others_go_on(
    issuer: RunningIssuer, tmp_path: Path
) -> None:
    config = demo_config(tmp_path, issuer, 8080, limits={"per_user": "4/minute"})
    async with in_process_gateway(config) as gateway:
        http = gateway.http
        bob = await _session(http, gateway, issuer, "bob")  # initialize + initialized: 2
        assert "result" in await _echo(bob)
        assert "result" in await _echo(bob)
        refused = await http.post(
            gateway.url,
            json={"jsonrpc": "2.0", "id": 9, "method": "tools/list"},
            headers=bob.headers(),
        )
        alice = await _session(http, gateway, issuer, "alice")
        assert "result" in await _echo(alice)
        metrics = samples_of((await http.get("/metrics")).text)

        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert refused.json()["error"]["code"] == RATE_LIMITED
        assert refused.json()["error"]["data"] == {"retryAfter": retry_after}
        (audited,) = _refusals(gateway)
        assert audited["user"] == "bob"
        assert audited["decision"] == "deny"
        assert audited["method"] == "tools/list"
        assert audited["retry_after"] == retry_after
        assert sample(metrics, "authz_mcp_rate_limited_total", limit="per_user") == 1


async def test_tool_and_upstream_limits_refuse_one_call_with_a_jsonrpc_error(
    issuer: RunningIssuer, tmp_path: Path
) -> None:
    limits = {"tools": {"demo/tools/echo": "2/minute"}, "upstreams": {"demo": "5/minute"}}
    async with in_process_gateway(demo_config(tmp_path, issuer, 8080, limits=limits)) as gateway:
        http = gateway.http
        bob = await _session(http, gateway, issuer, "bob")
        alice = await _session(http, gateway, issuer, "alice")
        assert "result" in await _echo(bob)
        assert "result" in await _echo(bob)
        over_tool = await _echo(bob)
        # The tool limit is per user: alice still has hers. Upstream: 2 (bob) + 3 (alice) = 5.
        assert "result" in await _echo(alice)
        assert "result" in await _echo(alice, "demo__add")
        assert "result" in await _echo(bob, "demo__add")
        over_upstream = await _echo(alice, "demo__add")
        tools_list = await alice.request("tools/list")
        metrics = samples_of((await http.get("/metrics")).text)

        assert over_tool["error"]["code"] == RATE_LIMITED
        assert 1 <= over_tool["error"]["data"]["retryAfter"] <= 60
        assert over_upstream["error"]["code"] == RATE_LIMITED
        assert "result" in tools_list  # answered by the gateway: nothing goes upstream
        reasons = [line["reason"] for line in _refusals(gateway)]
        assert reasons == [
            "rate limit: tool demo/tools/echo 2 per 1 minute",
            "rate limit: upstream demo 5 per 1 minute",
        ]
        assert sample(metrics, "authz_mcp_rate_limited_total", limit="tool") == 1
        assert sample(metrics, "authz_mcp_rate_limited_total", limit="upstream") == 1
        labels = {"era": "legacy", "method": "tools/call", "upstream": "demo", "decision": "rate_limited"}
        assert sample(metrics, "authz_mcp_requests_total", **labels) == 2


@pytest.mark.timeout(120)
async def test_two_replicas_share_one_limit_through_redis(
    issuer: RunningIssuer, tmp_path: Path, redis_prefix: str
) -> None:
    sections: dict[str, Any] = {
        "store": {"url": REDIS_URL, "key_prefix": redis_prefix},
        "limits": {"tools": {"demo/tools/echo": "3/minute"}},
    }
    with (
        running_gateway(demo_config(tmp_path, issuer, free_port(), **sections), tmp_path) as one,
        running_gateway(demo_config(tmp_path, issuer, free_port(), **sections), tmp_path) as two,
    ):
        async with httpx.AsyncClient(timeout=20) as http:
            on_one = await _session(http, one, issuer, "bob")
            on_two = await _session(http, two, issuer, "bob")
            assert "result" in await _echo(on_one)
            assert "result" in await _echo(on_two)
            assert "result" in await _echo(on_one)
            refused = [await _echo(on_two), await _echo(on_one)]

        assert [reply["error"]["code"] for reply in refused] == [RATE_LIMITED, RATE_LIMITED]
        assert len(_refusals(one)) == 1
        assert len(_refusals(two)) == 1


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"per_user": "lots"}, "is not a rate"),
        ({"tools": {"demo/prompts/x": "1/second"}}, "<upstream>/tools/<name>"),
        ({"tools": {"demo/tools/*_admin": "1/second"}}, "'*' only at the end"),
        ({"upstreams": {"nowhere": "1/second"}}, "unknown upstream"),
    ],
)
def test_bad_limits_are_config_errors_naming_the_key(limits: dict[str, Any], message: str) -> None:
    raw = {
        "auth": {"personal_tokens": True},
        "upstreams": {"demo": {"transport": "streamable-http", "url": "http://127.0.0.1:1/mcp"}},
        "limits": limits,
    }
    with pytest.raises(ConfigError, match="limits") as refused:
        parse_config(raw)
    assert message in str(refused.value)
