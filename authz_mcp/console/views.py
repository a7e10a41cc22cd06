"""What a user may use, for display: their permitted view (the one the MCP endpoint serves
them, from `Gateway.view_for`) grouped by upstream."""

from __future__ import annotations

from dataclasses import dataclass, field

from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.view import PermittedView

KIND_LABELS = {
    Kind.TOOLS: "Tools",
    Kind.PROMPTS: "Prompts",
    Kind.RESOURCES: "Resources",
    Kind.TEMPLATES: "Resource templates",
}


@dataclass(frozen=True, slots=True)
class Shown:
    name: str
    """What MCP clients see: the exposed name or URI."""
    description: str
    object: str
    """The policy object, which is also what a token's scope names."""


@dataclass(slots=True)
class UpstreamCatalog:
    upstream: str
    kinds: dict[str, list[Shown]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.kinds.values())


def catalog_of(view: PermittedView) -> list[UpstreamCatalog]:
    by_upstream: dict[str, UpstreamCatalog] = {}
    for kind in Kind:
        for entry in view.visible[kind]:
            description = entry.item.get("description")
            shown = Shown(entry.exposed, description if isinstance(description, str) else "", entry.object)
            group = by_upstream.setdefault(entry.upstream, UpstreamCatalog(entry.upstream))
            group.kinds.setdefault(KIND_LABELS[kind], []).append(shown)
    return [by_upstream[name] for name in sorted(by_upstream)]


def scope_choices(view: PermittedView) -> list[str]:
    """Scopes a user may pick for a token: each upstream as a whole, then each permitted item."""
    objects = [entry.object for kind in Kind for entry in view.visible[kind]]
    upstreams = sorted({entry.upstream for kind in Kind for entry in view.visible[kind]})
    wholes = [f"{name}/*" for name in upstreams]
    return wholes + sorted(dict.fromkeys(objects))
