"""The suite's warm process starts (tests/support/warm.py) behave as cold `python -m` starts."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.runner import run_cli_process
from tests.support import warm
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

INITIALIZE = (
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
    '"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n'
)


def test_a_user_error_gives_the_same_exit_code_and_line_as_a_cold_start(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    cold = run_cli_process("check", "--config", missing)
    process = warm.start(
        [sys.executable, "-m", "authz_mcp", "check", "--config", missing],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()

    assert process.wait(30) == cold.returncode == 1
    assert (out, err) == (cold.stdout, cold.stderr)


def test_a_signal_ends_the_process_with_that_signal() -> None:
    process = warm.start(
        [sys.executable, "-m", "authz_mcp.demo.server", "http", "--port", "0"], stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("READY ")

    process.send_signal(signal.SIGTERM)

    assert process.wait(30) == -signal.SIGTERM
    process.close_pipes()


def test_the_stdio_launcher_speaks_for_the_server_and_a_killed_launcher_takes_it_down() -> None:
    command, args = demo_stdio_command()
    launcher = subprocess.Popen(
        [command, *args], cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert launcher.stdin is not None
    assert launcher.stdout is not None
    launcher.stdin.write(INITIALIZE)
    launcher.stdin.flush()
    assert '"serverInfo"' in launcher.stdout.readline()

    launcher.kill()
    launcher.wait(30)

    # The server held the only other end of its stdout: end of file means it has gone too.
    readable, _, _ = select.select([launcher.stdout], [], [], 30)
    assert readable
    assert launcher.stdout.read() == ""
    launcher.stdin.close()
    launcher.stdout.close()
