"""A message sink that records what the upstream sent, and answers its requests."""

from __future__ import annotations

import anyio

from authz_mcp.jsonrpc import JSONObject


class RecordingSink:
    """Records every message; answers server->client requests with `answer` as the result."""

    def __init__(self, answer: JSONObject | None = None) -> None:
        self.messages: list[JSONObject] = []
        self.first_progress = anyio.Event()
        self.got_message = anyio.Event()
        self._answer = answer

    async def __call__(self, message: JSONObject) -> JSONObject | None:
        self.messages.append(message)
        self.got_message.set()
        if message.get("method") == "notifications/progress":
            self.first_progress.set()
        if "id" in message and self._answer is not None:
            return {"jsonrpc": "2.0", "id": message["id"], "result": self._answer}
        return None

    def methods(self) -> list[str]:
        return [str(message.get("method")) for message in self.messages]


class RecordingHandler:
    """An unsolicited handler: records (handle, message) pairs."""

    def __init__(self) -> None:
        self.received: list[tuple[str, JSONObject]] = []
        self.got_message = anyio.Event()

    async def __call__(self, handle: str, message: JSONObject) -> JSONObject | None:
        self.received.append((handle, message))
        self.got_message.set()
        return None
