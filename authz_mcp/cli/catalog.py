"""`catalog`: exactly what a user would discover, per upstream."""

from __future__ import annotations

import argparse

from authz_mcp.cli.policy import add_identity_options, add_policy_options


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catalog = commands.add_parser(
        "catalog", help="list what a user would discover, per upstream (starts the upstreams)"
    )
    add_policy_options(catalog)
    add_identity_options(catalog)
    catalog.set_defaults(handler=_catalog_command)


def _catalog_command(args: argparse.Namespace) -> int:
    # Imported when the command runs, as for `policy`: it starts the upstreams.
    from authz_mcp.cli import policy_commands

    return policy_commands.catalog_command(args)
