"""The serve command's log handler writes lines together, and never holds back a warning."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from authz_mcp.config.operations import LoggingConfig
from authz_mcp.observability.logs import FLUSH_BYTES, BatchedStreamHandler, apply_logging

WAIT = 10.0


class Recorded(io.StringIO):
    """A stream that keeps each write call, and signals when one came."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        self.wrote = threading.Event()

    def write(self, text: str) -> int:
        self.writes.append(text)
        self.wrote.set()
        return super().write(text)


@pytest.fixture
def batched() -> Iterator[tuple[logging.Logger, Recorded]]:
    stream = Recorded()
    handler = BatchedStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.Logger("batched-test", logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream
    handler.close()


def test_info_lines_are_written_together_shortly_after(batched: tuple[logging.Logger, Recorded]) -> None:
    logger, stream = batched
    for n in range(5):
        logger.info("line %d", n)
    assert stream.writes == []  # held for the batch
    assert stream.wrote.wait(WAIT)
    assert stream.writes == ["".join(f"INFO line {n}\n" for n in range(5))]


def test_a_warning_is_written_at_once_after_the_lines_before_it(
    batched: tuple[logging.Logger, Recorded],
) -> None:
    logger, stream = batched
    logger.info("before")
    logger.warning("now")
    assert stream.writes == ["INFO before\nWARNING now\n"]


def test_a_full_buffer_is_written_at_once(batched: tuple[logging.Logger, Recorded]) -> None:
    logger, stream = batched
    line = "x" * 1000
    count = FLUSH_BYTES // len(line) + 1
    for _ in range(count):
        logger.info(line)
    assert len(stream.writes) == 1
    assert stream.writes[0].count("\n") == count


def test_closing_writes_what_waits() -> None:
    stream = Recorded()
    handler = BatchedStreamHandler(stream)
    logger = logging.Logger("closing-test", logging.DEBUG)
    logger.addHandler(handler)
    logger.info("last words")
    handler.flush()  # what logging.shutdown does at exit, before close
    handler.close()
    assert stream.getvalue() == "last words\n"


def test_serve_swaps_the_standard_error_handler_for_a_batched_one() -> None:
    root = logging.getLogger()
    kept = list(root.handlers)
    flags = (logging._srcfile, logging.logThreads, logging.logMultiprocessing)
    plain = logging.StreamHandler(sys.stderr)
    other = logging.StreamHandler(io.StringIO())
    root.handlers = [plain, other]
    try:
        apply_logging(LoggingConfig(format="json"))
        stderr, untouched = root.handlers
        assert isinstance(stderr, BatchedStreamHandler)
        assert stderr.stream is sys.stderr
        assert untouched is other
        assert all(type(h.formatter).__name__ == "JsonFormatter" for h in root.handlers)
        # No record looks for its caller, thread or multiprocessing name; the pid is kept.
        assert (logging._srcfile, logging.logThreads, logging.logMultiprocessing) == (None, False, False)
        assert logging.logProcesses
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = kept
        logging._srcfile, logging.logThreads, logging.logMultiprocessing = flags
