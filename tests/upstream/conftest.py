from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from authz_mcp.config.model import HttpUpstreamConfig, SseUpstreamConfig, StdioUpstreamConfig
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.base import Upstream
from authz_mcp.upstream.factory import build_upstream, create_http_client
from authz_mcp.upstream.http import HttpUpstream
from authz_mcp.upstream.stdio import StdioUpstream
from tests.support.gateway import free_port, running_server_http
from tests.support.upstreams import (
    DEMO_MODULE,
    PROJECT_ROOT,
    demo_sse_on,
    demo_stdio_command,
    http_demo_server,
)

CLIENT_CAPABILITIES: JSONObject = {"sampling": {}, "roots": {"listChanged": True}, "elicitation": {}}


# The demo server speaks both eras: these helpers pin the handshake era unless told
# otherwise, so the legacy contract below is what they exercise.
def stdio_config(*demo_args: str, protocol: str = "legacy") -> StdioUpstreamConfig:
    command, args = demo_stdio_command(*demo_args)
    return StdioUpstreamConfig.model_validate(
        {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT, "protocol": protocol}
    )


def http_config(url: str, *, protocol: str = "legacy", **headers: str) -> HttpUpstreamConfig:
    return HttpUpstreamConfig.model_validate(
        {"transport": "streamable-http", "url": url, "headers": headers, "protocol": protocol}
    )


def sse_config(url: str, **headers: str) -> SseUpstreamConfig:
    return SseUpstreamConfig.model_validate({"transport": "sse", "url": url, "headers": headers})


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client() as client:
        yield client


@pytest.fixture
async def demo_url() -> AsyncIterator[str]:
    async with http_demo_server() as url:
        yield url


@pytest.fixture
async def stdio_upstream() -> AsyncIterator[StdioUpstream]:
    upstream = StdioUpstream("demo", stdio_config(), client_capabilities=CLIENT_CAPABILITIES)
    await upstream.start()
    yield upstream
    await upstream.aclose()


@pytest.fixture
async def http_upstream(demo_url: str) -> AsyncIterator[HttpUpstream]:
    upstream = HttpUpstream("demo", http_config(demo_url), client_capabilities=CLIENT_CAPABILITIES)
    await upstream.start()
    yield upstream
    await upstream.aclose()


@pytest.fixture(scope="module")
def shared_demo_http() -> Iterator[str]:
    """One demo server over Streamable HTTP for a module's tests: each connects afresh and
    keeps its own sessions, and the demo holds no state these tests change."""
    with running_server_http(DEMO_MODULE) as demo:
        yield demo.url


@pytest.fixture(scope="module")
def shared_demo_sse() -> Iterator[str]:
    """One demo server over 2024-11-05 HTTP+SSE for a module's tests, like `shared_demo_http`."""
    port = free_port()
    with demo_sse_on(port):
        yield f"http://127.0.0.1:{port}/sse"


@pytest.fixture(params=["stdio", "http", "sse"])
async def upstream(request: pytest.FixtureRequest, http_client: httpx.AsyncClient) -> AsyncIterator[Upstream]:
    """The demo server behind each transport, built the way the gateway builds it (a stdio
    upstream starts its own server; the HTTP ones connect to the module's shared server)."""
    if request.param == "stdio":
        config: StdioUpstreamConfig | HttpUpstreamConfig | SseUpstreamConfig = stdio_config()
    elif request.param == "http":
        config = http_config(request.getfixturevalue("shared_demo_http"))
    else:
        config = sse_config(request.getfixturevalue("shared_demo_sse"))
    built = build_upstream("demo", config, http=http_client, client_capabilities=CLIENT_CAPABILITIES)
    await built.start()
    yield built
    await built.aclose()


@pytest.fixture
async def handle(upstream: Upstream) -> str:
    """A downstream session's upstream session, as the proxy would open it."""
    return await upstream.open_session(CLIENT_CAPABILITIES)
