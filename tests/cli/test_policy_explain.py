"""`authz-mcp policy explain`: the decision, the deciding rule, every matching rule, the roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.examples import EXAMPLE_POLICY, example_line
from tests.cli.runner import run_cli, write_config


def _rule(prefix: str) -> str:
    return f"{EXAMPLE_POLICY}:{example_line(prefix)}: {prefix}"


def test_a_contractor_in_engineering_is_denied_by_the_deny_lists_and_sees_why(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli(
        "policy", "explain", "--config", str(config), "--user", "frank",
        "--group", "contractors", "--group", "group:engineering",
        "demo/tools/delete_record", "call",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    developer = "frank -> group:engineering -> role:developer"
    contractor = "frank -> group:contractors -> role:contractor"
    assert result.stdout.splitlines() == [
        "frank (groups: contractors, engineering) call demo/tools/delete_record: deny",
        f"  decided by: {_rule('p, role:developer, demo/tools/delete_record, call, deny')}",
        "  matching rules:",
        f"    {_rule('p, role:developer, demo/tools/*, call, allow')}  (via {developer})",
        f"    {_rule('p, role:developer, demo/tools/delete_record, call, deny')}  (via {developer})",
        f"    {_rule('p, role:contractor, demo/tools/delete_record, call, deny')}  (via {contractor})",
        "  roles held:",
        "    frank -> group:contractors",
        "    frank -> group:engineering",
        f"    {contractor}",
        f"    {developer}",
    ]


def test_an_admin_is_allowed_by_a_wildcard_and_a_stranger_by_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    alice = run_cli("policy", "explain", "--config", str(config), "--user", "alice", "demo/prompts/x", "get")
    assert alice.stdout.splitlines()[:2] == [
        "alice get demo/prompts/x: allow",
        f"  decided by: {_rule('p, role:admin, demo/prompts/*, get, allow')}",
    ]
    stranger = run_cli(
        "policy", "explain", "--config", str(config), "--user", "mallory", "demo/tools/echo", "call"
    )
    assert stranger.stdout.splitlines() == [
        "mallory call demo/tools/echo: deny",
        "  decided by: no matching rule",
        "  matching rules: none",
        "  roles held: none",
    ]


@pytest.mark.parametrize(
    "args",
    [("--user", "alice", "demo/tools/echo", "invoke"), ("demo/tools/echo", "call"), ("--user", "alice")],
    ids=["unknown-action", "no-user", "no-object"],
)
def test_explain_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("policy", "explain", "--config", str(config), *args)
    assert result.returncode == 2
    assert "usage: authz-mcp policy explain" in result.stderr
