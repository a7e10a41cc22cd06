"""The SSE decoder, fed the way a network delivers: in arbitrary chunks."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import anyio
import pytest

from authz_mcp.errors import SSEError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.sse import MessageStream, ServerSentEvent, SSEDecoder


def feed_all(decoder: SSEDecoder, *chunks: bytes) -> list[ServerSentEvent]:
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def test_events_split_across_chunks_and_line_endings() -> None:
    decoder = SSEDecoder()

    events = feed_all(decoder, b"data: one\r", b"\n\r\ndata: two\rdata: ", b"three\n\n")

    assert [event.data for event in events] == ["one", "two\nthree"]


def test_comments_and_unknown_fields_are_ignored_and_event_type_kept() -> None:
    events = feed_all(SSEDecoder(), b": keep-alive\nfoo: bar\nevent: custom\ndata:x\n\n")

    assert events == [ServerSentEvent(data="x", event="custom")]


def test_priming_event_sets_last_event_id_and_retry_without_an_event() -> None:
    decoder = SSEDecoder()

    assert feed_all(decoder, b"id: prime-1\nretry: 1500\ndata\n\n") == [
        ServerSentEvent(data="", id="prime-1")
    ]
    assert feed_all(decoder, b"id: only-id\n\n") == []
    assert (decoder.last_event_id, decoder.retry_ms) == ("only-id", 1500)


def test_split_utf8_and_leading_bom_are_decoded() -> None:
    text = "data: é\n\n".encode()

    events = feed_all(SSEDecoder(), b"\xef\xbb\xbf" + text[:7], text[7:])

    assert [event.data for event in events] == ["é"]


def test_an_oversized_event_is_an_error() -> None:
    decoder = SSEDecoder(max_event_bytes=10)

    with pytest.raises(SSEError):
        feed_all(decoder, b"data: 0123456789abcdef\n")


async def test_a_reply_stream_leaves_nothing_for_the_garbage_collector_to_close() -> None:
    """The response ends the pump with the body still open: the body is drained after, by the
    caller, and no async generator is left half-way for asyncio to close in a task of its own."""
    finalized: list[str] = []
    hooks = sys.get_asyncgen_hooks()

    def finalizer(agen: AsyncGenerator[Any, None]) -> None:
        finalized.append(repr(agen))
        assert hooks.finalizer is not None
        hooks.finalizer(agen)

    async def body() -> AsyncIterator[bytes]:
        yield b'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n'
        yield b'event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\n\n'
        yield b""  # what is left of the stream: read by the caller's drain

    delivered: list[JSONObject] = []

    async def sink(message: JSONObject) -> None:
        delivered.append(message)

    async def reply(message: JSONObject) -> None:
        raise AssertionError("nothing asks")

    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalizer)
    try:
        async with anyio.create_task_group() as tg:
            stream = MessageStream(tg, sink, reply, 7)
            chunks = body()
            assert await stream.pump(chunks) == {"jsonrpc": "2.0", "id": 7, "result": {}}
            await stream.delivered()
            assert [chunk async for chunk in chunks] == [b""]
            assert stream.spawned  # the inbox, for the progress notice
            tg.cancel_scope.cancel()
        gc.collect()
    finally:
        sys.set_asyncgen_hooks(*hooks)
    assert [message["method"] for message in delivered] == ["notifications/progress"]
    assert finalized == []
