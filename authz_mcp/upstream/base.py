"""The seam between the proxy and the MCP servers behind the gateway.

An `Upstream` is one configured server. It speaks raw JSON-RPC: the proxy hands
it `params` dicts and gets `result` dicts back, so replies that need no
filtering are never re-modelled. The upstream's own `initialize` handshake is
the gateway's business, done with the gateway's credentials; the client's token
never reaches this layer.

Upstream sessions: `open_session` returns an opaque handle. For Streamable
HTTP it is the upstream's `Mcp-Session-Id` (or "" when the upstream is
stateless), which the proxy keeps in the session store so another replica can
`resume` it. For stdio there is one shared connection per process and the
handle is constant; such an upstream lists for a client declaring less on a
`probe` connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Protocol

import anyio
from anyio.abc import TaskStatus

from authz_mcp.jsonrpc import JSONObject

MessageSink = Callable[[JSONObject], Awaitable[JSONObject | None]]
"""Receives a message the upstream sent in relation to a request or session.

For a notification the sink returns None. For a server->client request (sampling,
elicitation, roots) the sink returns the JSON-RPC response *message* to send
back upstream (`{"jsonrpc", "id", "result"|"error"}`, with the upstream's id).
"""

UnsolicitedHandler = Callable[[str, JSONObject], Awaitable[JSONObject | None]]
"""Receives messages not tied to a request: (upstream session handle, message).

Same return convention as `MessageSink`. The handle is the one `open_session`
returned, or `SHARED_SESSION` for connection-wide messages.
"""

SHARED_SESSION = ""
"""The handle of the gateway's own session: catalog fetches and stdio traffic."""


def is_shared(handle: str) -> bool:
    """Whether `handle` names the connection shared between users rather than one user's session."""
    return handle == SHARED_SESSION


class Era(Enum):
    """Which MCP revision family an upstream speaks (2026-07-28 basic/versioning "Terminology")."""

    LEGACY = "legacy"
    """`initialize` handshake and sessions (2025-11-25 and earlier)."""
    MODERN = "modern"
    """Per-request `_meta` envelope, no sessions (2026-07-28)."""


class Upstream(Protocol):
    name: str

    @property
    def available(self) -> bool:
        """True while connected and initialized."""
        ...

    @property
    def initialize_result(self) -> JSONObject | None:
        """The upstream's InitializeResult (capabilities, serverInfo, instructions); for a
        modern upstream its DiscoverResult, in the same shape."""
        ...

    @property
    def era(self) -> Era | None:
        """The era the connected upstream speaks; None while it is not connected.

        A modern upstream has no sessions: `open_session` returns `SHARED_SESSION`, each
        request carries the `_meta` envelope (stamped here when the caller did not), and
        `listen(SHARED_SESSION)` holds a `subscriptions/listen` stream whose filter follows
        `resources/subscribe` and `resources/unsubscribe` requests."""
        ...

    def era_for(self, *, legacy_client: bool) -> Era | None:
        """The era a client of the given era is served in: a Streamable HTTP upstream that
        speaks both gives a legacy client a legacy session of its own (`open_session` with
        `legacy_client=True`), so nothing needs bridging; otherwise `era`."""
        ...

    def set_unsolicited_handler(self, handler: UnsolicitedHandler) -> None: ...

    async def start(self) -> None:
        """Connect (or spawn) and initialize. Never raises: a failure is logged and
        retried in the background, and `available` stays False meanwhile."""
        ...

    async def aclose(self) -> None: ...

    async def open_session(
        self, client_capabilities: JSONObject, resume: str | None = None, *, legacy_client: bool = False
    ) -> str:
        """A session on this upstream for one downstream session; `resume` re-attaches
        to a handle stored earlier (possibly by another replica). `legacy_client`: the
        session serves a handshake-era client (see `era_for`)."""
        ...

    async def close_session(self, handle: str) -> None: ...

    def probe(self, client_capabilities: JSONObject) -> Upstream | None:
        """A new connection of this upstream's own, not yet started, that declares
        `client_capabilities`: where one connection serves every user (a legacy-era stdio
        process or HTTP+SSE stream), what a client declaring less is offered can only be
        learnt on another connection (proxy/capset_probes.py). None where `open_session`
        or the request envelope declares them (Streamable HTTP, the modern era)."""
        ...

    async def request(
        self,
        handle: str,
        method: str,
        params: JSONObject | None,
        *,
        sink: MessageSink | None = None,
        timeout: float | None = None,
    ) -> JSONObject:
        """Send one request and return its `result`.

        Raises `UpstreamRpcError` for a JSON-RPC error reply,
        `authz_mcp.errors.UpstreamUnavailable` when not connected,
        `authz_mcp.errors.UpstreamFailed` when the connection breaks mid-request,
        `authz_mcp.errors.UpstreamTimeout` after `timeout` seconds, and
        `UpstreamSessionExpired` when the handle is unknown upstream.
        Cancelling the awaiting task sends `notifications/cancelled` upstream.
        """
        ...

    async def notify(self, handle: str, method: str, params: JSONObject | None) -> None: ...

    async def listen(self, handle: str, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Keep a stream open for upstream-initiated messages of this session (the
        Streamable HTTP GET stream) until cancelled; they go to the unsolicited
        handler. With `await group.start(upstream.listen, handle)` the start returns
        once the stream is open, or at once where the transport has no such stream."""
        ...
