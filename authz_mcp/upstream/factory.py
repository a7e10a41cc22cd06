"""Builds the `Upstream` for one configured server, by transport."""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from authz_mcp.config.model import HttpUpstreamConfig, SseUpstreamConfig, StdioUpstreamConfig
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.base import Upstream
from authz_mcp.upstream.legacy_sse import LegacySseUpstream
from authz_mcp.upstream.stdio import StdioUpstream


def build_upstream(
    name: str,
    config: StdioUpstreamConfig | HttpUpstreamConfig | SseUpstreamConfig,
    *,
    http: httpx.AsyncClient,
    client_capabilities: JSONObject,
) -> Upstream:
    if isinstance(config, StdioUpstreamConfig):
        return StdioUpstream(name, config, client_capabilities=client_capabilities)
    if isinstance(config, SseUpstreamConfig):
        return LegacySseUpstream(name, config, http=http, client_capabilities=client_capabilities)
    # Streamable HTTP upstreams each pool their own aiohttp connections (http_client.py);
    # imported here, as aiohttp costs every process start a quarter of a second of CPU and
    # only this transport uses it.
    from authz_mcp.upstream.http import HttpUpstream

    return HttpUpstream(name, config, client_capabilities=client_capabilities)


def create_http_client() -> httpx.AsyncClient:
    """The pooled client to share between HTTP+SSE (2024-11-05) upstreams.

    It keeps no cookies: one jar shared by every user's upstream session would
    carry one user's upstream cookies into another's requests. It ignores the
    environment (`trust_env=False`), so no `.netrc` credentials or proxy settings
    are added behind the config's back, and it never follows redirects, so the
    configured credentials go only to the configured URL.
    """
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        cookies=no_cookies,
        trust_env=False,
        follow_redirects=False,
        # Idle connections are dropped before common servers drop them (uvicorn: 5 s), so a
        # request is not sent on a connection the upstream is closing at that moment.
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=4.0),
    )
