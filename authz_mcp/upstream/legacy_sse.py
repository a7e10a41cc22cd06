"""MCP over HTTP+SSE (protocol 2024-11-05 basic/transports), the transport before Streamable HTTP.

"The client MUST ... establish a connection and receive messages from the server"
on the SSE endpoint; "the server MUST send an `endpoint` event containing a URI for
the client to use for sending messages", to which every client message is POSTed,
while every server message arrives on the stream. The stream is the session:
like stdio, one supervised connection shared by every downstream session
(`SHARED_SESSION`), reconnected with capped backoff (and re-initialized) when it
ends; calls in flight then fail with `UpstreamFailed`.

The message URL is taken only on the SSE endpoint's own origin: the configured
headers (the gateway's credentials for this server) go to no other host.
The reader never waits on delivery: notifications queue to one task (in order),
server->client requests are answered in tasks of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

import anyio
import httpx
from anyio.abc import TaskGroup, TaskStatus

from authz_mcp.config.model import SseUpstreamConfig
from authz_mcp.errors import (
    AuthzMcpError,
    UpstreamFailed,
    UpstreamUnavailable,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream import rpc
from authz_mcp.upstream.base import SHARED_SESSION, Era, MessageSink, UnsolicitedHandler
from authz_mcp.upstream.inbox import Inbox
from authz_mcp.upstream.pending import PendingCalls
from authz_mcp.upstream.sse import SSEDecoder, read_events

logger = logging.getLogger(__name__)

_INITIALIZE_TIMEOUT = 30.0
_POST_TIMEOUT = httpx.Timeout(10.0)
# The stream stays quiet for as long as the server has nothing to say.
_STREAM_TIMEOUT = httpx.Timeout(10.0, read=None)
_FIRST_RETRY_DELAY, _MAX_RETRY_DELAY = 0.1, 5.0
_STABLE_SECONDS = 30.0


class ForeignEndpoint(AuthzMcpError):
    """The `endpoint` event named a URL on another origin than the SSE endpoint's."""


def message_url(stream_url: httpx.URL, endpoint: str) -> httpx.URL:
    """The POST URL an `endpoint` event names, resolved against the stream's URL (RFC 3986 §5);
    `ForeignEndpoint` unless scheme, host and port are the stream's own (RFC 6454 origin)."""
    resolved = stream_url.join(endpoint.strip())
    if _origin(resolved) != _origin(stream_url):
        raise ForeignEndpoint(f"{resolved.scheme}://{resolved.host}:{resolved.port}")
    return resolved


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


