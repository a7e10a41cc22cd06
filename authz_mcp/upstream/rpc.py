"""Raw JSON-RPC messages as the gateway exchanges them with upstream servers.

Messages stay plain dicts: params go out untouched and results come back
untouched. The transports share the message shapes, the handshake parameters,
answering server->client requests, and retry pacing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio

from authz_mcp import __version__
from authz_mcp.errors import (
    INTERNAL_ERROR,
    METHOD_NOT_FOUND,
    UpstreamFailed,
    UpstreamRpcError,
)
from authz_mcp.jsonrpc import JSONObject, RequestId
from authz_mcp.protocol import HANDSHAKE_VERSIONS, LATEST_LEGACY
from authz_mcp.upstream.base import MessageSink

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024

Reply = Callable[[JSONObject], Awaitable[None]]


def request(request_id: RequestId, method: str, params: JSONObject | None) -> JSONObject:
    message: JSONObject = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: JSONObject | None = None) -> JSONObject:
    message: JSONObject = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def error_response(request_id: Any, code: int, message: str) -> JSONObject:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def cancelled(request_id: RequestId, reason: str) -> JSONObject:
    return notification("notifications/cancelled", {"requestId": request_id, "reason": reason})


def initialize_params(client_capabilities: JSONObject) -> JSONObject:
    return {
        "protocolVersion": LATEST_LEGACY,
        "capabilities": client_capabilities,
        "clientInfo": {"name": "authz-mcp", "version": __version__},
    }


def negotiated_version(result: JSONObject) -> str:
    """The upstream's answer to our version offer.

    lifecycle "Version Negotiation": "If the client does not support the version in the
    server's response, the client SHOULD disconnect."
    """
    version = result.get("protocolVersion")
    if not isinstance(version, str) or version not in HANDSHAKE_VERSIONS:
        logger.warning("upstream offered unsupported protocol version %r", version)
        raise UpstreamFailed()
    return version


def encode(message: JSONObject) -> bytes:
    # json.dumps escapes control characters, so the line has no embedded newline
    # (stdio: "Messages ... MUST NOT contain embedded newlines").
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes | str) -> JSONObject | None:
    """One JSON-RPC message, or None (logged) when it is not a JSON object."""
    try:
        message = json.loads(data)
    except ValueError:
        logger.warning("upstream sent invalid JSON (%d bytes)", len(data))
        return None
    if not isinstance(message, dict):
        logger.warning("upstream sent a JSON %s, not a message object", type(message).__name__)
        return None
    return message


def is_request(message: JSONObject) -> bool:
    return isinstance(message.get("method"), str) and "id" in message


def is_notification(message: JSONObject) -> bool:
    return isinstance(message.get("method"), str) and "id" not in message


def is_response(message: JSONObject) -> bool:
    return "method" not in message and ("result" in message or "error" in message)


def result_of(response: JSONObject) -> JSONObject:
    """The `result` of a response message; a JSON-RPC error raises `UpstreamRpcError`."""
    error = response.get("error")
    if isinstance(error, dict):
        raise UpstreamRpcError(error)
    result = response.get("result")
    if not isinstance(result, dict):
        logger.warning("upstream response has neither a result object nor an error object")
        raise UpstreamFailed()
    return result


async def answer(message: JSONObject, target: MessageSink | None) -> JSONObject:
    """The response to a server->client request: pings here, the rest by `target`."""
    request_id = message["id"]
    if message["method"] == "ping":
        # basic/utilities/ping: "The receiver MUST respond promptly with an empty response."
        return {"jsonrpc": "2.0", "id": request_id, "result": {}}
    if target is None:
        return error_response(request_id, METHOD_NOT_FOUND, "Method not found")
    try:
        reply = await target(message)
    except Exception:  # a broken sink answers this request only; the connection lives on
        logger.exception("answering upstream %s failed", message["method"])
        reply = None
    if reply is None:
        return error_response(request_id, INTERNAL_ERROR, "Internal error")
    # The reply must carry the upstream's own id, whatever the sink put there.
    return {**reply, "id": request_id}


async def deliver(message: JSONObject, target: MessageSink | None) -> None:
    """Hand a notification to its recipient; notifications have no reply."""
    if target is None:
        logger.debug("no recipient for upstream %s", message.get("method"))
        return
    try:
        await target(message)
    except Exception:  # one recipient's failure must not stop the reader
        logger.exception("delivering upstream %s failed", message.get("method"))


class InboundRequests:
    """Server->client requests being answered on one connection or stream.

    basic/utilities/cancellation: the upstream may cancel one of these; the
    sink's call is then cancelled and "receivers of a cancellation notification
    SHOULD ... Not send a response for the cancelled request".
    """

    def __init__(self, reply: Reply) -> None:
        self._reply = reply
        self._scopes: dict[str, anyio.CancelScope] = {}

    async def answer(self, message: JSONObject, target: MessageSink | None) -> None:
        key = repr(message["id"])
        with anyio.CancelScope() as scope:
            self._scopes[key] = scope
            try:
                response = await answer(message, target)
            finally:
                self._scopes.pop(key, None)
        if not scope.cancelled_caught:
            await self._reply(response)

    def cancel(self, message: JSONObject) -> None:
        params = message.get("params")
        if isinstance(params, dict) and (scope := self._scopes.get(repr(params.get("requestId")))):
            scope.cancel()


def backoff(first: float, cap: float) -> Iterator[float]:
    """Exponential delays between reconnection attempts: first, 2*first, ... cap."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)
