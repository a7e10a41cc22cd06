"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.issuer import RunningIssuer, running_issuer
from tests.support.redis import redis_key_prefix


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