class LegacySseUpstream:
    def __init__(
        self,
        name: str,
        config: SseUpstreamConfig,
        *,
        http: httpx.AsyncClient,
        client_capabilities: JSONObject,
    ) -> None:
        self.name = name
        self._config = config
        self._http = http
        self._url = httpx.URL(config.url)
        self._capabilities = client_capabilities
        self._calls = PendingCalls(self._post)
        self._inbound = rpc.InboundRequests(self._reply)
        self._handler: UnsolicitedHandler | None = None
        self._endpoint: httpx.URL | None = None
        self._connection: anyio.CancelScope | None = None
        self._initialize_result: JSONObject | None = None
        self._ready = anyio.Event()
        self._attempted = anyio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        return self._ready.is_set()

    @property
    def initialize_result(self) -> JSONObject | None:
        return self._initialize_result

    @property
    def era(self) -> Era | None:
        return Era.LEGACY if self.available else None

    def era_for(self, *, legacy_client: bool) -> Era | None:
        return self.era  # one connection, one era

    def set_unsolicited_handler(self, handler: UnsolicitedHandler) -> None:
        self._handler = handler

    async def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name=f"upstream {self.name}"
            )
        await self._attempted.wait()

    async def aclose(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait([self._supervisor])

    async def wait_available(self) -> None:
        """Return once connected and initialized; the caller bounds the wait."""
        while not self._ready.is_set():
            await self._ready.wait()

    async def open_session(
        self, client_capabilities: JSONObject, resume: str | None = None, *, legacy_client: bool = False
    ) -> str:
        return SHARED_SESSION

    async def close_session(self, handle: str) -> None:
        return None

    def probe(self, client_capabilities: JSONObject) -> LegacySseUpstream:
        return LegacySseUpstream(
            self.name, self._config, http=self._http, client_capabilities=client_capabilities
        )

    async def listen(self, handle: str, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()  # the SSE stream is always open: everything arrives on it

    async def notify(self, handle: str, method: str, params: JSONObject | None) -> None:
        if not self.available:
            raise UpstreamUnavailable()
        await self._post(rpc.notification(method, params))

    async def request(
        self,
        handle: str,
        method: str,
        params: JSONObject | None,
        *,
        sink: MessageSink | None = None,
        timeout: float | None = None,
    ) -> JSONObject:
        if not self.available:
            raise UpstreamUnavailable()
        if timeout is None:
            timeout = self._config.timeout_seconds
        return await self._calls.call(method, params, sink=sink, timeout_seconds=timeout)

    # --- the wire ----------------------------------------------------------------------

    async def _post(self, message: JSONObject) -> None:
        endpoint = self._endpoint
        if endpoint is None:
            raise UpstreamUnavailable()
        headers = httpx.Headers(self._config.headers)
        headers["Content-Type"] = "application/json"
        try:
            response = await self._http.post(
                endpoint, content=rpc.encode(message), headers=headers, timeout=_POST_TIMEOUT
            )
            await response.aclose()
        except httpx.TransportError as exc:
            logger.warning("upstream %s: posting a message failed: %r", self.name, exc)
            raise UpstreamFailed() from exc
        if not response.is_success:
            logger.warning("upstream %s: message POST got HTTP %d", self.name, response.status_code)
            if response.status_code == 404 and self._connection is not None:
                self._connection.cancel()  # the server forgot the session: reconnect
            raise UpstreamFailed()

    async def _reply(self, message: JSONObject) -> None:
        with contextlib.suppress(UpstreamFailed, UpstreamUnavailable):
            await self._post(message)

    async def _supervise(self) -> None:
        delays = rpc.backoff(_FIRST_RETRY_DELAY, _MAX_RETRY_DELAY)
        while True:
            started = anyio.current_time()
            try:
                await self._connect()
            except ForeignEndpoint as exc:
                logger.error("upstream %s: refused a message endpoint on another origin (%s)", self.name, exc)
            except (httpx.TransportError, AuthzMcpError) as exc:
                logger.warning("upstream %s: SSE connection failed: %r", self.name, exc)
            except Exception:  # the supervisor's boundary: log, reconnect, keep serving the rest
                logger.exception("upstream %s: connection failed", self.name)
            self._attempted.set()
            if anyio.current_time() - started > _STABLE_SECONDS:
                delays = rpc.backoff(_FIRST_RETRY_DELAY, _MAX_RETRY_DELAY)
            delay = next(delays)
            logger.warning("upstream %s: SSE stream ended; reconnecting in %.1fs", self.name, delay)
            await anyio.sleep(delay)

    async def _connect(self) -> None:
        headers = httpx.Headers(self._config.headers)
        headers["Accept"] = "text/event-stream"
        try:
            async with (
                self._http.stream("GET", self._url, headers=headers, timeout=_STREAM_TIMEOUT) as response,
                anyio.create_task_group() as tg,
            ):
                media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
                if not response.is_success or media != "text/event-stream":
                    logger.warning(
                        "upstream %s: SSE endpoint answered HTTP %d", self.name, response.status_code
                    )
                    raise UpstreamUnavailable()
                self._connection = tg.cancel_scope
                inbox = Inbox(self.name)
                tg.start_soon(inbox.run)
                await self._read(response, tg, inbox)
                tg.cancel_scope.cancel()
        finally:
            self._mark_down()

    async def _read(self, response: httpx.Response, tg: TaskGroup, inbox: Inbox) -> None:
        async for event in read_events(response.aiter_bytes(), SSEDecoder()):
            if event.event == "endpoint":
                if self._endpoint is None:
                    self._endpoint = message_url(self._url, event.data)
                    tg.start_soon(self._handshake)
            elif event.event == "message" and event.data:
                message = rpc.decode(event.data)
                if message is not None:
                    self._route(message, tg, inbox)

    def _route(self, message: JSONObject, tg: TaskGroup, inbox: Inbox) -> None:
        """Route one message without awaiting anything; a response waits for the notifications
        that came before it, so progress reaches a client before its result."""
        if rpc.is_response(message):
            mark = inbox.received
            self._calls.settle(message, functools.partial(inbox.caught_up, mark) if mark else None)
        elif rpc.is_request(message):
            # Answered in its own task: a sampling answer may take minutes.
            tg.start_soon(self._inbound.answer, message, self._target(message))
        elif not rpc.is_notification(message):
            logger.warning("upstream %s: dropped a message that is not JSON-RPC", self.name)
        elif message["method"] == "notifications/cancelled":
            self._inbound.cancel(message)
        else:
            inbox.put(message, self._target(message))

    def _target(self, message: JSONObject) -> MessageSink | None:
        """Who receives an upstream notification or request: progress by its token; anything
        else goes with the one request in flight, if there is exactly one (the stream carries
        no other association), else to the proxy's unsolicited handler."""
        if message["method"] == "notifications/progress":
            return self._calls.sink_for_progress(message)
        only = self._calls.only_sink()
        if only is not None:
            return only
        handler = self._handler
        return None if handler is None else functools.partial(handler, SHARED_SESSION)

    async def _handshake(self) -> None:
        try:
            params = rpc.initialize_params(self._capabilities)
            result = await self._calls.call(
                "initialize", params, sink=None, timeout_seconds=_INITIALIZE_TIMEOUT
            )
            rpc.negotiated_version(result)
            # lifecycle: "After successful initialization, the client MUST send an
            # initialized notification to indicate it is ready to begin normal operations."
            await self._post(rpc.notification("notifications/initialized"))
        except AuthzMcpError as exc:
            logger.warning("upstream %s: initialize failed: %r", self.name, exc)
            if self._connection is not None:
                self._connection.cancel()  # the supervisor reconnects
        else:
            self._initialize_result = result
            self._ready.set()
            logger.info("upstream %s: initialized over HTTP+SSE", self.name)
        self._attempted.set()

    def _mark_down(self) -> None:
        self._endpoint = None
        self._connection = None
        if self._ready.is_set():
            self._ready = anyio.Event()
        self._calls.fail_all()
