"""What the upstreams offer: tools, prompts, resources and templates, aggregated.

A `Catalog` is immutable; `CatalogManager` builds a new one whenever an
upstream's lists change and swaps it in, bumping `version` so that permitted
views computed against the old one are not reused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from authz_mcp.errors import CatalogCollision
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.policy import UriRefusal, canonical_uri, prompt_object, resource_object, tool_object
from authz_mcp.proxy.naming import exposed_name

if TYPE_CHECKING:
    from mcp.shared.uri_template import UriTemplate


class Kind(Enum):
    TOOLS = ("tools", "tools/list", "tools", "name")
    PROMPTS = ("prompts", "prompts/list", "prompts", "name")
    RESOURCES = ("resources", "resources/list", "resources", "uri")
    TEMPLATES = ("resources", "resources/templates/list", "resourceTemplates", "uriTemplate")

    def __init__(self, capability: str, method: str, result_key: str, id_key: str) -> None:
        self.capability = capability
        self.method = method
        self.result_key = result_key
        self.id_key = id_key


@dataclass(frozen=True, slots=True)
class Entry:
    upstream: str
    original: str
    """The upstream's own name, URI or URI template."""
    exposed: str
    """What the client sees: the prefixed name, or the unchanged URI."""
    item: JSONObject
    """The item as listed to clients (name rewritten where prefixed)."""
    object: str
    """The policy object (DESIGN §4)."""


@dataclass(frozen=True, slots=True)
class UpstreamLists:
    """One upstream's items, by kind, in upstream order."""

    upstream: str
    items: Mapping[Kind, tuple[JSONObject, ...]]


@dataclass(frozen=True)
class Catalog:
    version: int
    entries: Mapping[Kind, Mapping[str, Entry]]
    """Per kind, entries keyed by exposed name (tools, prompts), or canonical URI or URI
    template (`authz_mcp.policy.canonical_uri`)."""
    templates: tuple[tuple[Entry, UriTemplate], ...] = ()
    upstreams: frozenset[str] = field(default_factory=frozenset)

    def get(self, kind: Kind, key: str) -> Entry | None:
        return self.entries[kind].get(key)

    def matching_templates(self, uri: str) -> list[Entry]:
        """The templates that produce `uri`, a canonical URI."""
        return [entry for entry, template in self.templates if template.match(uri) is not None]

    def route_resource(self, uri: str) -> str | None:
        """The upstream that serves `uri` (canonical): the one listing it, else one whose
        template matches."""
        entry = self.entries[Kind.RESOURCES].get(uri)
        if entry is not None:
            return entry.upstream
        templates = self.matching_templates(uri)
        return templates[0].upstream if templates else None


def _policy_object(kind: Kind, upstream: str, original: str) -> str:
    if kind is Kind.TOOLS:
        return tool_object(upstream, original)
    if kind is Kind.PROMPTS:
        return prompt_object(upstream, original)
    return resource_object(upstream, original)


def _canonical_key(kind: Kind, uri: str) -> str | None:
    """Resources and templates are keyed, routed and decided on in canonical form. A resource
    whose URI has none could never be read through the gateway, so it is not offered; such a
    template is still listed as it is, and produces nothing."""
    canonical = canonical_uri(uri, template=kind is Kind.TEMPLATES)
    if isinstance(canonical, UriRefusal):
        return uri if kind is Kind.TEMPLATES else None
    return canonical


def _parse_template(text: str) -> UriTemplate | None:
    # Imported at the first template: importing any module of the MCP SDK runs its package
    # `__init__`, which loads the SDK's client and server too (half a second of CPU), and
    # what only names `Kind` or `Catalog` (`policy explain`, `policy test`) needs none of it.
    from mcp.shared.uri_template import InvalidUriTemplate, UriTemplate

    with suppress(InvalidUriTemplate):
        return UriTemplate.parse(text)
    return None


def build_catalog(
    version: int, lists: Iterable[UpstreamLists], prefixes: Mapping[str, str], *, strict: bool
) -> tuple[Catalog, list[CatalogCollision]]:
    """Aggregate upstream lists. With `strict`, the first tool or prompt name collision
    raises; otherwise the later upstream's item is dropped and the collision returned."""
    entries: dict[Kind, dict[str, Entry]] = {kind: {} for kind in Kind}
    templates: list[tuple[Entry, UriTemplate]] = []
    collisions: list[CatalogCollision] = []
    names: set[str] = set()
    for upstream_lists in lists:
        names.add(upstream_lists.upstream)
        prefix = prefixes.get(upstream_lists.upstream, "")
        for kind, items in upstream_lists.items.items():
            for item in items:
                original = item.get(kind.id_key)
                if not isinstance(original, str) or not original:
                    continue
                renamed = kind in (Kind.TOOLS, Kind.PROMPTS)
                key = exposed_name(prefix, original) if renamed else _canonical_key(kind, original)
                if key is None:
                    continue
                existing = entries[kind].get(key)
                if existing is not None:
                    if existing.upstream == upstream_lists.upstream:
                        continue
                    collision = CatalogCollision(
                        kind.capability[:-1], key, existing.upstream, upstream_lists.upstream
                    )
                    # Names are the admin's to fix with a prefix; a URI served twice is
                    # routed to the first upstream in config order.
                    if strict and renamed:
                        raise collision
                    collisions.append(collision)
                    continue
                shown = {**item, kind.id_key: key} if renamed and key != original else item
                entry = Entry(
                    upstream=upstream_lists.upstream,
                    original=original,
                    exposed=key if renamed else original,
                    item=shown,
                    object=_policy_object(kind, upstream_lists.upstream, key if not renamed else original),
                )
                entries[kind][key] = entry
                if kind is Kind.TEMPLATES and (template := _parse_template(key)) is not None:
                    # An unparseable template is still listed; it just routes nothing.
                    templates.append((entry, template))
    frozen = {kind: dict(by_key) for kind, by_key in entries.items()}
    return Catalog(version, frozen, tuple(templates), frozenset(names)), collisions


EMPTY_CATALOG, _ = build_catalog(0, [], {}, strict=False)
