"""Requests to the gateway on the raw wire, for comparing answers byte for byte."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.modern.wire import envelope, headers_for
from tests.support.raw import RawSession

REQUEST_ID = 7


class RawClient:
    """One user's raw connection in either era; every request goes out with the same id."""

    def __init__(self, http: httpx.AsyncClient, url: str, token: str, *, modern: bool) -> None:
        self._http = http
        self._url = url
        self._token = token
        self._modern = modern
        self._session = RawSession(http, url, token)

    async def open(self) -> None:
        if not self._modern:
            await self._session.initialize()

    async def answer(self, method: str, params: dict[str, Any]) -> str:
        """The HTTP status and the text of the final JSON-RPC message the gateway sent."""
        if self._modern:
            params = {**params, "_meta": envelope()}
            headers = headers_for(self._token, method, params)
        else:
            headers = self._session.headers()
        body = {"jsonrpc": "2.0", "id": REQUEST_ID, "method": method, "params": params}
        response = await self._http.post(self._url, content=json.dumps(body), headers=headers)
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            return f"{response.status_code} {response.text}"
        events = [event for event in response.text.split("\n\n") if "data:" in event]
        lines = [line[5:].strip() for line in events[-1].splitlines() if line.startswith("data:")]
        return f"{response.status_code} " + "\n".join(lines)


def without(text: str, uri: str) -> str:
    """`text` with the JSON spelling of `uri` replaced, so two answers that differ only in
    which URI they echo compare equal."""
    return text.replace(json.dumps(uri)[1:-1], "<uri>")
