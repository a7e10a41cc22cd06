"""The processes a benchmark run talks to, each started on 127.0.0.1 and stopped on exit.

The demo upstream and the gateway run as real processes whose output goes to files rather than
pipes: nothing in the benchmark process has to drain them while it measures, and a gateway
that fails to start leaves its stderr behind to report. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import yaml

from authz_mcp.auth.devissuer import DevIssuer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.02

BENCH_USER = "bench"
UPSTREAM_NAME = "web"


class StartError(RuntimeError):
    """A service did not come up; the message carries what it printed."""


@dataclass(frozen=True)
class Gateway:
    url: str
    """The gateway's MCP endpoint."""
    audience: str
    """What its tokens must carry: the MCP endpoint under `server.public_url`."""
    stderr_path: Path
    audit_path: Path
    policy_path: Path
    process: subprocess.Popen[bytes]

    @property
    def readyz_url(self) -> str:
        return self.url.removesuffix("/mcp") + "/readyz"


@dataclass(frozen=True)
class GatewayOptions:
    """What a scenario may vary in the generated config; the defaults give the overhead set-up."""

    name: str = "gateway"
    """Prefix of its files in the work directory."""
    policy: str = f"p, {BENCH_USER}, {UPSTREAM_NAME}/tools/*, call, allow\n"
    store_url: str = "memory://"
    key_prefix: str = "authz-mcp:"
    secret_key: str | None = None
    public_url: str | None = None
    """Shared by replicas; by default the gateway's own address."""
    upstream_protocol: str = "auto"
    """The era the gateway speaks to the upstream: auto (detected), legacy or modern."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class Upstream:
    url: str
    """The demo server's /mcp endpoint."""
    pid: int


@contextlib.contextmanager
def demo_upstream(workdir: Path, extra_tools: int, *, name: str = "upstream") -> Iterator[str]:
    """The demo server over Streamable HTTP; yields its /mcp URL."""
    with demo_upstream_process(workdir, extra_tools, name=name) as upstream:
        yield upstream.url


@contextlib.contextmanager
def demo_upstream_process(workdir: Path, extra_tools: int, *, name: str = "upstream") -> Iterator[Upstream]:
    """The demo server over Streamable HTTP, with its process id (for its CPU time)."""
    stdout_path = workdir / f"{name}.out"
    stderr_path = workdir / f"{name}.err"
    module_args = ["authz_mcp.demo.server", "http", "--host", "127.0.0.1", "--port", "0"]
    command = [sys.executable, "-m", *module_args, "--extra-tools", str(extra_tools)]
    with run_process(command, stdout_path, stderr_path) as process:
        found: list[str] = []

        def ready() -> bool:
            text = stdout_path.read_text(encoding="utf-8") if stdout_path.exists() else ""
            found.extend(
                line.split(" ", 1)[1].strip() for line in text.splitlines() if line.startswith("READY ")
            )
            return bool(found)

        wait_for(ready, process, "demo upstream", stderr_path)
        yield Upstream(found[0], process.pid)


@contextlib.contextmanager
def dev_issuer() -> Iterator[DevIssuer]:
    """A DevIssuer serving its JWKS from a uvicorn thread; the socket is bound before it starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    issuer = DevIssuer.generate(f"http://127.0.0.1:{sock.getsockname()[1]}")
    server = issuer.server("127.0.0.1", sock.getsockname()[1])
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            thread.join(_POLL_INTERVAL)
            if not thread.is_alive() or time.monotonic() > deadline:
                raise StartError("dev issuer did not start")
        yield issuer
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT)
        sock.close()


def gateway_config(
    workdir: Path, *, port: int, issuer_url: str, upstream_url: str, options: GatewayOptions
) -> dict[str, Any]:
    policy = workdir / f"{options.name}-policy.csv"
    if not policy.exists():
        policy.write_text(options.policy, encoding="utf-8")
    server: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "public_url": options.public_url or f"http://127.0.0.1:{port}",
    }
    if options.secret_key is not None:
        server["secret_key"] = options.secret_key
    return {
        "server": server,
        "auth": {
            "authorization_servers": [issuer_url],
            "jwt": {"issuer": issuer_url, "jwks_url": f"{issuer_url}/jwks.json", "algorithms": ["RS256"]},
            "personal_tokens": False,
        },
        "store": {"url": options.store_url, "key_prefix": options.key_prefix},
        "policy": {"model": str(PROJECT_ROOT / "policies/model.conf"), "file": str(policy)},
        "audit": {"path": str(workdir / f"{options.name}-audit.jsonl")},
        "upstreams": {
            UPSTREAM_NAME: {
                "transport": "streamable-http",
                "url": upstream_url,
                "protocol": options.upstream_protocol,
            }
        },
    }


@contextlib.contextmanager
def gateway(
    workdir: Path, *, issuer_url: str, upstream_url: str, options: GatewayOptions | None = None
) -> Iterator[Gateway]:
    """`authz-mcp serve` in front of `upstream_url`, ready once it logs its 'ready at' line."""
    options = options or GatewayOptions()
    port = free_port()
    config = gateway_config(
        workdir, port=port, issuer_url=issuer_url, upstream_url=upstream_url, options=options
    )
    config_path = workdir / f"{options.name}.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    stderr_path = workdir / f"{options.name}.err"
    command = [sys.executable, "-m", "authz_mcp", "serve", "--config", str(config_path)]
    with run_process(command, workdir / f"{options.name}.out", stderr_path) as process:

        def ready() -> bool:
            return stderr_path.exists() and " ready at " in stderr_path.read_text(encoding="utf-8")

        wait_for(ready, process, options.name, stderr_path)
        yield Gateway(
            url=f"http://127.0.0.1:{port}/mcp",
            audience=f"{config['server']['public_url']}/mcp",
            stderr_path=stderr_path,
            audit_path=Path(config["audit"]["path"]),
            policy_path=Path(config["policy"]["file"]),
            process=process,
        )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc (Linux only)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # Fields after the parenthesised command name, which may itself hold spaces.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_bytes(pid: int) -> int:
    """VmRSS of a process, from /proc (Linux only)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise StartError(f"no VmRSS for process {pid}")


@contextlib.contextmanager
def redis_keys(url: str, prefix: str) -> Iterator[None]:
    """Delete every key under `prefix` on exit, whatever the scenario left behind."""
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StartError(f"redis at {url} is not reachable: {exc}") from exc
    try:
        yield
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()


@contextlib.contextmanager
def run_process(
    command: list[str], stdout_path: Path, stderr_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


def wait_for(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, stderr_path: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None:
            raise StartError(f"{what} exited with {process.returncode}:\n{tail(stderr_path)}")
        if time.monotonic() > deadline:
            raise StartError(f"{what} not ready after {START_TIMEOUT:.0f} s:\n{tail(stderr_path)}")
        time.sleep(_POLL_INTERVAL)
