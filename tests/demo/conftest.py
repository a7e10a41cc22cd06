from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.support.gateway import HttpServers
from tests.support.upstreams import Transport


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> Transport:
    value: Transport = request.param
    return value


@pytest.fixture(scope="module")
def servers() -> Iterator[HttpServers]:
    """Demo servers over HTTP shared by a module's tests (see `demo_client`)."""
    with contextlib.ExitStack() as stack:
        yield HttpServers(stack)
