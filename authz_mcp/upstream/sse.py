"""Server-Sent Events: incremental decoding (WHATWG HTML, "Interpreting an event stream"),
and routing the JSON-RPC messages that one Streamable HTTP stream carries.

Streamable HTTP upstreams answer a POST or a GET with `text/event-stream`; the
stream arrives in arbitrary chunks, so the decoder keeps partial lines and
partial UTF-8 sequences between calls. `last_event_id` and `retry_ms` are the
stream's state that outlives each event: they drive resumption with
`Last-Event-ID` (MCP 2025-11-25, basic/transports "Resumability and Redelivery").
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from anyio.abc import TaskGroup

from authz_mcp.errors import SSEError, UpstreamFailed
from authz_mcp.jsonrpc import JSONObject, RequestId
from authz_mcp.upstream import rpc
from authz_mcp.upstream.base import MessageSink
from authz_mcp.upstream.inbox import Inbox

logger = logging.getLogger(__name__)

MAX_EVENT_BYTES = 16 * 1024 * 1024

# "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
# character pair, a single U+000A LINE FEED (LF) character, or a single U+000D
# CARRIAGE RETURN (CR) character." (str.splitlines would also split on U+2028 etc.)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str = "message"
    id: str = ""


class SSEDecoder:
    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.last_event_id = ""
        self.retry_ms: int | None = None
        self._max = max_event_bytes
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._after_cr = False
        self._started = False
        self._data: list[str] = []
        self._size = 0
        self._event = ""
        self._id_buffer = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        text = self._text.decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")  # "One leading U+FEFF BYTE ORDER MARK ... must be ignored"
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF pair split across two chunks
        self._after_cr = text.endswith("\r")
        lines = _LINE_BREAK.split(self._partial + text)
        self._partial = lines.pop()
        if len(self._partial) > self._max:
            raise SSEError("line exceeds the size limit")
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._size += len(value) + 1
            if self._size > self._max:
                raise SSEError("event exceeds the size limit")
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        # "Set the last event ID string of the event source to the value of the last
        # event ID buffer" happens even for an event with no data (MCP's priming event).
        self.last_event_id = self._id_buffer
        data, event = self._data, self._event
        self._data, self._size, self._event = [], 0, ""
        if not data:
            return None
        return ServerSentEvent(data="\n".join(data), event=event or "message", id=self._id_buffer)


async def read_events(chunks: AsyncIterable[bytes], decoder: SSEDecoder) -> AsyncIterator[ServerSentEvent]:
    """The events of one HTTP response body, as they complete."""
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event


class MessageStream:
    """The JSON-RPC messages of one SSE stream, across its resumptions.

    The response to `request_id` ends the stream for the caller; notifications go
    to `target` in order, delivered by a task in `tg` so that reading never waits for
    them (inbox.py); server->client requests are answered concurrently in `tg` (a
    sampling answer may take minutes) and the answer goes to `reply`.
    """

    def __init__(
        self,
        tg: TaskGroup,
        target: MessageSink | None,
        reply: rpc.Reply,
        request_id: RequestId | None,
        *,
        name: str = "",
    ) -> None:
        self.decoder = SSEDecoder()
        self._tg = tg
        self._target = target
        self._inbound = rpc.InboundRequests(reply)
        self._request_id = request_id
        self._name = name
        self._inbox: Inbox | None = None
        """Started with the first notification: most responses come alone."""
        self._mark = 0
        self.spawned = False
        """Whether any task was started in `tg` (an answer to a server->client request, or
        the inbox): only then is there anything to cancel when the response is in."""

    async def delivered(self) -> None:
        """Return once the notifications that came before the response were delivered."""
        if self._inbox is not None:
            await self._inbox.caught_up(self._mark)

    async def pump(self, chunks: AsyncIterable[bytes]) -> JSONObject | None:
        """Route messages until the awaited response (returned) or the end of the body (None).

        `chunks` is read directly, not through `read_events`: returning from inside an async
        generator leaves it to the garbage collector, and asyncio then closes it in a task of
        its own, woken through the loop's self-pipe, on every response."""
        try:
            async for chunk in chunks:
                for event in self.decoder.feed(chunk):
                    # A priming event carries only an id; other event types are not MCP messages.
                    if event.event != "message" or not event.data:
                        continue
                    message = rpc.decode(event.data)
                    if message is not None and self._route(message):
                        return message
        except SSEError as exc:
            logger.warning("upstream SSE stream broke the format: %s", exc)
            raise UpstreamFailed() from exc
        return None

    def _route(self, message: JSONObject) -> bool:
        if rpc.is_response(message):
            if self._request_id is not None and message.get("id") == self._request_id:
                self._mark = self._inbox.received if self._inbox is not None else 0
                return True
            logger.warning("dropped an upstream response to no pending request (id %r)", message.get("id"))
        elif rpc.is_request(message):
            self.spawned = True
            self._tg.start_soon(self._inbound.answer, message, self._target)
        elif not rpc.is_notification(message):
            logger.warning("dropped an upstream message that is not JSON-RPC")
        elif message["method"] == "notifications/cancelled":
            self._inbound.cancel(message)
        else:
            if self._inbox is None:
                self._inbox = Inbox(self._name)
                self.spawned = True
                self._tg.start_soon(self._inbox.run)
            self._inbox.put(message, self._target)
        return False
