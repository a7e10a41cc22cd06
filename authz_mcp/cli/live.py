"""The live upstream catalogs, for commands that judge a policy against what upstreams offer.

The upstreams are started exactly as `serve` starts them, asked for their lists,
and stopped again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio

from authz_mcp.config import Config
from authz_mcp.proxy.catalog import Catalog, Kind

KIND_LABELS = {
    Kind.TOOLS: "tool",
    Kind.PROMPTS: "prompt",
    Kind.RESOURCES: "resource",
    Kind.TEMPLATES: "template",
}
"""How each kind of item is labelled in command output."""


@dataclass(frozen=True, slots=True)
class LiveCatalog:
    catalog: Catalog
    unavailable: tuple[str, ...]
    """Configured upstreams whose lists could not be fetched."""


async def fetch_live_catalog(config: Config) -> LiveCatalog:
    # Imported here, for the commands that start the upstreams: the transports bring aiohttp
    # and the MCP SDK, which `policy explain` and `policy check --offline` do without.
    from authz_mcp.proxy.catalog_manager import CatalogManager
    from authz_mcp.runtime import build_upstreams
    from authz_mcp.upstream.factory import create_http_client

    # An admin command's output is its answer; the upstreams' start-up chatter would bury
    # it. Failures still show: they are warnings.
    logging.getLogger("authz_mcp.upstream").setLevel(logging.WARNING)
    async with create_http_client() as http:
        upstreams = build_upstreams(config, http)
        try:
            async with anyio.create_task_group() as group:
                for upstream in upstreams.values():
                    group.start_soon(upstream.start)
            prefixes = {name: options.name_prefix(name) for name, options in config.upstreams.items()}
            manager = CatalogManager(upstreams, prefixes, config.server.upstream_timeout_seconds)
            await manager.refresh_all()
        finally:
            with anyio.CancelScope(shield=True):
                for upstream in upstreams.values():
                    await upstream.aclose()
    catalog = manager.catalog
    return LiveCatalog(catalog, tuple(name for name in config.upstreams if name not in catalog.upstreams))
