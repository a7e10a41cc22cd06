"""The Starlette application: the MCP endpoints (Streamable HTTP, 2024-11-05 HTTP+SSE,
WebSocket), metadata, health."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from authz_mcp.auth.authenticator import Authenticator
from authz_mcp.auth.challenge import resource_metadata_url
from authz_mcp.auth.metadata import protected_resource_metadata
from authz_mcp.errors import GatewayError, http_body
from authz_mcp.http.cors import Cors
from authz_mcp.http.endpoint import McpEndpoint
from authz_mcp.http.guards import HostOriginGuard
from authz_mcp.http.legacy_sse import LegacySseTransport
from authz_mcp.http.tokens_api import token_api_routes
from authz_mcp.http.websocket import WEBSOCKET_PATH, WebSocketEndpoint
from authz_mcp.proxy.gateway import Gateway
from authz_mcp.reload import ReloadStatus
from authz_mcp.tokens import TokenService

logger = logging.getLogger(__name__)


def build_app(
    gateway: Gateway,
    authenticator: Authenticator,
    policy_status: ReloadStatus | None = None,
    *,
    tokens: TokenService | None = None,
) -> Starlette:
    config = gateway.config
    endpoint = McpEndpoint(gateway, authenticator, resource_metadata_url(config))
    legacy_sse = LegacySseTransport(gateway, authenticator, resource_metadata_url(config))
    websocket = WebSocketEndpoint(gateway, authenticator, resource_metadata_url(config))
    metadata = protected_resource_metadata(config)

    async def resource_metadata(request: Request) -> Response:
        # RFC 9728 §3: metadata is public; CORS lets browser-based clients read it.
        return JSONResponse(metadata, headers={"Access-Control-Allow-Origin": "*"})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        details: dict[str, Any] = {
            "policy": gateway.policy.version,
            "upstreams": {name: up.available for name, up in gateway.upstreams.items()},
            # Which era each connected upstream is spoken to in: "both" serves each client in its own.
            "upstream_eras": gateway.upstream_eras(),
            # Lists that fail while the rest of their upstream is served (retried with backoff).
            "failing_lists": gateway.catalogs.failing_lists(),
        }
        if policy_status is not None:
            # Still ready after a rejected edit: the last good policy is in force.
            details["policy_reload"] = policy_status.as_json()
        stores = {"store": gateway.store.ping}
        if tokens is not None and config.auth.personal_tokens:
            stores["token_store"] = tokens.store.ping
        # A required upstream that is down leaves users without tools they are owed;
        # an optional one only narrows what they see.
        down = [
            name
            for name, upstream in gateway.upstreams.items()
            if config.upstreams[name].required and not upstream.available
        ]
        if down:
            details["required_upstreams_unavailable"] = down
        ready = not down
        for name, ping in stores.items():
            try:
                await ping()
                details[name] = "ok"
            except GatewayError:
                gateway.metrics.store_errors.inc()
                details[name] = "unavailable"
                ready = False
        if not ready:
            return JSONResponse({"status": "unavailable", **details}, status_code=503)
        return JSONResponse({"status": "ready", **details})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Not found"}}
        return JSONResponse(body, status_code=status if status != 500 else 404)

    async def internal_error(request: Request, exc: Exception) -> Response:
        # The outermost boundary: log the details, show the client nothing of them.
        logger.exception("unhandled error serving %s %s", request.method, request.url.path)
        return JSONResponse(http_body(GatewayError()), status_code=500)

    routes = [
        Route("/mcp", endpoint),
        *legacy_sse.routes(),
        WebSocketRoute(WEBSOCKET_PATH, websocket),
        Route("/.well-known/oauth-protected-resource/mcp", resource_metadata, methods=["GET"]),
        Route("/.well-known/oauth-protected-resource", resource_metadata, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if tokens is not None and config.auth.personal_tokens and config.auth.pat.self_service:
        routes += token_api_routes(gateway, authenticator, tokens)
    if config.console is not None:
        # Imported only when configured: the console brings Jinja2 and authlib's OAuth client.
        from authz_mcp.console import PREFIX, console_app

        console_tokens = tokens if tokens is not None and config.auth.personal_tokens else None
        routes.append(Mount(PREFIX, app=console_app(gateway, console_tokens, config.console, policy_status)))
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(HostOriginGuard, config=config.server),
            Middleware(Cors, config=config.server),
        ],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
