"""The HTTP layer speaks to the proxy, never past it to the upstream transports or into the
proxy's method handlers: what both sides share lives in protocol.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import authz_mcp
from tests.architecture.imports import import_graph

PACKAGE = Path(authz_mcp.__file__).parent
FORBIDDEN_TO_HTTP = ("authz_mcp.upstream", "authz_mcp.proxy.methods")

# What http/ may take from the proxy: the entries a message goes through (one call per
# message: `proxy/entry.py` for Streamable HTTP, `Channel.receive` for WebSocket and
# HTTP+SSE), the `Gateway` it is built with, and the header map the modern checks read.
PROXY_SEEN_BY_HTTP = {
    "authz_mcp.proxy.entry",
    "authz_mcp.proxy.channel",
    "authz_mcp.proxy.gateway",
    "authz_mcp.proxy.modern_checks",
}


def _http_imports(forbidden: Callable[[str], bool]) -> list[str]:
    graph = import_graph(PACKAGE)
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith("authz_mcp.http.")
        for target in targets
        if forbidden(target)
    )


def test_http_imports_neither_upstream_transports_nor_proxy_method_handlers() -> None:
    assert _http_imports(lambda target: target.startswith(FORBIDDEN_TO_HTTP)) == []


def test_http_reaches_the_proxy_only_through_its_entries() -> None:
    assert (
        _http_imports(
            lambda target: target.startswith("authz_mcp.proxy") and target not in PROXY_SEEN_BY_HTTP
        )
        == []
    )
