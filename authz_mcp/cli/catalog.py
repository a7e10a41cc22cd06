"""`catalog`: exactly what a user would discover, per upstream."""

from __future__ import annotations

import argparse
import asyncio
import sys

from authz_mcp.admin import discovered, identity_for
from authz_mcp.cli.live import KIND_LABELS, fetch_live_catalog
from authz_mcp.cli.policy import add_identity_options, add_policy_options, load_policy
from authz_mcp.config import load_config
from authz_mcp.proxy.catalog import Kind


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catalog = commands.add_parser(
        "catalog", help="list what a user would discover, per upstream (starts the upstreams)"
    )
    add_policy_options(catalog)
    add_identity_options(catalog)
    catalog.set_defaults(handler=_catalog_command)


def _catalog_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    engine = load_policy(config, args.policy)
    live = asyncio.run(fetch_live_catalog(config))
    visible = discovered(live.catalog, engine, identity_for(args.user, args.group))
    for upstream in config.upstreams:
        if upstream in live.unavailable:
            print(f"{upstream}: unavailable")
            continue
        print(upstream)
        rows = [(kind, entry) for kind in Kind for entry in visible[kind] if entry.upstream == upstream]
        for kind, entry in rows:
            print(f"  {KIND_LABELS[kind]:<9} {entry.exposed}")
        if not rows:
            print("  (nothing)")
    if live.unavailable:
        print(f"authz-mcp: upstreams unavailable: {', '.join(live.unavailable)}", file=sys.stderr)
        return 1
    return 0
