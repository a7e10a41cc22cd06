"""The composition root: builds every component from one `Config`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import httpx

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.refusals import AuthRefusals
from authz_mcp.config import Config
from authz_mcp.config.model import HttpUpstreamConfig
from authz_mcp.errors import ConfigError
from authz_mcp.http.app import build_app
from authz_mcp.http.asgi import ASGIApp
from authz_mcp.http.observe import ObservedApp
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.observability.metrics import Metrics
from authz_mcp.observability.tracing import Tracing
from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.capsets import MOST_RELAYED
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.reload import policy_lifecycle
from authz_mcp.sessions import open_session_store
from authz_mcp.tokens import PatVerifier, TokenService, open_token_store
from authz_mcp.upstream.base import Upstream
from authz_mcp.upstream.factory import build_upstream, create_http_client

# The gateway's own session on a Streamable HTTP upstream relays nothing to anyone: it
# declares no client capabilities, and lists what a client that declares none is offered;
# each user's session declares what that user's client can be asked (proxy/capsets.py).
# A stdio or HTTP+SSE upstream is one connection shared by every user: it declares all the
# gateway can relay, and the relay refuses what a user's own client did not declare; what
# a client declaring less is offered is learnt on probe connections (proxy/capset_probes.py).
GATEWAY_CLIENT_CAPABILITIES: JSONObject = {}
SHARED_CONNECTION_CAPABILITIES: JSONObject = MOST_RELAYED

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    gateway: Gateway
    authenticator: Authenticator
    app: ASGIApp


def build_upstreams(config: Config, http: httpx.AsyncClient) -> dict[str, Upstream]:
    """The configured upstreams, not yet started; HTTP ones share `http`."""
    return {
        name: build_upstream(
            name,
            upstream_config,
            http=http,
            client_capabilities=GATEWAY_CLIENT_CAPABILITIES
            if isinstance(upstream_config, HttpUpstreamConfig)
            else SHARED_CONNECTION_CAPABILITIES,
        )
        for name, upstream_config in config.upstreams.items()
    }


UpstreamsBuilder = Callable[[Config, httpx.AsyncClient], dict[str, Upstream]]


@asynccontextmanager
async def open_runtime(
    config: Config,
    *,
    strict: bool = True,
    tracing: Tracing | None = None,
    upstreams: UpstreamsBuilder = build_upstreams,
) -> AsyncIterator[Runtime]:
    """Everything the gateway needs, started; closed in reverse order on exit.

    `tracing`: instead of the one the config describes (tests give an in-memory exporter).
    `upstreams`: builds the upstreams (tests serve stdio ones in-process)."""
    policy = PolicyEngine.load(config.policy.model, config.policy.file)
    store = open_session_store(config.store, idle_seconds=config.server.session_idle_seconds)
    token_store = open_token_store(config.store)
    tokens = TokenService(token_store, config.auth.pat)
    audit = AuditLog.open(
        config.audit.path,
        flush_seconds=config.audit.flush_seconds,
        buffer_bytes=config.audit.buffer_bytes,
    )
    metrics = Metrics()
    tracing = tracing if tracing is not None else Tracing(config.tracing)
    async with (
        create_http_client() as upstream_http,
        httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False, trust_env=False) as auth_http,
    ):
        secret = config.server.secret_key.encode() if config.server.secret_key else None
        if secret is None and not config.store.url.startswith("memory:"):
            logger.warning(
                "server.secret_key is not set: cursors and requestState are valid on this replica only"
            )
        gateway = Gateway(
            config,
            policy,
            store,
            upstreams(config, upstream_http),
            audit,
            secret_key=secret,
            metrics=metrics,
            tracing=tracing,
        )
        authenticator = Authenticator(
            config,
            auth_http,
            pat_verifier=PatVerifier(token_store),
            refusals=AuthRefusals(metrics.count_auth_failure),
        )
        metrics.watch_live_state(
            lambda: {name: up.available for name, up in gateway.upstreams.items()},
            lambda: gateway.policy.version,
            store.count_live,
        )
        startup_error: ConfigError | None = None
        try:
            async with anyio.create_task_group() as background:
                try:
                    await gateway.start(background, strict=strict)
                except ConfigError as exc:  # raised below, outside the task group
                    startup_error = exc
                else:
                    gateway.listen(background)
                    async with policy_lifecycle(config, gateway) as policy_status:
                        app = build_app(gateway, authenticator, policy_status, tokens=tokens)
                        observed = ObservedApp(app, metrics, config.metrics, config.logging)
                        yield Runtime(config, gateway, authenticator, observed)
                background.cancel_scope.cancel()
            if startup_error is not None:
                raise startup_error
        finally:
            await gateway.aclose()
            await authenticator.aclose()
            await store.aclose()
            await token_store.aclose()
            audit.close()
            tracing.shutdown()
