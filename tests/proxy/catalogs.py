"""Upstream lists for catalog and view tests, in the shape upstreams list them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from authz_mcp.errors import CatalogCollision
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.catalog import Catalog, Kind, UpstreamLists, build_catalog


def tool(name: str, **fields: object) -> JSONObject:
    return {"name": name, "inputSchema": {"type": "object"}, **fields}


def prompt(name: str, **fields: object) -> JSONObject:
    return {"name": name, **fields}


def resource(uri: str, **fields: object) -> JSONObject:
    return {"uri": uri, "name": uri.rsplit("/", 1)[-1], **fields}


def template(uri_template: str, **fields: object) -> JSONObject:
    return {"uriTemplate": uri_template, "name": uri_template, **fields}


def lists(upstream: str, **items: Iterable[JSONObject]) -> UpstreamLists:
    """`lists("a", tools=[...], prompts=[...], resources=[...], templates=[...])`."""
    kinds = {
        "tools": Kind.TOOLS,
        "prompts": Kind.PROMPTS,
        "resources": Kind.RESOURCES,
        "templates": Kind.TEMPLATES,
    }
    return UpstreamLists(upstream, {kinds[key]: tuple(values) for key, values in items.items()})


def catalog(
    *upstreams: UpstreamLists, prefixes: Mapping[str, str] | None = None, strict: bool = True
) -> tuple[Catalog, list[CatalogCollision]]:
    default = {each.upstream: f"{each.upstream}__" for each in upstreams}
    return build_catalog(1, upstreams, default if prefixes is None else prefixes, strict=strict)
