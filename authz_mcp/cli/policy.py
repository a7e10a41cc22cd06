"""`policy check|explain|test|impact`: know what a policy does before and after shipping it.

Every command reads the gateway's config for the model, the policy and the
upstreams; `--policy FILE` judges another policy file (a candidate) instead.
`check` and `impact` start the upstreams to compare against their live catalogs.
"""

from __future__ import annotations

import argparse

from authz_mcp.policy.actions import ACTIONS


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = commands.add_parser("policy", help="check, explain, test and compare policies")
    actions = policy.add_subparsers(dest="policy_command", required=True)

    check = actions.add_parser("check", help="validate and lint the policy (starts the upstreams)")
    add_policy_options(check)
    check.add_argument("--offline", action="store_true", help="skip the checks against live catalogs")
    check.set_defaults(handler=_policy_command)

    why = actions.add_parser("explain", help="the decision on one object, with its rules and roles")
    add_policy_options(why)
    add_identity_options(why)
    why.add_argument("object", help="e.g. github/tools/create_issue")
    why.add_argument("action", choices=sorted(ACTIONS))
    why.set_defaults(handler=_policy_command)

    test = actions.add_parser("test", help="run a file of expectations; exit 1 if any fails")
    add_policy_options(test)
    test.add_argument("file", help="YAML file of expectations")
    test.set_defaults(handler=_policy_command)

    compare = actions.add_parser(
        "impact", help="what each user and group gains and loses (starts the upstreams)"
    )
    compare.add_argument("--config", required=True, help="YAML config file")
    compare.add_argument("old", help="the policy in force")
    compare.add_argument("new", help="the candidate policy")
    compare.set_defaults(handler=_policy_command)


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


def _policy_command(args: argparse.Namespace) -> int:
    # Imported when a policy command runs, not for every command: it brings the policy
    # analysis, the upstream transports and the MCP SDK.
    from authz_mcp.cli import policy_commands

    return policy_commands.run(args)
