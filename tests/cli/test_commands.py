"""The `authz-mcp` command line (DESIGN §5): exit 0 ok, 1 user error in one line, 2 usage."""

from __future__ import annotations

import socket
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from authz_mcp import __version__
from tests.cli.runner import (
    MODEL,
    demo_upstream,
    may_serve,
    one_error_line,
    run_cli,
    run_cli_process,
    run_entry_point,
    write_config,
)

COMMANDS = ["check", "serve"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """In this process, unless the command could start a server."""
    return run_cli_process(*args) if may_serve(args) else run_cli(*args)


def test_check_of_a_valid_config_exits_0_and_says_ok(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{config}: ok (1 upstreams)"


ENTRY_POINTS = {
    "python-m": [sys.executable, "-m", "authz_mcp"],
    "console-script": [str(Path(sysconfig.get_path("scripts")) / "authz-mcp")],
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS.values(), ids=list(ENTRY_POINTS))
def test_each_entry_point_exits_1_with_one_line_on_a_user_error_and_2_on_a_usage_error(
    tmp_path: Path, entry_point: list[str]
) -> None:
    missing = tmp_path / "absent.yaml"
    line = one_error_line(run_entry_point(entry_point, "check", "--config", str(missing)))
    assert str(missing) in line
    usage = run_entry_point(entry_point, "check")
    assert usage.returncode == 2
    assert "usage: authz-mcp" in usage.stderr


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
    result = run(*args)
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
    line = one_error_line(run(command, "--config", str(config)))
    assert place in line


def colliding_upstreams() -> dict[str, object]:
    return {"first": demo_upstream(prefix=""), "second": demo_upstream(prefix="")}


def test_serve_refuses_two_upstreams_exposing_the_same_name(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, alice, first/tools/*, call, allow\n", encoding="utf-8")
    config = write_config(tmp_path, policy=policy, upstreams=colliding_upstreams())
    result = run_cli_process("serve", "--config", str(config))
    assert result.returncode == 1
    assert " ready at " not in result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("authz-mcp: ")
    assert "'first'" in last
    assert "'second'" in last


def policy_naming(tmp_path: Path, *rules: str) -> Path:
    policy = tmp_path / "policy.csv"
    policy.write_text("".join(f"{rule}\n" for rule in rules), encoding="utf-8")
    return policy


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("p, role:viewer, dmeo/tools/echo, call, allow", "unknown upstream 'dmeo'"),
        ("p, role:viewer, demo/tool/x, call, allow", "never matches"),
    ],
    ids=["unknown-upstream", "action-never-fits"],
)
def test_check_finds_the_policy_errors_and_serve_refuses_to_start(
    tmp_path: Path, rule: str, reason: str
) -> None:
    policy = policy_naming(tmp_path, "g, bob, role:viewer", rule)
    config = write_config(tmp_path, policy=policy)

    checked = run_cli("check", "--config", str(config))
    served = run_cli_process("serve", "--config", str(config))

    assert checked.returncode == 1
    [finding] = checked.stdout.splitlines()
    assert finding.startswith(f"{policy}:2: error: ")
    assert reason in finding
    assert reason in one_error_line(served)
    assert f"{policy}:2" in one_error_line(served)


def test_check_lists_warnings_and_still_says_ok(tmp_path: Path) -> None:
    policy = policy_naming(tmp_path, "p, role: viewer, demo/tools/echo, call, allow")
    config = write_config(tmp_path, policy=policy)
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    warning, ok = result.stdout.splitlines()
    assert warning.startswith(f"{policy}:1: warning: subject 'role: viewer' can never match anyone")
    assert ok == f"{config}: ok (1 upstreams)"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_upstream_command_that_does_not_exist_is_named_in_one_line(tmp_path: Path, command: str) -> None:
    upstream = {"transport": "stdio", "command": "authz-mcp-surely-not-a-command", "args": ["stdio"]}
    config = write_config(tmp_path, upstreams={"demo": upstream})
    result = run(command, "--config", str(config))
    line = one_error_line(result)
    # `check` lists every problem on stdout; `serve` names the first in its one line.
    reported = result.stdout if command == "check" else line
    assert (
        f"{config}: upstreams.demo.command: 'authz-mcp-surely-not-a-command': not found on PATH" in reported
    )


@pytest.mark.parametrize("args", [("serve", "--config"), ("demo", "--port")])
def test_a_busy_port_is_one_line_before_anything_starts(tmp_path: Path, args: tuple[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = write_config(tmp_path, server={"host": "127.0.0.1", "port": port})
        value = str(config) if args[1] == "--config" else str(port)
        result = run_cli_process(*args, value)
    assert one_error_line(result) == f"authz-mcp: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "token:" not in result.stdout
