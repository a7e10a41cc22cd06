"""The FastMCP proxy peer: its own virtual environment (made once, from the package index the
machine's pip is set up for) and its process, started like the gateway."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import services
from bench.scenarios.base import progress

FASTMCP_REQUIREMENT = "fastmcp>=4.1,<4.2"
VENV = services.PROJECT_ROOT / "bench" / "peers" / ".venv-fastmcp"
SCRIPT = Path(__file__).with_name("fastmcp_proxy.py")
INSTALL_TIMEOUT = 600.0


@dataclass(frozen=True)
class Peer:
    url: str
    audience: str
    process: subprocess.Popen[bytes]
    version: str


def python() -> Path:
    """The peer environment's interpreter, made (and FastMCP installed) on first use."""
    interpreter = VENV / "bin" / "python"
    if not interpreter.exists():
        progress(f"installing {FASTMCP_REQUIREMENT} into {VENV} (once)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=INSTALL_TIMEOUT)
        install = [str(interpreter), "-m", "pip", "install", "-q", FASTMCP_REQUIREMENT]
        try:
            subprocess.run(install, check=True, timeout=INSTALL_TIMEOUT, capture_output=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            interpreter.unlink(missing_ok=True)  # try again next run
            raise services.StartError(f"could not install {FASTMCP_REQUIREMENT}: {exc}") from exc
    return interpreter


def installed_version(interpreter: Path) -> str:
    check = [str(interpreter), "-c", "import fastmcp; print(fastmcp.__version__)"]
    return subprocess.run(check, check=True, capture_output=True, text=True, timeout=60).stdout.strip()


@contextlib.contextmanager
def fastmcp_proxy(workdir: Path, *, upstream_url: str, issuer_url: str) -> Iterator[Peer]:
    interpreter = python()
    version = installed_version(interpreter)
    port = services.free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    command = [str(interpreter), str(SCRIPT), upstream_url, str(port), issuer_url, url]
    with _listening(command, port, workdir, "fastmcp") as process:
        yield Peer(url, url, process, version)


@dataclass(frozen=True)
class Relay:
    url: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def bare_relay(workdir: Path, *, upstream_url: str) -> Iterator[Relay]:
    """The floor (bare_relay.py), run by the project's own interpreter, in front of `upstream_url`."""
    port = services.free_port()
    command = [sys.executable, "-m", "bench.peers.bare_relay", upstream_url, str(port)]
    with _listening(command, port, workdir, "relay") as process:
        yield Relay(f"http://127.0.0.1:{port}/mcp", process)


@contextlib.contextmanager
def _listening(command: list[str], port: int, workdir: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """`command` as a process, once it accepts connections on `port`; output in `workdir/name.*`."""
    stderr_path = workdir / f"{name}.err"
    with services.run_process(command, workdir / f"{name}.out", stderr_path) as process:

        def ready() -> bool:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        services.wait_for(ready, process, name, stderr_path)
        yield process
