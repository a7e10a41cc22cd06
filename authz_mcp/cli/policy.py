"""`policy check|explain|test|impact`: know what a policy does before and after shipping it.

Every command reads the gateway's config for the model, the policy and the
upstreams; `--policy FILE` judges another policy file (a candidate) instead.
`check` and `impact` start the upstreams to compare against their live catalogs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from authz_mcp.admin import (
    describe,
    identity_for,
    impact,
    known_identities,
    lint,
    parse_expectations,
    run_expectations,
)
from authz_mcp.admin.explanation import explanation_lines
from authz_mcp.cli.live import KIND_LABELS, fetch_live_catalog
from authz_mcp.config import Config, load_config
from authz_mcp.errors import ConfigError
from authz_mcp.policy import PolicyEngine, explain
from authz_mcp.policy.actions import ACTIONS


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = commands.add_parser("policy", help="check, explain, test and compare policies")
    actions = policy.add_subparsers(dest="policy_command", required=True)

    check = actions.add_parser("check", help="validate and lint the policy (starts the upstreams)")
    add_policy_options(check)
    check.add_argument("--offline", action="store_true", help="skip the checks against live catalogs")
    check.set_defaults(handler=_check_command)

    why = actions.add_parser("explain", help="the decision on one object, with its rules and roles")
    add_policy_options(why)
    add_identity_options(why)
    why.add_argument("object", help="e.g. github/tools/create_issue")
    why.add_argument("action", choices=sorted(ACTIONS))
    why.set_defaults(handler=_explain_command)

    test = actions.add_parser("test", help="run a file of expectations; exit 1 if any fails")
    add_policy_options(test)
    test.add_argument("file", help="YAML file of expectations")
    test.set_defaults(handler=_test_command)

    compare = actions.add_parser(
        "impact", help="what each user and group gains and loses (starts the upstreams)"
    )
    compare.add_argument("--config", required=True, help="YAML config file")
    compare.add_argument("old", help="the policy in force")
    compare.add_argument("new", help="the candidate policy")
    compare.set_defaults(handler=_impact_command)


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML config file")
    parser.add_argument(
        "--policy", metavar="FILE", help="judge this policy file instead of the configured one"
    )


def add_identity_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="the user id (the token's subject)")
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="GROUP",
        help="a group from the user's token (repeatable)",
    )


def load_policy(config: Config, policy: str | None = None) -> PolicyEngine:
    return PolicyEngine.load(config.policy.model, policy or config.policy.file)


def _check_command(args: argparse.Namespace) -> int:
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


def _explain_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    engine = load_policy(config, args.policy)
    identity = identity_for(args.user, args.group)
    answer = explain(engine, identity.subjects, args.object, args.action)
    print("\n".join(explanation_lines(identity, args.action, answer)))
    return 0


def _test_command(args: argparse.Namespace) -> int:
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


def _impact_command(args: argparse.Namespace) -> int:
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
