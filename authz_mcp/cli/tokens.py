"""`token create|list|revoke`: personal access tokens, managed by an admin on the store itself.

The commands open the store the config names, so they need one that outlives a process and
is shared with the gateway: `sqlite:///…` on the gateway's machine, or `redis://…`.
"""

from __future__ import annotations

import argparse
import re

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="create, list and revoke personal access tokens")
    actions = token.add_subparsers(dest="token_command", required=True)

    create = actions.add_parser("create", help="create a token and print it (shown only once)")
    create.add_argument("--config", required=True, help="YAML config file")
    create.add_argument("--user", required=True, help="the user id that owns the token")
    create.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        metavar="PATTERN",
        help="narrow the token to objects matching PATTERN (repeatable), e.g. demo/tools/*",
    )
    create.add_argument("--expires-in", type=duration, metavar="DURATION", help="e.g. 12h, 30d, 2w")
    create.add_argument("--name", default="", help="a label for the token")
    create.set_defaults(handler=_token_command)

    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--config", required=True, help="YAML config file")
    listing.add_argument("--user", help="only this user's tokens")
    listing.add_argument(
        "--json", action="store_true", help='one JSON document, {"tokens": [...]}, instead of a table'
    )
    listing.set_defaults(handler=_token_command)

    revoke = actions.add_parser("revoke", help="revoke a token: it stops working on the next request")
    revoke.add_argument("--config", required=True, help="YAML config file")
    revoke.add_argument("token", metavar="ID_OR_TOKEN", help="the token's id, or the token itself")
    revoke.set_defaults(handler=_token_command)


def duration(text: str) -> int:
    """`90m`, `12h`, `30d`, `2w` or `3600s` in seconds (an argparse type: bad input exits 2)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (examples: 90m, 12h, 30d, 2w)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _token_command(args: argparse.Namespace) -> int:
    # Imported when a token command runs, not for every command: it opens the token store.
    from authz_mcp.cli import token_commands

    return token_commands.run(args)
