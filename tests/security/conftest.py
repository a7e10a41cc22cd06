"""The attack target: one real gateway (`authz-mcp serve`) shared by every module of this folder,
in front of real upstreams, with a spy recording everything the gateway sends to its HTTP upstream.
The modules keep apart by what they check: each remembers its own tokens, and what the spies and
the vault record can only grow, so a module's "never reached" checks cover the modules before it.

- `demo`: the demo server over stdio (both eras; 2026-07-28 is detected), with 510 extra tools
  so that tool lists paginate (the gateway's pages hold 500).
- `web`: the demo server over Streamable HTTP, speaking only 2025-11-25 (so every client session
  has its own upstream session), reached through a spy.
- `vault`: the vault test server (tests/support/vault_server.py: a naive file server that
  decodes and resolves paths itself, with a secret file, tool and prompt) over Streamable HTTP,
  reached through a second spy and recording every resource URI it receives.

Users: `mallory` (the attacker, some items allowed, others denied or absent from her rules),
`alice` (another user, allowed everything), `eve` (one tool only), `carol` (token administrator).
Personal tokens live in a SQLite file that a test can also write to.

Every token a test mints or forges goes through `Target.remember`, so that the last test of each
module can check that none of them reached the upstream, the log or the audit file.

Starting three processes for each of the eight modules took about four minutes of the suite's time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.modern.wire import envelope, headers_for
from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
    running_server_http,
)
from tests.support.issuer import RunningIssuer
from tests.support.raw import ACCEPT, parse_sse
from tests.support.spy import Spy, running_spy
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command
from tests.support.vault_server import VAULT_MODULE

EXTRA_TOOLS = 510
POLICY = """\
p, mallory, demo/tools/echo, call, allow
p, mallory, demo/tools/add, call, allow
p, mallory, demo/tools/ask_model, call, allow
p, mallory, demo/tools/tool_*, call, allow
p, mallory, demo/prompts/summarize, get, allow
p, mallory, demo/resources/demo://docs/*, read, allow
p, mallory, demo/resources/demo://users/*, read, allow
p, mallory, web/tools/*, call, allow
p, mallory, web/tools/delete_record, call, deny
p, mallory, web/tools/rotate_credentials, call, deny
p, alice, demo/tools/*, call, allow
p, alice, demo/prompts/*, get, allow
p, alice, demo/resources/*, read, allow
p, alice, web/tools/*, call, allow
p, eve, demo/tools/echo, call, allow
p, mallory, vault/resources/files://root/pub/*, read, allow
p, mallory, vault/resources/files://root/pub/internal/*, read, deny
p, mallory, vault/tools/list_files, call, allow
p, mallory, vault/tools/touch, call, allow
p, mallory, vault/prompts/greeting, get, allow
p, role:tokens-admin, authz-mcp/tokens, manage, allow
g, carol, role:tokens-admin
"""
LEGACY = "2025-11-25"
TIMEOUT = 20.0
START_TIMEOUT = 90.0
"""The shared machine can be slow to start three processes; the first test to use them waits."""
MODULE_TIMEOUT = START_TIMEOUT + 60.0
INVALID_TOKEN_BODY: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": None,
    "error": {
        "code": -32600,
        "message": "The access token is invalid",
        "data": {"oauth_error": "invalid_token"},
    },
}
"""What every client with a refused token reads, whatever was wrong with it."""


@dataclass
class Reply:
    status: int
    body: Any
    """The JSON body, or the last message of an SSE body; None when empty."""
    headers: httpx.Headers

    @property
    def error(self) -> Any:
        return self.body.get("error") if isinstance(self.body, dict) else None


@dataclass
class Target:
    gateway: GatewayProcess
    spy: Spy
    issuer: RunningIssuer
    state_db: Path
    http: httpx.Client
    vault_spy: Spy
    vault_record: Path
    """The vault's own record of the resource URIs it received."""
    secrets: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def api(self) -> str:
        return f"{self.gateway.base_url}/api/tokens"

    def remember(self, token: str) -> str:
        if len(token) >= 20:  # shorter ones ("Bearer", "x") are not secrets anyone could leak
            self.secrets.append(token)
        return token

    def token(self, subject: str, **options: Any) -> str:
        """A valid token of the test issuer for `subject` (options as DevIssuer.mint)."""
        options.setdefault("audience", self.url)
        return self.remember(self.issuer.issuer.mint(subject, **options))

    # --- raw HTTP -----------------------------------------------------------------------

    def send(
        self, body: Any, headers: list[tuple[str, str]] | dict[str, str], *, method: str = "POST"
    ) -> Reply:
        """One request to the MCP endpoint; `body` as bytes, or JSON-encoded. A 5xx other than
        the store outage's 503 fails the test wherever it happens."""
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.http.request(method, self.url, content=content, headers=headers)
        assert response.status_code < 500, response.text
        return _reply(response)

    def legacy_headers(self, token: str, session: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}
        if session is not None:
            headers.update({"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY})
        return headers

    def open_session(self, token: str, capabilities: dict[str, Any] | None = None) -> str:
        """A 2025-11-25 session, initialized."""
        params = {"protocolVersion": LEGACY, "capabilities": capabilities or {}, "clientInfo": {"name": "x"}}
        reply = self.send(
            {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}, self.legacy_headers(token)
        )
        assert reply.status == 200
        session = reply.headers["mcp-session-id"]
        done = self.send(
            {"jsonrpc": "2.0", "method": "notifications/initialized"}, self.legacy_headers(token, session)
        )
        assert done.status == 202
        return session

    def legacy(
        self,
        token: str,
        session: str,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        request_id: Any = 1,
    ) -> Reply:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            body["params"] = params
        return self.send(body, self.legacy_headers(token, session))

    def modern(
        self, token: str, method: str, params: dict[str, Any] | None = None, *, request_id: Any = 1
    ) -> Reply:
        """A conforming 2026-07-28 request (envelope and headers)."""
        body_params = {**(params or {}), "_meta": envelope()}
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": body_params}
        return self.send(body, headers_for(token, method, body_params))

    def leaks(self) -> list[str]:
        """Where any remembered secret (or a signature-sized piece of one) was seen."""
        logged = "\n".join(self.gateway.log) + "\n" + self.gateway.audit_path.read_text(encoding="utf-8")
        sent = (self.spy.since(0) + self.vault_spy.since(0)).decode("latin-1")
        found = []
        for secret in self.secrets:
            pieces = [secret, *(part for part in secret.split(".") if len(part) >= 16)]
            for piece in pieces:
                if piece in logged:
                    found.append(f"logged: {piece[:40]}...")
                if piece in sent:
                    found.append(f"sent upstream: {piece[:40]}...")
        return found


def _reply(response: httpx.Response) -> Reply:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        messages = parse_sse(response.text)
        return Reply(response.status_code, messages[-1] if messages else None, response.headers)
    body = response.json() if response.content else None
    return Reply(response.status_code, body, response.headers)


def same_bytes(a: Any, b: Any, *names: tuple[str, str]) -> bool:
    """Whether two JSON-RPC messages are byte-identical once their ids are set aside and each
    (name in a, name in b) pair is put on equal terms."""
    left = json.dumps({**a, "id": None}, separators=(",", ":"))
    right = json.dumps({**b, "id": None}, separators=(",", ":"))
    for name_a, name_b in names:
        left = left.replace(json.dumps(name_a)[1:-1], "<name>")
        right = right.replace(json.dumps(name_b)[1:-1], "<name>")
    return left == right


@contextlib.contextmanager
def attack_target(issuer: RunningIssuer, tmp_path: Path) -> Iterator[Target]:
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    command, args = demo_stdio_command("--extra-tools", str(EXTRA_TOOLS))
    state_db = tmp_path / "state.db"
    vault_record = tmp_path / "vault-received.jsonl"
    with (
        running_demo_http("--legacy-only") as web,
        running_spy(web.url) as spy,
        running_server_http(VAULT_MODULE, "--record", str(vault_record)) as vault,
        running_spy(vault.url) as vault_spy,
    ):
        config = gateway_config(
            tmp_path,
            port=free_port(),
            issuer_url=issuer.url,
            upstreams={
                "demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT},
                "web": {"transport": "streamable-http", "url": spy.url},
                "vault": {"transport": "streamable-http", "url": vault_spy.url},
            },
            policy={"file": str(policy)},
            store={"url": f"sqlite:///{state_db}"},
            server={"max_body_bytes": 65536},
            auth={"personal_tokens": True, "pat": {"max_lifetime_days": 90, "max_per_user": 50}},
        )
        with (
            running_gateway(config, tmp_path, start_timeout=START_TIMEOUT) as gateway,
            httpx.Client(timeout=TIMEOUT) as http,
        ):
            yield Target(gateway, spy, issuer, state_db, http, vault_spy, vault_record)


def _failures(log: list[str]) -> list[str]:
    return [line for line in log if "Traceback" in line or "unhandled error" in line]


@pytest.fixture(scope="package")
def shared_target(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with attack_target(issuer, tmp_path_factory.mktemp("target")) as running:
        yield running
    assert not _failures(running.gateway.log)


@pytest.fixture(scope="module")
def target(shared_target: Target) -> Iterator[Target]:
    """The shared target, with a list of remembered tokens of the module's own."""
    logged = len(shared_target.gateway.log)
    module_target = dataclasses.replace(shared_target, secrets=[])
    yield module_target
    assert not _failures(shared_target.gateway.log[logged:])


def assert_no_leaks(target: Target) -> None:
    """No token a module used reached the upstream, the log or the audit file."""
    assert target.secrets, "the module remembered no token"
    assert target.leaks() == []
