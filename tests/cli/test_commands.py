"""The `authz-mcp` command line (DESIGN §5): exit 0 ok, 1 user error in one line, 2 usage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from authz_mcp import __version__
from tests.cli.runner import MODEL, demo_upstream, one_error_line, run_cli, write_config

COMMANDS = ["check", "serve"]


def test_check_of_a_valid_config_exits_0_and_says_ok(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{config}: ok (1 upstreams)"


def test_version_prints_the_package_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"authz-mcp {__version__}"


@pytest.mark.parametrize(
    "args",
    [(), ("frobnicate",), ("check",), ("serve",), ("check", "--config"), ("--log-level", "loud", "check")],
    ids=[
        "no-args",
        "unknown-command",
        "check-without-config",
        "serve-without-config",
        "config-without-value",
        "bad-log-level",
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "usage: authz-mcp" in result.stderr
    assert "Traceback" not in result.stderr


def broken_policy(tmp_path: Path) -> tuple[Path, str]:
    policy = tmp_path / "policy.csv"
    policy.write_text(
        "# broken on purpose\n"
        "p, role:viewer, demo/tools/echo, call, allow\n"
        "p, bob, demo/tools/add, call, permit\n",
        encoding="utf-8",
    )
    return write_config(tmp_path, policy=policy), f"{policy}:3"


def broken_model(tmp_path: Path) -> tuple[Path, str]:
    lines = MODEL.read_text(encoding="utf-8").splitlines()
    number = lines.index("[matchers]") + 1
    lines[number - 1] = "[matcher]"
    model = tmp_path / "model.conf"
    model.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return write_config(tmp_path, model=model), f"{model}:{number}"


def missing_config(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "absent.yaml"
    return path, str(path)


def unknown_key(tmp_path: Path) -> tuple[Path, str]:
    return write_config(tmp_path, store={"url": "memory://", "bogus": 1}), "store.bogus"


def missing_policy_file(tmp_path: Path) -> tuple[Path, str]:
    policy = tmp_path / "nowhere.csv"
    return write_config(tmp_path, policy=policy), str(policy)


def invalid_yaml(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "gateway.yaml"
    path.write_text("server:\n  host: 127.0.0.1\n port: 1\n", encoding="utf-8")
    return path, f"{path}:3"


def unset_variable(tmp_path: Path) -> tuple[Path, str]:
    upstream = demo_upstream(env={"TOKEN": "${AUTHZ_MCP_TEST_SURELY_UNSET}"})
    return write_config(tmp_path, upstreams={"demo": upstream}), "AUTHZ_MCP_TEST_SURELY_UNSET"


Broken = Callable[[Path], tuple[Path, str]]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "broken",
    [
        missing_config,
        unknown_key,
        broken_policy,
        broken_model,
        missing_policy_file,
        invalid_yaml,
        unset_variable,
    ],
)
def test_user_error_exits_1_with_one_line_naming_the_place(
    tmp_path: Path, command: str, broken: Broken
) -> None:
    config, place = broken(tmp_path)
    line = one_error_line(run_cli(command, "--config", str(config)))
    assert place in line


def colliding_upstreams() -> dict[str, object]:
    return {"first": demo_upstream(prefix=""), "second": demo_upstream(prefix="")}


def test_serve_refuses_two_upstreams_exposing_the_same_name(tmp_path: Path) -> None:
    result = run_cli("serve", "--config", str(write_config(tmp_path, upstreams=colliding_upstreams())))
    assert result.returncode == 1
    assert " ready at " not in result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("authz-mcp: ")
    assert "'first'" in last
    assert "'second'" in last
