"""`authz-mcp policy impact OLD NEW`: per user and group, what they gain and lose, live."""

from __future__ import annotations

from pathlib import Path

from tests.cli.examples import EXAMPLE_POLICY, edited_example
from tests.cli.runner import one_error_line, run_cli, write_config


def test_moving_bob_from_analyst_to_developer_lists_exactly_his_gains_and_losses(tmp_path: Path) -> None:
    candidate = edited_example(tmp_path, replace=("g, bob, role:analyst", "g, bob, role:developer"))
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("policy", "impact", "--config", str(config), str(EXAMPLE_POLICY), str(candidate))
    assert result.returncode == 0, result.stderr
    gained_tools = [
        *("echo", "add", "slow_task", "ask_model", "confirm_action"),
        *("list_client_roots", "touch_resource", "add_dynamic_tool"),
    ]
    assert result.stdout.splitlines() == [
        "bob",
        *(f"  + tool      demo__{tool}" for tool in gained_tools),
        "  + prompt    demo__incident_report",
        "  - template  demo://users/{user_id}/profile",
        "1 of 5 users and groups gain or lose something",
    ]


def test_an_unchanged_policy_changes_nothing_for_anyone(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("policy", "impact", "--config", str(config), str(EXAMPLE_POLICY), str(EXAMPLE_POLICY))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["0 of 5 users and groups gain or lose something"]


def test_an_invalid_candidate_exits_1_naming_file_and_line(tmp_path: Path) -> None:
    candidate = edited_example(tmp_path, add="g, bob\n")
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    line = one_error_line(
        run_cli("policy", "impact", "--config", str(config), str(EXAMPLE_POLICY), str(candidate))
    )
    assert line.startswith(f"authz-mcp: {candidate}:")
