"""The SSE decoder, fed the way a network delivers: in arbitrary chunks."""

from __future__ import annotations

import pytest

from authz_mcp.errors import SSEError
from authz_mcp.upstream.sse import ServerSentEvent, SSEDecoder


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
