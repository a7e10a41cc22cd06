"""`token create|list|revoke`, once parsed (`cli/tokens.py` declares the arguments)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable

from authz_mcp.admin.lint import upstream_problem
from authz_mcp.config import Config, load_config
from authz_mcp.errors import ConfigError, GatewayError, StoreUnavailable
from authz_mcp.tokens import TokenRecord, TokenService, iso_time, open_token_store
from authz_mcp.tokens.secret import is_well_formed

_COLUMNS = ("ID", "OWNER", "NAME", "STATUS", "EXPIRES", "LAST USED", "SCOPES")


Command = Callable[[argparse.Namespace, Config, TokenService], Awaitable[int]]


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config.store.url.startswith("memory:"):
        raise ConfigError(
            f"{args.config}: store.url is memory://, which lives inside the gateway process; "
            "token commands need sqlite:///path or redis://"
        )
    return asyncio.run(_with_service(_COMMANDS[args.token_command], args, config))


async def _with_service(command: Command, args: argparse.Namespace, config: Config) -> int:
    # The store's own warnings would add lines to the one-line error of a failed command.
    for name in ("authz_mcp.tokens", "authz_mcp.store"):
        logging.getLogger(name).setLevel(logging.ERROR)
    store = open_token_store(config.store)
    try:
        return await command(args, config, TokenService(store, config.auth.pat))
    except StoreUnavailable as exc:
        # Only the scheme: a Redis URL may hold a password.
        scheme = config.store.url.split(":", 1)[0]
        raise ConfigError(f"{args.config}: the token store ({scheme}) is unavailable") from exc
    except GatewayError as exc:
        # The CLI's one line on stderr, exit 1 (main renders ConfigError so).
        raise ConfigError(exc.message) from exc
    finally:
        with contextlib.suppress(GatewayError):
            await store.aclose()


async def _create(args: argparse.Namespace, config: Config, tokens: TokenService) -> int:
    if not config.auth.personal_tokens:
        raise ConfigError(f"{args.config}: auth.personal_tokens is false; the gateway would refuse the token")
    for scope in args.scopes or ():
        problem = upstream_problem(scope, list(config.upstreams))
        if problem is not None:
            # A scope naming no upstream narrows the token to nothing: surely a typo.
            raise ConfigError(f"--scope {scope!r}: {problem}")
    issued = await tokens.create(
        owner=args.user,
        created_by="cli",
        name=args.name,
        scopes=args.scopes,
        lifetime_seconds=args.expires_in,
    )
    print(issued.token)
    record = issued.record
    print(
        f"token {record.token_id} for {record.owner}, expires {iso_time(record.expires_at)}; "
        "it is shown only this once",
        file=sys.stderr,
    )
    return 0


async def _list(args: argparse.Namespace, config: Config, tokens: TokenService) -> int:
    records = await tokens.list_tokens(args.user)
    now = time.time()
    if args.json:
        # The shape of `GET /api/tokens`, so scripts read both the same way.
        print(json.dumps({"tokens": [record.public(now) for record in records]}, indent=2))
        return 0
    rows = [_COLUMNS, *(_as_row(record, now) for record in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


async def _revoke(args: argparse.Namespace, config: Config, tokens: TokenService) -> int:
    token_id = args.token
    if is_well_formed(args.token):
        token_id = (await tokens.find_by_token(args.token)).token_id
    record = await tokens.revoke(token_id, None)
    print(f"revoked {record.token_id} ({record.owner})")
    return 0


def _as_row(record: TokenRecord, now: float) -> tuple[str, ...]:
    scopes = " ".join(record.scopes) if record.scopes is not None else "(all of the owner's)"
    return (
        record.token_id,
        record.owner,
        record.name or "-",
        record.status(now),
        iso_time(record.expires_at) or "-",
        iso_time(record.last_used_at) or "never",
        scopes,
    )


_COMMANDS: dict[str, Command] = {"create": _create, "list": _list, "revoke": _revoke}
