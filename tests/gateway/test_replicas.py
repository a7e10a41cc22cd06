"""Two `serve` processes on one Redis: a session continues on either replica."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.gateway.conftest import demo_and_web
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.raw import ACCEPT
from tests.support.redis import REDIS_URL

POLICY = Path(__file__).with_name("policy.csv")


@contextlib.contextmanager
def _replicas(
    issuer: RunningIssuer, web_upstream: str, prefix: str, tmp_path: Path
) -> Iterator[tuple[GatewayProcess, GatewayProcess, str]]:
    # Both replicas answer to one public URL (what a load balancer would give them).
    public_url = f"http://127.0.0.1:{free_port()}"
    with contextlib.ExitStack() as stack:
        replicas = []
        for _ in range(2):
            config = gateway_config(
                tmp_path,
                port=free_port(),
                issuer_url=issuer.url,
                upstreams=demo_and_web(web_upstream),
                policy={"file": str(POLICY)},
                store={"url": REDIS_URL, "key_prefix": prefix},
                server={"public_url": public_url, "allowed_hosts": ["127.0.0.1"]},
            )
            replicas.append(stack.enter_context(running_gateway(config, tmp_path)))
        yield replicas[0], replicas[1], public_url


def _rpc(replica: GatewayProcess, token: str, session: str | None, method: str, params: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}
    if session:
        headers["Mcp-Session-Id"] = session
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        body["params"] = params
    return httpx.post(f"{replica.base_url}/mcp", json=body, headers=headers, timeout=20)


def test_a_session_started_on_one_replica_continues_on_the_other(
    issuer: RunningIssuer, web_upstream: str, redis_prefix: str, tmp_path: Path
) -> None:
    with _replicas(issuer, web_upstream, redis_prefix, tmp_path) as (first, second, public_url):
        token = issuer.issuer.mint("alice", audience=f"{public_url}/mcp")
        init = _rpc(
            first,
            token,
            None,
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        )
        assert init.status_code == 200, init.text
        session = init.headers["mcp-session-id"]
        echo = {"name": "web__echo", "arguments": {"text": "from the first"}}
        assert "from the first" in _rpc(first, token, session, "tools/call", echo).text

        record = _stored_session(redis_prefix)
        web_handle = record["upstream:web"]
        assert web_handle  # the demo speaks both eras: this legacy client has a session of its own

        echo = {"name": "web__echo", "arguments": {"text": "from the second"}}
        moved = _rpc(second, token, session, "tools/call", echo)
        assert moved.status_code == 200
        assert "from the second" in moved.text
        # The upstream session was resumed, not replaced.
        assert _stored_session(redis_prefix)["upstream:web"] == web_handle

        stdio = _rpc(
            second, token, session, "tools/call", {"name": "demo__echo", "arguments": {"text": "stdio"}}
        )
        assert "stdio" in stdio.text

        bob = issuer.issuer.mint("bob", audience=f"{public_url}/mcp")
        assert _rpc(second, bob, session, "ping").status_code == 404

        first.kill()
        again = _rpc(
            second, token, session, "tools/call", {"name": "web__echo", "arguments": {"text": "alive"}}
        )
        assert "alive" in again.text


def _stored_session(prefix: str) -> dict[str, str]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        keys = list(client.scan_iter(match=f"{prefix}session:*"))
        assert len(keys) == 1
        return dict(client.hgetall(keys[0]))  # type: ignore[arg-type]
    finally:
        client.close()
