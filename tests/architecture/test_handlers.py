"""Method handlers are given the collaborators they use; none reaches through the `Gateway`.

The gateway builds each family of handlers (`proxy/methods/`), the entry, the channels'
services and the pieces they use, so an import of it from any of them would be a cycle as
well as a hub. No other module of the proxy imports it.
"""

from __future__ import annotations

from pathlib import Path

import authz_mcp
from tests.architecture.imports import import_graph

PACKAGE = Path(authz_mcp.__file__).parent
GATEWAY = "authz_mcp.proxy.gateway"


def _importers_of_gateway(prefix: str) -> list[str]:
    graph = import_graph(PACKAGE)
    return sorted(
        module for module, targets in graph.items() if module.startswith(prefix) and GATEWAY in targets
    )


def test_method_handlers_do_not_import_the_gateway() -> None:
    assert _importers_of_gateway("authz_mcp.proxy.methods") == []


def test_no_other_module_of_the_proxy_imports_the_gateway() -> None:
    assert _importers_of_gateway("authz_mcp.proxy.") == []
