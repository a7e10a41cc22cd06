"""One JSON line per authorization decision (DESIGN §8). Never a token or secret.

Lines bound for a file are buffered: written together (one write, so that workers appending
to the same file never interleave within a line) once `buffer_bytes` wait, `flush_seconds`
after the first of them, and at close. A process killed outright loses what was waiting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import deque
from typing import IO, Any

from authz_mcp.auth.identity import Identity

logger = logging.getLogger("authz_mcp.audit")

RECENT_DECISIONS = 1000


class AuditLog:
    def __init__(
        self, stream: IO[str] | None = None, *, flush_seconds: float = 0.0, buffer_bytes: int = 0
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._flush_seconds = flush_seconds
        self._buffer_bytes = buffer_bytes
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_DECISIONS)
        """The last decisions of this process, newest last (the console's admin page)."""

    @classmethod
    def open(cls, path: str, *, flush_seconds: float = 0.0, buffer_bytes: int = 0) -> AuditLog:
        if path == "-":
            return cls()
        return cls(
            open(path, "a", encoding="utf-8", buffering=1),
            flush_seconds=flush_seconds,
            buffer_bytes=buffer_bytes,
        )

    def record(
        self,
        *,
        identity: Identity | None,
        session: str | None,
        method: str,
        allowed: bool,
        reason: str,
        upstream: str | None = None,
        item: str | None = None,
        started: float | None = None,
        **extra: Any,
    ) -> None:
        now = time.time()
        line: dict[str, Any] = {
            "ts": round(now, 3),
            "event": "decision",
            "user": identity.subject if identity else None,
            "issuer": identity.issuer if identity else None,
            # A session id is a bearer-like handle: only a prefix goes to the log.
            "session": session[:8] if session else None,
            "upstream": upstream,
            "method": method,
            "item": item,
            "decision": "allow" if allowed else "deny",
            "reason": reason,
        }
        if started is not None:
            line["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        line.update(extra)
        self.recent.append(line)
        text = json.dumps(line, separators=(",", ":")) + "\n"
        self._pending.append(text)
        self._pending_bytes += len(text)
        if self._pending_bytes >= self._buffer_bytes or self._flush_seconds <= 0:
            self.flush()
        elif self._timer is None:
            self._flush_later()

    def flush(self) -> None:
        """Write the lines waiting, if any."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            logger.exception("audit log write failed")

    def close(self) -> None:
        self.flush()
        if self._stream not in (sys.stderr, sys.stdout):
            self._stream.close()

    def _flush_later(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop to wake the flush: write now
            self.flush()
            return
        self._timer = loop.call_later(self._flush_seconds, self.flush)
