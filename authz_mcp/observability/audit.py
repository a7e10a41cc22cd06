"""One JSON line per authorization decision (DESIGN §8). Never a token or secret."""

from __future__ import annotations

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
    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_DECISIONS)
        """The last decisions of this process, newest last (the console's admin page)."""

    @classmethod
    def open(cls, path: str) -> AuditLog:
        if path == "-":
            return cls()
        return cls(open(path, "a", encoding="utf-8", buffering=1))

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
        try:
            self._stream.write(json.dumps(line, separators=(",", ":")) + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            logger.exception("audit log write failed")

    def close(self) -> None:
        if self._stream not in (sys.stderr, sys.stdout):
            self._stream.close()
