"""The HTTP client under the Streamable HTTP wire: one small interface, two implementations.

`AiohttpClient` is what the gateway uses: for the same POSTs to the same upstream, aiohttp's
C parser spends about a sixth of the client CPU that httpx does (README, Performance), and
this hop is on every call's path. `HttpxClient` adapts an `httpx.AsyncClient`, so that tests
can script an upstream with `httpx.MockTransport` instead of patching. Both translate their
library's errors into `WireError` where they enter.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

import aiohttp
import httpx

from authz_mcp.errors import AuthzMcpError

CONNECT_TIMEOUT = 10.0


class WireError(AuthzMcpError):
    """The exchange failed below HTTP: `connect` when no connection could be made at all."""

    def __init__(self, detail: str, *, connect: bool) -> None:
        super().__init__(detail)
        self.connect = connect


class WireResponse(Protocol):
    @property
    def status(self) -> int: ...

    def header(self, name: str) -> str:
        """The header's value, "" when absent (names are case-insensitive)."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; a broken connection raises `WireError`."""
        ...


class WireClient(Protocol):
    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None = None,
        read_timeout: float | None,
    ) -> contextlib.AbstractAsyncContextManager[WireResponse]:
        """One exchange; the response's body is read inside the context.

        `read_timeout` bounds each read (None: a stream may stay quiet as long as a tool
        runs; the request's own deadline bounds it). Raises `WireError`."""
        ...

    async def aclose(self) -> None: ...


class _AiohttpResponse:
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status

    def header(self, name: str) -> str:
        return self._response.headers.get(name, "")

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise WireError(repr(exc), connect=False) from exc


class AiohttpClient:
    """A pooled aiohttp session, opened on first use (it must be made inside a running loop).

    Like the httpx client the rest of the gateway uses, it keeps no cookies (one jar shared by
    every user's upstream session would carry one user's cookies into another's requests),
    ignores the environment (no proxy or `.netrc` credentials behind the config's back) and
    never follows redirects, so the configured credentials go only to the configured URL.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Idle connections are dropped before common servers drop them (uvicorn: 5 s), so
            # a request is not sent on a connection the upstream is closing at that moment.
            connector = aiohttp.TCPConnector(limit=200, keepalive_timeout=4.0)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
            )
        return self._session

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None = None,
        read_timeout: float | None,
    ) -> AsyncIterator[WireResponse]:
        timeout = aiohttp.ClientTimeout(total=read_timeout, connect=CONNECT_TIMEOUT, sock_read=read_timeout)
        try:
            async with self._opened().request(
                method, url, headers=headers, data=content, timeout=timeout, allow_redirects=False
            ) as response:
                yield _AiohttpResponse(response)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise WireError(repr(exc), connect=True) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise WireError(repr(exc), connect=False) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    def header(self, name: str) -> str:
        return str(self._response.headers.get(name, ""))

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.TransportError as exc:
            raise WireError(repr(exc), connect=False) from exc


class HttpxClient:
    """An `httpx.AsyncClient` (owned by the caller) behind the `WireClient` interface."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None = None,
        read_timeout: float | None,
    ) -> AsyncIterator[WireResponse]:
        timeout = httpx.Timeout(CONNECT_TIMEOUT, read=read_timeout)
        try:
            async with self._client.stream(
                method, url, headers=dict(headers), content=content, timeout=timeout
            ) as response:
                yield _HttpxResponse(response)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise WireError(repr(exc), connect=True) from exc
        except httpx.TransportError as exc:
            raise WireError(repr(exc), connect=False) from exc

    async def aclose(self) -> None:
        """The caller closes the client it lent."""
