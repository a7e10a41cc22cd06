"""Test processes forked from a warm interpreter instead of started cold.

Most of a gateway's or demo server's start is importing Python: about 1.2 s of CPU for
`authz-mcp serve` and 0.9 s for the demo server, repeated for every process a test starts.
Each test worker therefore keeps one helper process (`python -m tests.support.warm`) that
imports the gateway, the demo server and the test servers once. `start` sends it a command
line, a working directory, an environment and three file descriptors for stdin, stdout and
stderr; the helper forks, and the child becomes that process: it takes over the descriptors
and runs the module as `python -m` would, then exits with its exit code. What a test gets
back (`WarmProcess`) is driven like `subprocess.Popen`: a real process with its own pid,
stdio pipes, signals and exit status.

Only `python -m <module>` command lines of this repository's modules are started this way;
the console scripts and `python -m authz_mcp` itself are still started cold by the CLI tests.
If the worker ends, the helper kills what it started and exits; if a test drops its
`WarmProcess` connection, the helper kills that process.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import os
import runpy
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
PRELOAD = (
    "authz_mcp.cli",
    "authz_mcp.cli.serve",
    "authz_mcp.cli.server",
    "authz_mcp.runtime",
    "authz_mcp.observability.logs",
    "authz_mcp.store.redis",
    "authz_mcp.demo.server",
    "tests.support.vault_server",
)
"""Imported by the helper before it forks anything: what the processes tests start import."""

_START_TIMEOUT = 60.0
_MAX_MESSAGE = 1 << 20


# The helper's side: one per test worker.


def _serve(path: str) -> None:
    for module in PRELOAD:
        importlib.import_module(module)
    # No thread may run here: a fork copies only the forking thread, and a lock another held
    # would stay locked in the child.
    assert threading.active_count() == 1, threading.enumerate()
    # What is loaded now is shared by every child; their collections need not walk it.
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wakeup_read, selectors.EVENT_READ, "child")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    children: dict[int, socket.socket] = {}
    print("READY", flush=True)
    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                # The worker has gone: nothing started for it may outlive it.
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                os.unlink(path)
                os.rmdir(os.path.dirname(path))
                return
            if key.data == "accept":
                connection, _ = listener.accept()
                held: list[socket.socket | selectors.BaseSelector] = [listener, selector, *children.values()]
                forked = _fork(connection, held, (wakeup_read, wakeup_write))
                if forked is not None:
                    children[forked] = connection
                    selector.register(connection, selectors.EVENT_READ, forked)
            elif key.data == "child":
                with contextlib.suppress(BlockingIOError):
                    os.read(wakeup_read, 4096)
                _reap(children, selector)
            else:
                # The test closed its end: the process it no longer holds is killed.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(key.data, signal.SIGKILL)
                selector.unregister(key.fileobj)


def _reap(children: dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is None:
            continue
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(connection)
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        connection.close()


def _fork(
    connection: socket.socket, held: Iterable[socket.socket | selectors.BaseSelector], pipe: tuple[int, int]
) -> int | None:
    message, fds, _, _ = socket.recv_fds(connection, _MAX_MESSAGE, 3)
    while message and not message.endswith(b"\n"):  # a request is one line, perhaps in pieces
        piece = connection.recv(_MAX_MESSAGE)
        message = message + piece if piece else b""
    if len(fds) != 3 or not message:
        connection.close()
        for fd in fds:
            os.close(fd)
        return None
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for resource in (connection, *held):
            resource.close()
        for fd in pipe:
            os.close(fd)
        _become(request["argv"], request["cwd"], request["env"], fds)
    for fd in fds:
        os.close(fd)
    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    return pid


def _become(argv: list[str], cwd: str, env: dict[str, str], fds: list[int]) -> None:
    """In the forked child: be `python -m argv[1] argv[2:]`, then exit with its exit code."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True)
        sys.argv = list(argv[1:])
        # As in a new interpreter, the module runs as __main__ without a copy of it imported
        # beside; its imports are the helper's, already loaded.
        sys.modules.pop(argv[1], None)
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


# The test's side.


