"""The composition root: builds every component from one `Config`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import httpx
from starlette.applications import Starlette

from authz_mcp.auth import Authenticator
from authz_mcp.config import Config
from authz_mcp.http.app import build_app
from authz_mcp.observability.audit import AuditLog
from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.sessions import open_session_store
from authz_mcp.upstream import build_upstream, create_http_client

# What the gateway tells upstreams it can relay; each is only used when the
# downstream client declared it (the relay checks per request).
RELAYED_CLIENT_CAPABILITIES = {"sampling": {}, "elicitation": {}, "roots": {"listChanged": True}}


@dataclass
class Runtime:
    config: Config
    gateway: Gateway
    authenticator: Authenticator
    app: Starlette


@asynccontextmanager
async def open_runtime(config: Config, *, strict: bool = True) -> AsyncIterator[Runtime]:
    """Everything the gateway needs, started; closed in reverse order on exit."""
    policy = PolicyEngine.load(config.policy.model, config.policy.file)
    store = open_session_store(config.store, idle_seconds=config.server.session_idle_seconds)
    audit = AuditLog.open(config.audit.path)
    async with (
        create_http_client() as upstream_http,
        httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False, trust_env=False) as auth_http,
    ):
        upstreams = {
            name: build_upstream(
                name, upstream_config, http=upstream_http, client_capabilities=RELAYED_CLIENT_CAPABILITIES
            )
            for name, upstream_config in config.upstreams.items()
        }
        gateway = Gateway(config, policy, store, upstreams, audit)
        authenticator = Authenticator(config, auth_http)
        try:
            await gateway.start(strict=strict)
            async with anyio.create_task_group() as background:
                gateway.listen(background)
                yield Runtime(config, gateway, authenticator, build_app(gateway, authenticator))
                background.cancel_scope.cancel()
        finally:
            await gateway.aclose()
            await authenticator.aclose()
            await store.aclose()
            audit.close()
