"""Two `serve` processes on one Redis and the same policy files converge on every change."""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import redis

from tests.reload.conftest import BASE_POLICY, readyz, reload_config, replace_atomically, token, version_of
from tests.support.gateway import GatewayProcess, running_gateway, wait_until
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession
from tests.support.redis import REDIS_URL

GRANT_FORECAST = BASE_POLICY + "p, role:viewer, demo/tools/get_forecast, call, allow\n"


@contextlib.contextmanager
def _two_replicas(
    tmp_path: Path, issuer: RunningIssuer, policy_dir: Path, prefix: str, *, first_watches: bool
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    """Only the first replica may watch the files: the second learns of changes from Redis."""
    store = {"url": REDIS_URL, "key_prefix": prefix}
    with contextlib.ExitStack() as stack:
        replicas = [
            stack.enter_context(
                running_gateway(
                    reload_config(tmp_path, issuer, policy_dir, store=store, policy={"watch": watches}),
                    tmp_path,
                )
            )
            for watches in (first_watches, False)
        ]
        yield replicas[0], replicas[1]


def _converged(replicas: tuple[GatewayProcess, ...], version: str) -> bool:
    return all(readyz(replica)["policy"] == version for replica in replicas)


@contextlib.contextmanager
def _notices(prefix: str) -> Iterator[list[dict[str, Any]]]:
    """The notices published on the replicas' channel while the context is open."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
    pubsub.subscribe(f"{prefix}policy-changed")
    seen: list[dict[str, Any]] = []
    try:
        yield seen
    finally:
        # Until half a second passes without a message.
        while (message := pubsub.get_message(timeout=0.5)) is not None:
            if message["type"] == "message":
                seen.append(json.loads(message["data"]))
        pubsub.close()
        client.close()


async def test_an_edit_seen_by_one_replica_reaches_the_other_and_its_clients(
    issuer: RunningIssuer, policy_dir: Path, tmp_path: Path, redis_prefix: str
) -> None:
    with _two_replicas(tmp_path, issuer, policy_dir, redis_prefix, first_watches=True) as (first, second):
        async with httpx.AsyncClient(timeout=20) as http:
            bob = RawSession(http, second.url, token(issuer, second, "bob"))
            await bob.initialize()
            async with bob.listen() as to_bob:
                replace_atomically(policy_dir / "policy.csv", GRANT_FORECAST)
                with anyio.fail_after(5):
                    assert (await to_bob.receive())["method"] == "notifications/tools/list_changed"
            listed = await bob.request("tools/list")
            assert "demo__get_forecast" in {tool["name"] for tool in listed["result"]["tools"]}
        expected = version_of(policy_dir)
        wait_until(lambda: _converged((first, second), expected), 5, "both replicas to converge")
        assert readyz(first)["policy_reload"]["trigger"] == "file change"
        second_status = readyz(second)["policy_reload"]
        assert second_status["trigger"] == "replica notice"
        assert second_status["announced"] == expected
        assert second_status["converged"] is True


def test_a_sighup_on_one_replica_reaches_the_other_with_one_notice(
    issuer: RunningIssuer, policy_dir: Path, tmp_path: Path, redis_prefix: str
) -> None:
    with _two_replicas(tmp_path, issuer, policy_dir, redis_prefix, first_watches=False) as (first, second):
        before = readyz(second)["policy"]
        with _notices(redis_prefix) as notices:
            (policy_dir / "policy.csv").write_text(GRANT_FORECAST, encoding="utf-8")
            expected = version_of(policy_dir)
            first.process.send_signal(signal.SIGHUP)
            wait_until(lambda: _converged((first, second), expected), 5, "both replicas to converge")
        assert expected != before
        # The follower reloads quietly: announcing again would echo between replicas.
        assert [notice["version"] for notice in notices] == [expected]
        assert readyz(second)["policy_reload"]["trigger"] == "replica notice"
