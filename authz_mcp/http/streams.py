"""One HTTP response carrying MCP messages: plain JSON, or an SSE stream.

A POST's reply is JSON when the upstream answers before sending anything
else; as soon as a progress notification, log message or server->client
request must go out first, the response becomes `text/event-stream` and the
final JSON-RPC response is its last event (spec basic/transports).
"""

from __future__ import annotations

import logging

import anyio

from authz_mcp.http.asgi import Send, encode_json, send_json
from authz_mcp.jsonrpc import JSONObject

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
"""SSE comments on an idle stream, so intermediaries and clients keep it open."""


class EventStream:
    def __init__(self, send: Send, headers: dict[str, str] | None = None) -> None:
        self._send = send
        # No yield when nobody holds it: a list_changed fan-out writes to a thousand streams
        # at once, and an event-loop turn per stream added up to most of its time (issue 12).
        self._lock = anyio.Lock(fast_acquire=True)
        self._started = False
        self._closed = False
        self._headers: dict[str, str] = headers or {}

    async def open(self, headers: dict[str, str] | None = None) -> None:
        """Start the stream now (a GET stream), unless a message already started it."""
        self._headers = headers or {}
        async with self._lock:
            if not self._started:
                await self._start(self._headers)

    async def _start(self, headers: dict[str, str]) -> None:
        raw = [
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-cache, no-transform"),
            (b"x-accel-buffering", b"no"),
        ]
        raw.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
        self._started = True
        await self._send({"type": "http.response.start", "status": 200, "headers": raw})

    async def _write(self, message: JSONObject, *, last: bool = False) -> bool:
        if self._closed:
            return False
        event = b"event: message\ndata: " + encode_json(message) + b"\n\n"
        try:
            await self._send({"type": "http.response.body", "body": event, "more_body": not last})
        except OSError:
            self._closed = True
            return False
        if last:
            self._closed = True
        return True

    async def send(self, message: JSONObject) -> bool:
        """The outbox: deliver one message to the client on this response."""
        async with self._lock:
            if self._closed:
                return False
            if not self._started:
                await self._start(self._headers)
            return await self._write(message)

    async def event(self, name: str, data: str) -> bool:
        """An event of another type than `message` (2024-11-05's `endpoint`); opens the stream."""
        async with self._lock:
            if self._closed:
                return False
            if not self._started:
                await self._start(self._headers)
            body = f"event: {name}\ndata: {data}\n\n".encode()
            try:
                await self._send({"type": "http.response.body", "body": body, "more_body": True})
            except OSError:
                self._closed = True
                return False
            return True

    async def comment(self) -> bool:
        """An SSE comment line on a started stream: a keep-alive that carries no event."""
        async with self._lock:
            if not self._started or self._closed:
                return False
            try:
                await self._send({"type": "http.response.body", "body": b":\n\n", "more_body": True})
            except OSError:
                self._closed = True
                return False
            return True

    @property
    def started(self) -> bool:
        """Whether the response has begun as a stream (so an error can only be its last event)."""
        return self._started

    async def reply(
        self, response: JSONObject, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """Write the final response: JSON (with `status` and `headers`) when nothing started
        the stream, else its last event."""
        async with self._lock:
            if not self._started:
                self._closed = True
                await send_json(
                    self._send, status, response, headers if headers is not None else self._headers
                )
                return
            await self._write(response, last=True)

    async def close(self) -> None:
        async with self._lock:
            if self._started and not self._closed:
                self._closed = True
                try:
                    await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                except OSError:
                    logger.debug("stream already closed by the client")


async def keep_alive(stream: EventStream) -> None:
    """Comment lines on an open stream, so idle proxies do not cut it."""
    while True:
        await anyio.sleep(KEEPALIVE_SECONDS)
        await stream.comment()
