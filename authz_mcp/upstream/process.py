"""The child process behind a stdio upstream: its environment, line framing, and shutdown."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

import anyio
from anyio.abc import Process

_EXIT_GRACE_SECONDS = 2.0
_INHERITED_ENV = (
    "HOME",
    "LOGNAME",
    "PATH",
    "SHELL",
    "TERM",
    "USER",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TZ",
)


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """A minimal base environment plus the upstream's configured `env`.

    The gateway's own environment holds its secrets (store URLs, upstream
    credentials), so it is never passed on wholesale.
    """
    base = {key: os.environ[key] for key in _INHERITED_ENV if key in os.environ}
    # Exported shell functions ("() { ...") are an injection vector (Shellshock).
    return {**{k: v for k, v in base.items() if not v.startswith("()")}, **extra}


class LineBuffer:
    """Newline framing (stdio: "Messages are delimited by newlines").

    A line longer than `limit` comes out once as None and is skipped up to its
    newline: a misbehaving server loses that message, not the connection.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            if self._skipping:
                self._skipping = False
            elif len(self._buffer) + len(piece) > self._limit:
                lines.append(None)
            else:
                lines.append(bytes(self._buffer + piece))
            self._buffer.clear()
        if not self._skipping:
            self._buffer += rest
            if len(self._buffer) > self._limit:
                lines.append(None)
                self._buffer.clear()
                self._skipping = True
        return lines


async def stop_process(process: Process) -> None:
    """lifecycle "Shutdown", stdio: close the server's input, wait for it to exit, then
    SIGTERM, then SIGKILL, each after a grace period."""
    if process.stdin is not None:
        with contextlib.suppress(anyio.BrokenResourceError, OSError):
            await process.stdin.aclose()
    for escalate in (process.terminate, process.kill):
        with anyio.move_on_after(_EXIT_GRACE_SECONDS):
            await process.wait()
        if process.returncode is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            escalate()
    await process.aclose()
