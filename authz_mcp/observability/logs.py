"""Log output as text or JSON lines (`logging.format`)."""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    # Only a type here: the CLI reads TEXT_FORMAT before any config is loaded.
    from authz_mcp.config.operations import LoggingConfig

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FLUSH_SECONDS = 0.1
FLUSH_BYTES = 64 * 1024


class JsonFormatter(logging.Formatter):
    """One JSON object per record; an access line's fields are merged in as they are."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # Under `serve --workers N`, which worker wrote the line.
            "pid": record.process,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


class BatchedStreamHandler(logging.StreamHandler[TextIO]):
    """Writes its lines together: `FLUSH_SECONDS` after the first line that waits, at once
    from WARNING up or once `FLUSH_BYTES` wait, and when logging shuts down (at exit).

    A write call per line (the access line of every request) cost the gateway a tenth of its
    CPU under load. What a process killed outright loses is the last tenth of a second of
    INFO lines; warnings and errors are never held back.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._size = 0
        self._waiting = threading.Event()
        self._closing = threading.Event()
        threading.Thread(target=self._flush_later, name="log flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        # Called with the handler's lock held (`Handler.handle`).
        try:
            line = self.format(record) + self.terminator
        except Exception:  # as logging.StreamHandler: a broken record must not break the caller
            self.handleError(record)
            return
        self._pending.append(line)
        self._size += len(line)
        if record.levelno >= logging.WARNING or self._size >= FLUSH_BYTES:
            self._write_pending()
        elif len(self._pending) == 1:
            self._waiting.set()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._write_pending()

    def close(self) -> None:
        self._closing.set()
        self._waiting.set()
        super().close()

    def _write_pending(self) -> None:
        if self._pending:
            lines, self._pending, self._size = "".join(self._pending), [], 0
            try:
                self.stream.write(lines)
                self.stream.flush()
            except (OSError, ValueError):  # the stream is gone (a closed pipe): nothing to tell
                pass

    def _flush_later(self) -> None:
        while True:
            self._waiting.wait()
            self._closing.wait(FLUSH_SECONDS)
            self._waiting.clear()
            self.flush()
            if self._closing.is_set():
                return


def apply_logging(config: LoggingConfig) -> None:
    """Give the root logger's handlers the configured format (they exist: the CLI made them);
    the standard-error handler becomes a batched one."""
    formatter: logging.Formatter = (
        JsonFormatter() if config.format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    # The logging HOWTO's "Optimization": no record needs the caller's file and line, the
    # thread or the multiprocessing name, and finding the caller walks the stack on every
    # line (the access line of every request). The process id stays: JSON lines name it.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for index, handler in enumerate(root.handlers):
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            batched = BatchedStreamHandler(sys.stderr)
            batched.setLevel(handler.level)
            root.handlers[index] = batched
            handler.close()
    for handler in root.handlers:
        handler.setFormatter(formatter)
