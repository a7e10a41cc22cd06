"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.issuer import RunningIssuer, running_issuer
from tests.support.redis import redis_key_prefix
from tests.support.redis_servers import (
    RedisCluster,
    SentinelSetup,
    redis_server_binary,
    running_cluster,
    running_sentinels,
)

TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup` (scripts/test), each test folder runs on one worker: a folder's
    tests share gateways and servers through package- and session-scoped fixtures, which would
    otherwise start once on every worker that runs some of them. (First, so that pytest-xdist
    sees the groups when it names the tests.)"""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        item.add_marker(pytest.mark.xdist_group(folder))


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of the test's own in the shared Redis, its keys deleted afterwards."""
    with redis_key_prefix() as prefix:
        yield prefix


@pytest.fixture(scope="session")
def issuer() -> Iterator[RunningIssuer]:
    """A development issuer whose JWKS is served over HTTP on loopback."""
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Three real redis-server masters in cluster mode, shared by the tests that need one."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed")
    with running_cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSetup]:
    """A real master with a replica, watched by three sentinels, shared by the tests that need
    one and never failed over (the failover test starts its own)."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed")
    with running_sentinels(tmp_path_factory.mktemp("redis-sentinel")) as sentinels:
        yield sentinels
