"""The `authz-mcp` command line run as it runs from the project root, bounded in time.

`run_cli` calls `authz_mcp.cli.main` in the test process: starting a fresh interpreter
costs more than a second of CPU in imports, once per invocation. `run_cli_process` runs
the real `python -m authz_mcp` for what a process is needed for: server commands, which
block until a signal, and the tests of the entry points themselves.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from authz_mcp.cli import main
from tests.support.gateway import free_port
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

RUN_TIMEOUT = 60.0
ROOT = Path(PROJECT_ROOT)
MODEL = ROOT / "policies" / "model.conf"
POLICY = ROOT / "policies" / "policy.csv"
SERVER_COMMANDS = frozenset({"serve", "demo"})
"""Commands that may run a server until a signal: a thread running one could not be stopped."""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`authz-mcp ARGS` in this process, as a subprocess would see it: cwd at the project
    root, an empty stdin, stdout and stderr captured, exit codes as the interpreter gives
    them. It runs on a thread of its own, which bounds it in time, keeps its `asyncio.run`
    off any loop the test runs, and keeps signal handlers (main thread only) untouched;
    the environment, the working directory and logging are restored afterwards."""
    if may_serve(args):
        raise ValueError(f"{args!r} may start a server: use run_cli_process")
    argv = ["authz-mcp", *args]
    stdout, stderr = io.StringIO(), io.StringIO()
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(_exit_code(args)), name="authz-mcp", daemon=True)
    with _as_a_process(stdout, stderr):
        worker.start()
        worker.join(RUN_TIMEOUT)
    if worker.is_alive():
        raise subprocess.TimeoutExpired(argv, RUN_TIMEOUT, stdout.getvalue(), stderr.getvalue())
    return subprocess.CompletedProcess(argv, codes[0], stdout.getvalue(), stderr.getvalue())


def may_serve(args: Sequence[str]) -> bool:
    """Whether ARGS name a server command (after the top-level options)."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        if rest.pop(0) == "--log-level" and rest:
            rest.pop(0)
    return bool(rest) and rest[0] in SERVER_COMMANDS


def _exit_code(args: Sequence[str]) -> int:
    """`main`'s exit code as the interpreter would make it; what it would print, printed."""
    try:
        return main(list(args))
    except SystemExit as exc:  # argparse: 2 for a usage error, 0 after --version
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:  # uncaught: the traceback on stderr and exit 1
        traceback.print_exc()
        return 1


@contextlib.contextmanager
def _as_a_process(stdout: io.StringIO, stderr: io.StringIO) -> Iterator[None]:
    environ = dict(os.environ)
    cwd = os.getcwd()
    stdin = sys.stdin
    os.chdir(PROJECT_ROOT)
    sys.stdin = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), _fresh_logging():
            yield
    finally:
        sys.stdin = stdin
        os.chdir(cwd)
        for name in os.environ.keys() - environ.keys():
            del os.environ[name]
        os.environ.update(environ)


@contextlib.contextmanager
def _fresh_logging() -> Iterator[None]:
    """Logging as a new interpreter has it, so that the CLI's `logging.basicConfig` takes
    effect and its lines reach the captured stderr (pytest's handlers on the root logger
    would make it do nothing); every logger's level and the root's handlers are put back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {logger.name: logger.level for logger in _loggers()}
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
            handler.close()
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for logger in _loggers():
            logger.setLevel(levels.get(logger.name, logging.NOTSET))


def _loggers() -> list[logging.Logger]:
    return [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]


def run_cli_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `python -m authz_mcp ARGS` in a subprocess from the project root."""
    return run_entry_point([sys.executable, "-m", "authz_mcp"], *args)


def run_entry_point(command: Sequence[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )


def demo_upstream(**options: Any) -> dict[str, Any]:
    command, args = demo_stdio_command()
    return {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT, **options}


def write_config(
    tmp_path: Path,
    *,
    model: Path = MODEL,
    policy: Path = POLICY,
    upstreams: dict[str, Any] | None = None,
    **sections: Any,
) -> Path:
    """A valid DESIGN §5 config on a free port; `sections` replace whole top-level sections."""
    config: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": free_port()},
        "auth": {
            "jwt": {
                "issuer": "https://idp.example.com/realms/acme",
                "jwks_url": "https://idp.example.com/realms/acme/certs",
            },
            "personal_tokens": False,
        },
        "policy": {"model": str(model), "file": str(policy)},
        "upstreams": upstreams if upstreams is not None else {"demo": demo_upstream()},
        "audit": {"path": str(tmp_path / "audit.jsonl"), "flush_seconds": 0},
        **sections,
    }
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single `authz-mcp: …` line a user error writes to stderr (exit code 1)."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("authz-mcp: ")
    return lines[0]
