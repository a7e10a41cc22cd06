"""The real OpenID Connect provider of provider.mjs, run by node as a child process.

    with running_provider(resources=[mcp_url], clients={"alice": {...claims}}) as provider:
        provider.issuer                      # http://127.0.0.1:<port>
        provider.token("alice", resource=mcp_url, scope="mcp:tools")
        provider.rotate()                    # a new signing key; returns its kid

Readiness and rotations are the provider's own stdout lines, awaited with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
SCOPES = "mcp:tools mcp:admin"
EVENT_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def client_secret(client_id: str) -> str:
    return f"secret-of-{client_id}"


@dataclass
class _Counter:
    value: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self) -> None:
        with self.lock:
            self.value += 1


@dataclass
class RunningProvider:
    process: subprocess.Popen[str]
    issuer: str
    kid: str
    _events: queue.Queue[dict[str, Any]]
    _jwks: _Counter

    @property
    def jwks_requests(self) -> int:
        """How many times the provider has served its key set so far. Each time is an event on
        its stdout, read by a thread: the count is taken once the provider has answered a
        `sync` sent now, so every key set served before is in it."""
        assert self.process.stdin is not None
        self.process.stdin.write("sync\n")
        self.process.stdin.flush()
        self._next("synced")
        return self._jwks.value

    def token(self, client_id: str, *, resource: str | None, scope: str | None = None) -> str:
        """An access token by the client credentials grant; a JWT when `resource` is given."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret(client_id),
        }
        if resource is not None:
            form["resource"] = resource
        if scope is not None:
            form["scope"] = scope
        response = httpx.post(f"{self.issuer}/token", data=form, timeout=EVENT_TIMEOUT)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def rotate(self, *, keep_old: bool = True) -> str:
        """Sign with a new key from now on; the old key stays published when `keep_old`."""
        assert self.process.stdin is not None
        self.process.stdin.write("rotate\n" if keep_old else "rotate-drop\n")
        self.process.stdin.flush()
        self.kid = self._next("rotated")["kid"]
        return self.kid

    def _next(self, kind: str) -> dict[str, Any]:
        event = self._events.get(timeout=EVENT_TIMEOUT)
        if event.get("event") != kind:
            raise RuntimeError(f"expected a {kind} event from the provider, got {event}")
        return event


def node_modules_missing() -> bool:
    return not (HERE / "node_modules" / "oidc-provider").is_dir()


@contextlib.contextmanager
def running_provider(
    *,
    resources: list[str],
    clients: Mapping[str, Mapping[str, Any]],
    web_clients: Mapping[str, list[str]] | None = None,
    accounts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[RunningProvider]:
    """`web_clients`: client id -> redirect URIs, for the authorization code flow; `accounts`:
    user id -> claims of the users who sign in through them."""
    node = shutil.which("node")
    assert node is not None, "node is required (the fixtures skip without it)"
    config = {
        "resources": resources,
        "scope": SCOPES,
        "clients": [
            {"client_id": name, "client_secret": client_secret(name), "claims": dict(claims)}
            for name, claims in clients.items()
        ],
        "web_clients": [
            {"client_id": name, "client_secret": client_secret(name), "redirect_uris": uris}
            for name, uris in (web_clients or {}).items()
        ],
        "accounts": {name: dict(claims) for name, claims in (accounts or {}).items()},
    }
    process = subprocess.Popen(
        [node, str(SCRIPT), json.dumps(config)],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    jwks = _Counter()

    def read_events() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if not line.startswith("{"):
                continue  # the provider's own notices (e.g. that development pages are on)
            event = json.loads(line)
            if event.get("event") == "jwks":
                jwks.add()
            else:
                events.put(event)
        events.put({"event": "exited"})

    threading.Thread(target=read_events, daemon=True).start()
    try:
        ready = events.get(timeout=EVENT_TIMEOUT)
        if ready.get("event") != "ready":
            raise RuntimeError(f"the OIDC provider did not start: {ready}")
        yield RunningProvider(process, ready["issuer"], ready["kid"], events, jwks)
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the provider exits when its stdin closes
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
