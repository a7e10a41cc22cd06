"""`authz-mcp policy test`: admin-written expectations, run like a test suite."""

from __future__ import annotations

from pathlib import Path

from tests.cli.examples import EXAMPLE_POLICY, EXAMPLE_TESTS, edited_example, example_line
from tests.cli.runner import one_error_line, run_cli, write_config


def test_the_example_expectations_pass_against_the_example_policy(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("policy", "test", "--config", str(config), str(EXAMPLE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "23 passed, 0 failed"
    assert (
        lines[0]
        == f"ok    {EXAMPLE_TESTS}:{_line_of('alice can call demo/tools/*')}  alice can call demo/tools/*"
    )
    assert all(line.startswith("ok    ") for line in lines[:-1])


def test_a_candidate_policy_that_breaks_an_expectation_fails_with_the_rule_to_blame(tmp_path: Path) -> None:
    """Widening contractors from a short list to every tool is caught before it ships."""
    candidate = edited_example(
        tmp_path,
        replace=(
            "p, role:contractor, demo/tools/delete_record, call, deny\n",
            "p, role:contractor, demo/tools/*, call, allow\n",
        ),
    )
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli(
        "policy", "test", "--config", str(config), "--policy", str(candidate), str(EXAMPLE_TESTS)
    )
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    widened = example_line("p, role:contractor, demo/tools/delete_record, call, deny")
    assert failures == [
        f"FAIL  {EXAMPLE_TESTS}:{_line_of('erin cannot call demo/tools/add')}  "
        "erin (groups: contractors) cannot call demo/tools/add: "
        f"{candidate}:{widened}: p, role:contractor, demo/tools/*, call, allow",
    ]
    assert result.stdout.splitlines()[-1] == "22 passed, 1 failed"
    assert one_error_line(result) == "authz-mcp: policy test: 1 of 23 expectations failed"


def test_a_malformed_expectation_exits_1_naming_file_and_line(tmp_path: Path) -> None:
    tests = tmp_path / "tests.yaml"
    tests.write_text("expect:\n  - alice can call demo/tools/echo\n  - alice should call demo/tools/echo\n")
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    line = one_error_line(run_cli("policy", "test", "--config", str(config), str(tests)))
    assert line.startswith(f"authz-mcp: {tests}:3: ")


def test_a_missing_test_file_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    line = one_error_line(run_cli("policy", "test", "--config", str(config), str(tmp_path / "none.yaml")))
    assert line.startswith(f"authz-mcp: {tmp_path / 'none.yaml'}: cannot read")


def _line_of(expectation: str) -> int:
    lines = EXAMPLE_TESTS.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if line.strip() == f"- {expectation}")
