"""The HTTP exchanges of MCP Streamable HTTP with one endpoint (spec 2025-11-25, basic/transports).

Session policy (which session, when to renew, timeouts) belongs to
`HttpUpstream`; this module knows only how one message travels: the headers,
a POST answered by JSON or by an SSE stream (resumed with `Last-Event-ID`),
the GET stream, DELETE, over a `WireClient` (http_client.py), whose errors are
translated here.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Callable

import anyio
from multidict import CIMultiDict
from opentelemetry import propagate

from authz_mcp.config.model import HttpUpstreamConfig
from authz_mcp.errors import (
    GatewayError,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamRpcError,
    UpstreamSessionExpired,
    UpstreamUnavailable,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import LATEST_LEGACY
from authz_mcp.upstream import rpc, sse
from authz_mcp.upstream.base import MessageSink
from authz_mcp.upstream.http_client import WireClient, WireError, WireResponse
from authz_mcp.upstream.modern import modern_headers

logger = logging.getLogger(__name__)

JSON, SSE = "application/json", "text/event-stream"
# A stream may stay quiet for as long as a tool runs: its reads are bounded by the
# request's own deadline, not by the client (read timeout None).
_DRAIN_TIMEOUT = 0.5
_SHORT_TIMEOUT = 10.0
_MAX_ERROR_BODY = 64 * 1024
_MAX_IDLE_RESUMES = 5
# "The session ID MUST only contain visible ASCII characters (ranging from 0x21 to 0x7E)."
_SESSION_ID = re.compile(r"[\x21-\x7e]+")
WIRE_ERRORS = (GatewayError, UpstreamRpcError, UpstreamSessionExpired)


class HttpWire:
    def __init__(self, name: str, config: HttpUpstreamConfig, http: WireClient) -> None:
        self.name = name
        self.protocol_version = LATEST_LEGACY
        self.modern = False
        """The upstream speaks 2026-07-28: on the shared handle ("") no sessions, and the
        request's metadata mirrored in headers; a session id names a legacy session."""
        self.param_headers: Callable[[JSONObject], dict[str, str]] = lambda message: {}
        self._url = config.url
        self._configured = config.headers
        self._http = http

    async def exchange(
        self, session_id: str | None, message: JSONObject, target: MessageSink | None
    ) -> tuple[JSONObject, str]:
        """POST one request; its result and the response's `Mcp-Session-Id` ("" if none)."""
        try:
            async with self._http.stream(
                "POST",
                self._url,
                content=rpc.encode(message),
                headers=self.headers(session_id, message=message),
                read_timeout=None,
            ) as response:
                await self._check(response, session_id)
                media = _media_type(response)
                # "The client MUST support both these cases."
                if media == JSON:
                    reply = rpc.decode(await _read_body(response, rpc.MAX_MESSAGE_BYTES))
                    if reply is None or reply.get("id") != message["id"]:
                        raise UpstreamFailed()
                elif media == SSE:
                    reply = await self._follow(response, session_id, message, target)
                else:
                    logger.warning("upstream %s: unexpected Content-Type %r", self.name, media)
                    raise UpstreamFailed()
                return rpc.result_of(reply), _session_header(response)
        except WireError as exc:
            raise _translate(exc) from exc

    async def post(self, session_id: str | None, message: JSONObject) -> None:
        """POST a notification or a response: "If the server accepts the input, the server
        MUST return HTTP status code 202 Accepted with no body."."""
        try:
            async with self._http.stream(
                "POST",
                self._url,
                content=rpc.encode(message),
                headers=self.headers(session_id),
                read_timeout=_SHORT_TIMEOUT,
            ) as response:
                await self._check(response, session_id)
        except WireError as exc:
            raise _translate(exc) from exc

    async def reply(self, session_id: str | None, message: JSONObject) -> None:
        """`post`, for messages whose loss only the log needs to know about."""
        try:
            await self.post(session_id, message)
        except WIRE_ERRORS as exc:
            logger.info(
                "upstream %s: could not deliver %s: %r", self.name, message.get("method", "a reply"), exc
            )

    async def listen_once(
        self, session_id: str, stream: sse.MessageStream, on_open: Callable[[], None]
    ) -> bool:
        """One GET stream until it ends (True); False when the upstream offers none."""
        headers = self.headers(session_id, accept=SSE)
        if stream.decoder.last_event_id:
            headers["Last-Event-ID"] = stream.decoder.last_event_id
        try:
            async with self._http.stream("GET", self._url, headers=headers, read_timeout=None) as response:
                status = response.status
                if status == 404 and session_id:
                    raise UpstreamSessionExpired()
                # "The server MUST either return Content-Type: text/event-stream in response
                # to this HTTP GET, or else return HTTP 405 Method Not Allowed".
                if 400 <= status < 500 and status not in (408, 429):
                    if status != 405:
                        logger.warning("upstream %s: GET stream refused with HTTP %d", self.name, status)
                    return False
                if not _success(response) or _media_type(response) != SSE:
                    raise UpstreamFailed()
                on_open()
                await stream.pump(response.chunks())
                return True
        except WireError as exc:
            raise _translate(exc) from exc

    async def delete(self, session_id: str) -> None:
        # "Clients that no longer need a particular session ... SHOULD send an HTTP DELETE
        # ... The server MAY respond to this request with HTTP 405 Method Not Allowed".
        try:
            async with self._http.stream(
                "DELETE",
                self._url,
                headers=self.headers(session_id, accept=JSON),
                read_timeout=_SHORT_TIMEOUT,
            ) as response:
                status = response.status
        except WireError as exc:
            logger.info("upstream %s: closing a session failed: %r", self.name, exc)
            return
        if not 200 <= status < 300 and status not in (404, 405):
            logger.info("upstream %s: closing a session got HTTP %d", self.name, status)

    def speaks_modern(self, session_id: str | None) -> bool:
        """Whether a message on `session_id` is a 2026-07-28 one (None: a handshake)."""
        return self.modern and session_id == ""

    def headers(
        self, session_id: str | None, *, accept: str = f"{JSON}, {SSE}", message: JSONObject | None = None
    ) -> CIMultiDict[str]:
        """The configured headers plus the protocol's; `session_id` None: before initialize."""
        headers: CIMultiDict[str] = CIMultiDict(self._configured)
        # "The client MUST include an Accept header, listing both application/json and
        # text/event-stream as supported content types."
        headers["Accept"] = accept
        headers["Content-Type"] = JSON
        # W3C Trace Context: the request's span (or the client's own context) travels upstream.
        propagate.inject(headers)
        method = message.get("method") if message is not None else None
        if isinstance(method, str) and (method == "server/discover" or self.speaks_modern(session_id)):
            headers.update(modern_headers(method, message or {}))
            headers.update(self.param_headers(message or {}))
            return headers
        if session_id is not None:
            # "the client MUST include the MCP-Protocol-Version: <protocol-version> HTTP
            # header on all subsequent requests to the MCP server"
            headers["MCP-Protocol-Version"] = self.protocol_version
            # "If an MCP-Session-Id is returned by the server during initialization, clients
            # ... MUST include it in the MCP-Session-Id header on all of their subsequent
            # HTTP requests."
            if session_id:
                headers["Mcp-Session-Id"] = session_id
        return headers

    async def _follow(
        self,
        response: WireResponse,
        session_id: str | None,
        message: JSONObject,
        target: MessageSink | None,
    ) -> JSONObject:
        outcome: JSONObject | Exception
        async with anyio.create_task_group() as tg:
            reply = functools.partial(self.reply, session_id)
            stream = sse.MessageStream(tg, target, reply, message["id"], name=self.name)
            try:
                outcome = await self._await_response(response, session_id, stream)
                await stream.delivered()
            except (WireError, *WIRE_ERRORS) as exc:  # raised below, outside the group
                outcome = exc
            if stream.spawned:
                # Server->client requests still open are moot now. Only then: anyio names
                # the cancelling task in the cancel reason, and a task's repr is costly
                # (about a tenth of a reply's handling, on every response otherwise).
                tg.cancel_scope.cancel()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _await_response(
        self, response: WireResponse, session_id: str | None, stream: sse.MessageStream
    ) -> JSONObject:
        chunks = response.chunks()
        reply = await stream.pump(chunks)
        if reply is not None:
            await _drain(chunks)
        idle = 0
        while reply is None:
            # "If the client wishes to resume after a disconnection (whether due to network
            # failure or server-initiated closure), it SHOULD issue an HTTP GET to the MCP
            # endpoint, and include the Last-Event-ID header"; no event id, nothing to resume.
            seen = stream.decoder.last_event_id
            if not seen or idle >= _MAX_IDLE_RESUMES:
                logger.warning("upstream %s: the stream ended before the response", self.name)
                raise UpstreamFailed()
            # "The client MUST respect the retry field, waiting the given number of
            # milliseconds before attempting to reconnect."
            await anyio.sleep((stream.decoder.retry_ms or 0) / 1000)
            headers = self.headers(session_id, accept=SSE)
            headers["Last-Event-ID"] = seen
            async with self._http.stream("GET", self._url, headers=headers, read_timeout=None) as resumed:
                await self._check(resumed, session_id)
                if _media_type(resumed) != SSE:
                    raise UpstreamFailed()
                reply = await stream.pump(resumed.chunks())
            idle = 0 if stream.decoder.last_event_id != seen else idle + 1
        return reply

    async def _check(self, response: WireResponse, session_id: str | None) -> None:
        if _success(response):
            return
        # "The server MAY terminate the session at any time, after which it MUST respond to
        # requests containing that session ID with HTTP 404 Not Found."
        if response.status == 404 and session_id:
            raise UpstreamSessionExpired()
        logger.warning("upstream %s: HTTP %d", self.name, response.status)
        body = await _read_body(response, _MAX_ERROR_BODY)
        reply = rpc.decode(body) if body.strip() else None
        if reply is not None and isinstance(reply.get("error"), dict):
            raise UpstreamRpcError(reply["error"])
        if 400 <= response.status < 500:
            raise UpstreamRejected()
        raise UpstreamFailed()


