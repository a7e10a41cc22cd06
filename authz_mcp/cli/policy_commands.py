"""`policy check|explain|test|impact` and `catalog`, once parsed (`cli/policy.py` and
`cli/catalog.py` declare the arguments)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from authz_mcp.admin.expectations import parse_expectations, run_expectations
from authz_mcp.admin.explanation import explanation_lines
from authz_mcp.admin.identities import describe, identity_for, known_identities
from authz_mcp.admin.lint import lint
from authz_mcp.cli.live import KIND_LABELS, fetch_live_catalog
from authz_mcp.config import Config, load_config
from authz_mcp.errors import ConfigError
from authz_mcp.policy import PolicyEngine, explain
from authz_mcp.proxy.catalog import Kind


def run(args: argparse.Namespace) -> int:
    return _COMMANDS[args.policy_command](args)


def load_policy(config: Config, policy: str | None = None) -> PolicyEngine:
    return PolicyEngine.load(config.policy.model, policy or config.policy.file)


def check_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    engine = load_policy(config, args.policy)
    source = args.policy or config.policy.file
    upstreams = list(config.upstreams)
    live = None if args.offline else asyncio.run(fetch_live_catalog(config))
    findings = lint(engine, upstreams, live.catalog if live is not None else None)
    for finding in findings:
        print(finding)
    if live is not None:
        for name in live.unavailable:
            print(f"{args.config}: warning: upstream {name!r} is unavailable; its catalog was not checked")
    errors = sum(finding.severity == "error" for finding in findings)
    warnings = len(findings) - errors + (len(live.unavailable) if live is not None else 0)
    checked = "not checked against live catalogs" if live is None else "checked against the live catalogs"
    totals = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    print(f"{source}: {totals} ({len(engine.rules)} rules; {checked})")
    if errors:
        print(f"authz-mcp: policy check: {_count(errors, 'error')} in {source}", file=sys.stderr)
        return 1
    return 0


def explain_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    engine = load_policy(config, args.policy)
    identity = identity_for(args.user, args.group)
    answer = explain(engine, identity.subjects, args.object, args.action)
    print("\n".join(explanation_lines(identity, args.action, answer)))
    return 0


def test_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    engine = load_policy(config, args.policy)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{args.file}: cannot read ({exc.strerror or exc})") from exc
    outcomes = run_expectations(engine, parse_expectations(args.file, text))
    for outcome in outcomes:
        where = f"{outcome.expectation.source}:{outcome.expectation.line}"
        if outcome.passed:
            print(f"ok    {where}  {outcome.expectation}")
        else:
            print(f"FAIL  {where}  {outcome.expectation}: {outcome.detail}")
    failed = sum(not outcome.passed for outcome in outcomes)
    print(f"{len(outcomes) - failed} passed, {failed} failed")
    if failed:
        print(f"authz-mcp: policy test: {failed} of {len(outcomes)} expectations failed", file=sys.stderr)
        return 1
    return 0


def impact_command(args: argparse.Namespace) -> int:
    # The permitted views (proxy/view.py) bring the protocol types: imported only by the two
    # commands that compute views, not by `explain`, `test` or `check`.
    from authz_mcp.admin.impact import impact

    config = load_config(args.config)
    old, new = load_policy(config, args.old), load_policy(config, args.new)
    live = asyncio.run(fetch_live_catalog(config))
    identities = known_identities((old, new))
    changes = [change for change in impact(old, new, live.catalog, identities) if change.changed]
    for change in changes:
        print(describe(change.identity))
        for sign, items in (("+", change.gained), ("-", change.lost)):
            for kind, entry in items:
                print(f"  {sign} {KIND_LABELS[kind]:<9} {entry.exposed}")
    print(f"{len(changes)} of {len(identities)} users and groups gain or lose something")
    for name in live.unavailable:
        print(f"authz-mcp: upstream {name!r} is unavailable; its items were not compared", file=sys.stderr)
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def catalog_command(args: argparse.Namespace) -> int:
    from authz_mcp.admin.impact import discovered  # as in impact_command

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


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": check_command,
    "explain": explain_command,
    "test": test_command,
    "impact": impact_command,
}