class WarmProcess:
    """A process the helper forked for a test, driven as `subprocess.Popen` is (text mode)."""

    def __init__(
        self, connection: socket.socket, reader: IO[str], pid: int, stdio: list[IO[str] | None]
    ) -> None:
        self._connection = connection
        self._reader = reader
        self.pid = pid
        self.stdin, self.stdout, self.stderr = stdio
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        self._read_exit(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._read_exit(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(["warm", str(self.pid)], timeout or 0.0)
        return self.returncode

    def _read_exit(self, timeout: float | None) -> None:
        """The helper writes one line when the process has exited; read it if it comes in time."""
        with self._lock:
            if self.returncode is not None:
                return
            readable, _, _ = select.select([self._connection], [], [], timeout)
            if not readable:
                return
            line = self._reader.readline()
            self.returncode = int(json.loads(line)["exit"]) if line else -signal.SIGKILL
            self._reader.close()
            self._connection.close()

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close_pipes(self) -> None:
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class _Helper:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._path = ""

    def socket_path(self) -> str:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._path = os.path.join(tempfile.mkdtemp(prefix="warm-"), "socket")
                process = subprocess.Popen(
                    [sys.executable, "-m", "tests.support.warm", self._path],
                    cwd=PROJECT_ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                assert process.stdout is not None
                ready = process.stdout.readline()
                if ready.strip() != "READY":
                    process.kill()
                    raise RuntimeError("the warm process helper did not start")
                self._process = process
            return self._path


_helper = _Helper()


LAUNCHER = str(Path(__file__).with_name("warm_launch.py"))


def stdio_command(module: str, *args: str) -> tuple[str, list[str]]:
    """Command and arguments that run `python -m module args` for whoever starts them (a
    gateway's stdio upstream, the SDK's stdio client), through tests/support/warm_launch.py."""
    return sys.executable, ["-I", "-S", LAUNCHER, _helper.socket_path(), "-m", module, *args]


def python_m_args(args: Sequence[str]) -> list[str]:
    """`["-m", module, *rest]` from the arguments of a plain or a warm `python -m` command."""
    return list(args[list(args).index("-m") :] if "-m" in args else args)


def start(
    argv: list[str],
    *,
    cwd: str = PROJECT_ROOT,
    env: Mapping[str, str] | None = None,
    stdin: int | None = None,
    stdout: int | None = None,
    stderr: int | None = None,
) -> WarmProcess:
    """`subprocess.Popen(argv, cwd=..., env=..., stdin/stdout/stderr=..., text=True)` for an
    `argv` of the form `[python, "-m", module, ...]`, forked from the warm helper. Each stream
    is `subprocess.PIPE`, `subprocess.DEVNULL` or None (inherited from the test)."""
    if len(argv) < 3 or argv[1] != "-m":
        raise ValueError(f"only python -m command lines start warm: {argv!r}")
    ends: list[IO[str] | None] = []
    theirs: list[int] = []
    mine: list[int] = []
    for number, (choice, mode) in enumerate(((stdin, "w"), (stdout, "r"), (stderr, "r"))):
        if choice == subprocess.PIPE:
            read, write = os.pipe()
            child, parent = (read, write) if mode == "w" else (write, read)
            theirs.append(child)
            mine.append(child)
            ends.append(open(parent, mode, encoding="utf-8", buffering=1 if mode == "w" else -1))  # noqa: SIM115
        elif choice == subprocess.DEVNULL:
            devnull = os.open(os.devnull, os.O_RDWR)
            theirs.append(devnull)
            mine.append(devnull)
            ends.append(None)
        else:
            theirs.append(number)
            ends.append(None)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(_START_TIMEOUT)
        connection.connect(_helper.socket_path())
        request = {"argv": argv[1:], "cwd": cwd, "env": dict(os.environ if env is None else env)}
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], theirs)
        reader = connection.makefile("r", encoding="utf-8")
        pid = int(json.loads(reader.readline())["pid"])
        connection.settimeout(None)
    except BaseException:
        connection.close()
        for end in ends:
            if end is not None:
                end.close()
        raise
    finally:
        for fd in mine:
            os.close(fd)
    return WarmProcess(connection, reader, pid, ends)


if __name__ == "__main__":
    _serve(sys.argv[1])
