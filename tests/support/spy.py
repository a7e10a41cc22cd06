"""A spy between the gateway and an HTTP upstream: a TCP relay that keeps every byte the
gateway sent, so a test can check what reached the upstream (and what never did).

    with running_spy(upstream_url) as spy:
        config: {"transport": "streamable-http", "url": spy.url}
        mark = spy.mark()
        ...
        assert b"secret" not in spy.since(mark)

The relay runs on its own event loop in a thread, so synchronous and async tests can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.support.relay import TcpRelay

_TIMEOUT = 10.0


@dataclass(frozen=True)
class Spy:
    url: str
    """The upstream's URL through the spy: what the gateway is configured with."""
    received: bytearray

    def mark(self) -> int:
        return len(self.received)

    def since(self, mark: int = 0) -> bytes:
        """Everything the gateway sent to the upstream from `mark` on."""
        return bytes(self.received[mark:])


@contextlib.contextmanager
def running_spy(upstream_url: str) -> Iterator[Spy]:
    target = urlsplit(upstream_url)
    assert target.hostname is not None
    assert target.port is not None
    received = bytearray()
    relay = TcpRelay(target.hostname, target.port, record=received)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(relay.start(), loop).result(_TIMEOUT)
        yield Spy(f"http://127.0.0.1:{relay.port}{target.path}", received)
    finally:
        asyncio.run_coroutine_threadsafe(relay.cut(), loop).result(_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_TIMEOUT)
        loop.close()
