"""Messages the upstream sends while a request runs, carried to the right client.

Progress tokens and server->client request ids are replaced by gateway-unique
values on the way up and restored on the way down, so no client can see or
collide with another client's ids, and an upstream cannot address a client
directly.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from authz_mcp.jsonrpc import JSONObject, RequestId
from authz_mcp.proxy.capsets import within_declared
from authz_mcp.proxy.envelope import log_below, log_wanted
from authz_mcp.upstream.base import MessageSink

logger = logging.getLogger(__name__)

Outbox = Callable[[JSONObject], Awaitable[bool]]
"""Sends one message to the client; False when there is nowhere to send it."""
Ask = Callable[[JSONObject], Awaitable[JSONObject]]
"""Puts a server->client request to the client; its answer (a result or an error object)."""

CAPABILITY_FOR = {
    "sampling/createMessage": "sampling",
    "elicitation/create": "elicitation",
    "roots/list": "roots",
}


def confined(method: str, params: Any) -> Any:
    """A server->client request's params, with a sampling request's `includeContext` set to
    "none". Behind the gateway the client's "this server" is every upstream at once, so
    honouring the field would hand one upstream what the user did with the others; the
    client "MAY ignore this request" (client/sampling), and so does the gateway."""
    if method != "sampling/createMessage" or not isinstance(params, dict):
        return params
    if params.get("includeContext", "none") == "none":
        return params
    logger.info("a sampling request asked for context %r; relayed with none", params["includeContext"])
    return {**params, "includeContext": "none"}


def confined_inputs(requests: Any) -> Any:
    """`confined` for each request of an `input_required` result's `inputRequests`."""
    if not isinstance(requests, dict):
        return requests
    return {
        key: {**request, "params": confined(request.get("method", ""), request["params"])}
        if isinstance(request, dict) and "params" in request
        else request
        for key, request in requests.items()
    }


def _error_reply(upstream_id: Any, code: int, message: str) -> JSONObject:
    return {"jsonrpc": "2.0", "id": upstream_id, "error": {"code": code, "message": message}}


class PendingClientRequests:
    """Server->client requests awaiting the client's answer, per session."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], tuple[anyio.Event, list[JSONObject]]] = {}

    async def ask(self, session_key: str, outbox: Outbox, request: JSONObject, timeout: float) -> JSONObject:
        """Relay `request` to the client and return its answer (result or error object)."""
        gateway_id = f"authz-mcp-{secrets.token_hex(12)}"
        event = anyio.Event()
        answer: list[JSONObject] = []
        self._waiting[(session_key, gateway_id)] = (event, answer)
        try:
            sent = await outbox({**request, "id": gateway_id})
            if not sent:
                return {"error": {"code": -32603, "message": "Client has no open stream for this request"}}
            with anyio.move_on_after(timeout):
                await event.wait()
            if not answer:
                return {"error": {"code": -32001, "message": "Client did not answer in time"}}
            return answer[0]
        finally:
            self._waiting.pop((session_key, gateway_id), None)

    def resolve(self, session_key: str, message: JSONObject) -> bool:
        """Deliver a client's response; False if no request of that session waits for it."""
        response_id = message.get("id")
        if not isinstance(response_id, str):
            return False
        waiting = self._waiting.get((session_key, response_id))
        if waiting is None:
            return False
        event, answer = waiting
        if not answer:
            answer.append(message)
            event.set()
        return True


@dataclass
class InFlight:
    """Client requests being served, so `notifications/cancelled` can reach them."""

    scopes: dict[tuple[str, str], anyio.CancelScope] = field(default_factory=dict)

    @staticmethod
    def key(session_key: str, request_id: RequestId) -> tuple[str, str]:
        return session_key, f"{type(request_id).__name__}:{request_id}"

    def cancel(self, session_key: str, request_id: RequestId) -> bool:
        scope = self.scopes.get(self.key(session_key, request_id))
        if scope is None:
            return False
        scope.cancel()
        return True


@dataclass
class RequestRelay:
    """Builds the sink for one client request."""

    session_key: str
    client_capabilities: JSONObject
    outbox: Outbox
    pending: PendingClientRequests
    timeout: float
    client_progress_token: Any = None
    gateway_progress_token: str | None = None
    modern_client: bool = False
    """A 2026-07-28 client: no server->client requests on its streams, and log messages
    only when the request opted in (`log_level`)."""
    log_level: str | None = None
    asker: Ask | None = None
    """Asks the client instead of `pending` (a modern client's MRTR exchange)."""

    def rewrite_params(self, params: JSONObject | None) -> JSONObject | None:
        """Replace the client's progress token with a gateway-unique one."""
        if not params:
            return params
        meta = params.get("_meta")
        if not isinstance(meta, dict) or "progressToken" not in meta:
            return params
        self.client_progress_token = meta["progressToken"]
        self.gateway_progress_token = f"authz-mcp-{secrets.token_hex(12)}"
        return {**params, "_meta": {**meta, "progressToken": self.gateway_progress_token}}

    def sink(self, on_other: MessageSink) -> MessageSink:
        async def deliver(message: JSONObject) -> JSONObject | None:
            method = message.get("method")
            if "id" in message and isinstance(method, str):
                return await self._server_request(message, method)
            if method == "notifications/progress":
                params = message.get("params") or {}
                if (
                    self.gateway_progress_token is None
                    or params.get("progressToken") != self.gateway_progress_token
                ):
                    return None
                await self.outbox(
                    {**message, "params": {**params, "progressToken": self.client_progress_token}}
                )
                return None
            if method == "notifications/message":
                # A legacy session's level is applied here too: an upstream hears
                # `logging/setLevel` only where it declared `logging`, and may log anyway.
                if self.modern_client:
                    wanted = log_wanted(self.log_level, message)
                else:
                    wanted = not log_below(self.log_level, message)
                if wanted:
                    await self.outbox(message)
                return None
            return await on_other(message)

        return deliver

    async def ask(self, method: str, params: Any) -> JSONObject:
        """Put one request to the client: the `result` or `error` of its answer."""
        reply = await self._server_request({"id": None, "method": method, "params": params}, method)
        return {key: reply[key] for key in ("result", "error") if key in reply}

    async def _server_request(self, message: JSONObject, method: str) -> JSONObject:
        upstream_id = message.get("id")
        if method == "ping":
            return {"jsonrpc": "2.0", "id": upstream_id, "result": {}}
        capability = CAPABILITY_FOR.get(method)
        if (
            capability is None
            or capability not in self.client_capabilities
            or not within_declared(self.client_capabilities, method, message.get("params"))
        ):
            return _error_reply(upstream_id, -32601, f"Client does not support {method}")
        if self.modern_client and self.asker is None:
            # 2026-07-28 transports: "The server MUST NOT send independent JSON-RPC requests";
            # only tools/call, prompts/get and resources/read can ask for input (MRTR).
            return _error_reply(upstream_id, -32601, f"{method} cannot reach this client here")
        request = {"jsonrpc": "2.0", "method": method}
        if "params" in message:
            request["params"] = confined(method, message["params"])
        if self.asker is not None:
            answer = await self.asker(request)
        else:
            answer = await self.pending.ask(self.session_key, self.outbox, request, self.timeout)
        reply: JSONObject = {"jsonrpc": "2.0", "id": upstream_id}
        if "result" in answer:
            reply["result"] = answer["result"]
        else:
            reply["error"] = answer.get("error") or {"code": -32603, "message": "Invalid client response"}
        return reply
