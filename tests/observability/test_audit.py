"""The audit writer's buffering: lines wait for the interval, the size bound or close."""

from __future__ import annotations

import asyncio
import io
import json

from authz_mcp.observability.audit import AuditLog


class RecordingStream(io.StringIO):
    """Keeps each write apart, and tells when one happened."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        self.written = asyncio.Event()

    def write(self, text: str) -> int:
        self.writes.append(text)
        self.written.set()
        return len(text)


def _decide(log: AuditLog, method: str) -> None:
    log.record(identity=None, session=None, method=method, allowed=True, reason="test")


async def test_lines_wait_for_the_interval_and_go_out_in_one_write() -> None:
    stream = RecordingStream()
    log = AuditLog(stream, flush_seconds=0.05, buffer_bytes=1 << 20)
    for method in ("tools/call", "tools/list", "prompts/get"):
        _decide(log, method)
    assert stream.writes == []
    async with asyncio.timeout(5):
        await stream.written.wait()
    assert len(stream.writes) == 1
    assert [json.loads(line)["method"] for line in stream.writes[0].splitlines()] == [
        "tools/call",
        "tools/list",
        "prompts/get",
    ]


async def test_lines_are_written_once_the_buffer_is_full() -> None:
    stream = RecordingStream()
    log = AuditLog(stream, flush_seconds=60, buffer_bytes=1)
    _decide(log, "tools/call")
    assert len(stream.writes) == 1
    log.close()


async def test_close_writes_the_lines_that_wait() -> None:
    stream = RecordingStream()
    log = AuditLog(stream, flush_seconds=60, buffer_bytes=1 << 20)
    _decide(log, "tools/call")
    assert stream.writes == []
    log.close()
    assert [json.loads(line)["method"] for line in "".join(stream.writes).splitlines()] == ["tools/call"]


def test_without_an_interval_every_line_is_written_at_once() -> None:
    stream = RecordingStream()
    log = AuditLog(stream, flush_seconds=0, buffer_bytes=1 << 20)
    _decide(log, "tools/call")
    _decide(log, "tools/list")
    assert len(stream.writes) == 2
