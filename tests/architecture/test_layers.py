"""The HTTP layer speaks to the proxy, never past it to the upstream transports or into the
proxy's method handlers: what both sides share lives in protocol.py."""

from __future__ import annotations

from pathlib import Path

import authz_mcp
from tests.architecture.imports import import_graph

PACKAGE = Path(authz_mcp.__file__).parent
FORBIDDEN_TO_HTTP = ("authz_mcp.upstream", "authz_mcp.proxy.methods")


def test_http_imports_neither_upstream_transports_nor_proxy_method_handlers() -> None:
    graph = import_graph(PACKAGE)
    crossings = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith("authz_mcp.http.")
        for target in targets
        if target.startswith(FORBIDDEN_TO_HTTP)
    )
    assert crossings == []
