"""The gateway run as a real `authz-mcp serve` process, for end-to-end tests (forked from a
warm interpreter, tests/support/warm.py).

    with running_gateway(config_dict, tmp_path) as gw:
        gw.url          # http://127.0.0.1:<port>/mcp
        gw.audit()      # the audit lines written so far, parsed

Readiness is the gateway's own "ready at" log line, awaited with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support import warm
from tests.support.upstreams import DEMO_MODULE, PROJECT_ROOT
from tests.support.warm import WarmProcess

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class GatewayProcess:
    process: WarmProcess
    base_url: str
    audit_path: Path
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.base_url}/mcp"

    def audit(self) -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        lines = self.audit_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(STOP_TIMEOUT)


def gateway_config(
    tmp_path: Path, *, port: int, issuer_url: str, upstreams: dict[str, Any], **sections: Any
) -> dict[str, Any]:
    """A config dict in the DESIGN §5 shape with the test issuer and the repo's policy."""
    root = Path(PROJECT_ROOT)
    config: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": port},
        "auth": {
            "authorization_servers": [issuer_url],
            "jwt": {"issuer": issuer_url, "jwks_url": f"{issuer_url}/jwks.json", "algorithms": ["RS256"]},
            "personal_tokens": False,
        },
        "policy": {"model": str(root / "policies/model.conf"), "file": str(root / "policies/policy.csv")},
        "upstreams": upstreams,
        # Tests read the audit file while the gateway runs: every line is written at once.
        "audit": {"path": str(tmp_path / f"audit-{port}.jsonl"), "flush_seconds": 0},
    }
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


@contextlib.contextmanager
def running_gateway(
    config: dict[str, Any], tmp_path: Path, *args: str, start_timeout: float = START_TIMEOUT
) -> Iterator[GatewayProcess]:
    """`authz-mcp serve` on `config`, with extra command-line `args`; stopped with SIGTERM.
    `start_timeout` bounds the wait for readiness (upstreams included)."""
    port = config["server"]["port"]
    path = tmp_path / f"gateway-{port}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    process = warm.start(
        [sys.executable, "-m", "authz_mcp", "serve", "--config", str(path), *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    gateway = GatewayProcess(process, f"http://127.0.0.1:{port}", Path(config["audit"]["path"]))
    ready = threading.Event()

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            gateway.log.append(line.rstrip("\n"))
            if " ready at " in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not ready.wait(start_timeout) or process.poll() is not None:
            raise RuntimeError("gateway did not start:\n" + "\n".join(gateway.log[-30:]))
        yield gateway
    finally:
        gateway.stop()
        reader.join(STOP_TIMEOUT)


@dataclass
class DemoProcess:
    """An upstream server (the demo server by default) over Streamable HTTP; its stderr is kept
    (the demo logs a cancelled tool run there, which is how a test sees a cancellation reach
    the upstream)."""

    url: str
    process: WarmProcess
    stderr: list[str] = field(default_factory=list)


@contextlib.contextmanager
def running_demo_http(*extra_args: str) -> Iterator[DemoProcess]:
    """The demo server over Streamable HTTP as a process, ready once it printed its URL."""
    with running_server_http(DEMO_MODULE, *extra_args) as demo:
        yield demo


@contextlib.contextmanager
def running_server_http(module: str, *extra_args: str) -> Iterator[DemoProcess]:
    """A server ``module`` that prints a READY line (the demo server, or a test server such as
    ``tests.support.vault_server``) over Streamable HTTP, ready once it printed its URL."""
    command = [sys.executable, "-m", module, "http", "--host", "127.0.0.1", "--port", "0", *extra_args]
    process = warm.start(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    demo = DemoProcess("", process)
    ready = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.startswith("READY "):
            demo.url = line.split(" ", 1)[1].strip()
        ready.set()
        for _ in process.stdout:
            pass

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            demo.stderr.append(line.rstrip("\n"))

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        if not ready.wait(START_TIMEOUT) or not demo.url:
            raise RuntimeError(f"{module} did not start:\n" + "\n".join(demo.stderr[-30:]))
        yield demo
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


class HttpServers:
    """Servers over Streamable HTTP shared by a module's tests, one process per server module
    and arguments, started when a test first needs it. For tests that each connect afresh and
    change no state the server keeps."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._urls: dict[tuple[str, ...], str] = {}

    def url(self, module: str, *extra_args: str) -> str:
        key = (module, *extra_args)
        if key not in self._urls:
            self._urls[key] = self._stack.enter_context(running_server_http(module, *extra_args)).url
        return self._urls[key]


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc (Linux)."""
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields resume after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition in another process, bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)
