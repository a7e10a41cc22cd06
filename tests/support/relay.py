"""A TCP relay that a test can cut and restore, to stage an outage (in front of Redis), and
that can record what the client side sent (a spy in front of an upstream, tests/support/spy.py)."""

from __future__ import annotations

import asyncio
import contextlib


class TcpRelay:
    def __init__(self, target_host: str, target_port: int, *, record: bytearray | None = None) -> None:
        self._target = (target_host, target_port)
        self._record = record
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        """Listen (again, on the same port after a `cut`)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a dying Redis would."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        self._pumps.clear()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.close()
            return
        self._writers |= {client_writer, target_writer}
        directions = ((client_reader, target_writer, self._record), (target_reader, client_writer, None))
        for reader, writer, record in directions:
            pump = asyncio.create_task(_pump(reader, writer, record))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bytearray | None) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            if record is not None:
                record.extend(data)
            writer.write(data)
            await writer.drain()
    writer.close()
