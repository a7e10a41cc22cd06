"""Fixtures for the auth tests: a real DevIssuer over HTTP and a gateway config that trusts it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from authz_mcp.config.model import Config
from tests.support.issuer import RunningIssuer, running_issuer

PUBLIC_URL = "http://127.0.0.1:8080"
AUDIENCE = f"{PUBLIC_URL}/mcp"


@pytest.fixture
def idp() -> Iterator[RunningIssuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: a proxy set in the environment must not intercept loopback traffic.
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


def gateway_config(*issuers: RunningIssuer, **jwt_overrides: Any) -> Config:
    """A config trusting each issuer through its JWKS URL; overrides apply to every issuer."""
    jwt = [{"issuer": i.issuer.issuer_url, "jwks_url": i.jwks_url, **jwt_overrides} for i in issuers]
    return Config.model_validate({"server": {"public_url": PUBLIC_URL}, "auth": {"jwt": jwt}})