def _translate(exc: WireError) -> GatewayError:
    """Could not connect (UpstreamUnavailable), or the exchange broke mid-way (UpstreamFailed)."""
    logger.info("upstream transport error: %s", exc)
    return UpstreamUnavailable() if exc.connect else UpstreamFailed()


def _success(response: WireResponse) -> bool:
    return 200 <= response.status < 300


def valid_session_id(session_id: str) -> bool:
    return _SESSION_ID.fullmatch(session_id) is not None


def _session_header(response: WireResponse) -> str:
    session_id = response.header("Mcp-Session-Id")
    if session_id and not valid_session_id(session_id):
        logger.warning("upstream returned a malformed Mcp-Session-Id")
        raise UpstreamFailed()
    return str(session_id)


def _media_type(response: WireResponse) -> str:
    return response.header("content-type").partition(";")[0].strip().lower()


async def _read_body(response: WireResponse, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.chunks():
        body += chunk
        if len(body) > limit:
            raise UpstreamFailed()
    return bytes(body)


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read a reply stream to its end, so its connection goes back to the pool.

    Servers end a POST's stream right after its response ("After the JSON-RPC
    response has been sent, the server SHOULD close the SSE stream"); one that
    keeps it open past the bound just costs the connection.
    """
    with anyio.move_on_after(_DRAIN_TIMEOUT):
        async for _ in chunks:
            pass
