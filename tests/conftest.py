"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadscope` hands out whole test folders (tests/support/scheduling.py)."""
    if config.getoption("dist") != "loadscope":
        return None
    from tests.support.scheduling import FolderScheduling

    return FolderScheduling(config, log)
