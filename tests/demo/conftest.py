from __future__ import annotations

import pytest

from tests.support.upstreams import Transport


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> Transport:
    value: Transport = request.param
    return value
