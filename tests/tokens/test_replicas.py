"""Two `serve` processes on one Redis: a token made on one replica works on the other, and a
revocation made anywhere stops it on the very next request everywhere."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.cli.runner import run_cli
from tests.support.gateway import free_port, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.redis import REDIS_URL
from tests.tokens.conftest import PatGateway, pat_gateway_config
from tests.tokens.wire import api, initialize


@contextlib.contextmanager
def replicas(issuer: RunningIssuer, prefix: str, tmp_path: Path) -> Iterator[tuple[PatGateway, PatGateway]]:
    public_url = f"http://127.0.0.1:{free_port()}"
    with contextlib.ExitStack() as stack:
        started = []
        for _ in range(2):
            port = free_port()
            config = pat_gateway_config(
                tmp_path,
                issuer,
                port,
                store={"url": REDIS_URL, "key_prefix": prefix},
                server={"public_url": public_url, "allowed_hosts": ["127.0.0.1"]},
            )
            process = stack.enter_context(running_gateway(config, tmp_path))
            started.append(
                PatGateway(process, tmp_path / f"gateway-{port}.yaml", issuer, f"{public_url}/mcp")
            )
        yield started[0], started[1]


def test_revocation_on_one_replica_stops_the_token_on_the_other(
    issuer: RunningIssuer, redis_prefix: str, tmp_path: Path
) -> None:
    with replicas(issuer, redis_prefix, tmp_path) as (first, second):
        # Both answer to one public URL, so a token for it is good on either.
        jwt = first.jwt("alice")
        mcp = f"{first.process.base_url}/mcp", f"{second.process.base_url}/mcp"
        created = api("POST", first.api, jwt, {"name": "shared"}).json()
        token = created["token"]
        assert initialize(mcp[1], token).status_code == 200
        assert {t["id"] for t in api("GET", second.api, jwt).json()["tokens"]} == {created["id"]}

        assert api("DELETE", f"{first.api}/{created['id']}", jwt).status_code == 200

        assert initialize(mcp[1], token).status_code == 401
        assert initialize(mcp[0], token).status_code == 401


def test_cli_revocation_reaches_every_replica(
    issuer: RunningIssuer, redis_prefix: str, tmp_path: Path
) -> None:
    with replicas(issuer, redis_prefix, tmp_path) as (first, second):
        made = run_cli("token", "create", "--config", str(first.config_path), "--user", "bob")
        token = made.stdout.strip()
        assert initialize(f"{first.process.base_url}/mcp", token).status_code == 200
        assert initialize(f"{second.process.base_url}/mcp", token).status_code == 200

        revoked = run_cli("token", "revoke", "--config", str(second.config_path), token)

        assert revoked.returncode == 0, revoked.stderr
        assert initialize(f"{first.process.base_url}/mcp", token).status_code == 401
        assert initialize(f"{second.process.base_url}/mcp", token).status_code == 401
