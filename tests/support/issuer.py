"""A DevIssuer served over real HTTP on 127.0.0.1, for tests.

uvicorn runs in a background thread with its own event loop, so that synchronous and async tests
alike can reach it. The listening socket is bound before the server starts, so the port is known
up front and no other process can take it in between.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from authz_mcp.auth.devissuer import DevIssuer

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningIssuer:
    issuer: DevIssuer
    url: str

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks.json"


@contextlib.contextmanager
def running_issuer(*, kid: str | None = None) -> Iterator[RunningIssuer]:
    """Serve a fresh DevIssuer whose issuer URL is its own base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    issuer = DevIssuer.generate(url, kid=kid)
    server = issuer.server("127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield RunningIssuer(issuer, url)
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("dev issuer did not stop in time")


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        # join() doubles as a bounded wait and notices a server thread that died at startup.
        thread.join(0.01)
        if not thread.is_alive():
            raise RuntimeError("dev issuer failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("dev issuer did not start in time")
