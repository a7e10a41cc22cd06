"""A legacy upstream's server->client request, answered by a modern client through MRTR.

A legacy upstream asks mid-request (sampling, elicitation, roots) and waits for
the answer on its open request; a modern client can only be asked by ending its
request with an `input_required` result and retrying. So the upstream request
is parked here, running in the gateway's background: its question ends the
client's current request as `input_required` (keyed inputRequests, and a
`requestState` naming this exchange and round, wrapped by mrtr.py); the retry
delivers the answer and waits for what the upstream does next (another
question, or the result). Each retry is authorized again before it gets here.

What has no translation: an exchange lives in this process, so a retry that
lands on another replica, or after the upstream timeout, gets `-32602`.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from anyio.abc import TaskGroup

from authz_mcp.errors import AuthzMcpError, InvalidParams, LimitReached
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.mrtr import RequestState, RequestStateCodec, request_item
from authz_mcp.proxy.relay import Ask, Outbox, RequestRelay
from authz_mcp.upstream.era import MRTR_PARAMS, unstamped

logger = logging.getLogger(__name__)

MAX_PER_PRINCIPAL = 16
MAX_TOTAL = 10_000

Outcome = tuple[str, Any]
"""("input", (key, request)) | ("result", result) | ("error", exception)."""


class Sender(Protocol):
    """What sends the parked request upstream (bridge.py)."""

    def timeout_for(self, upstream: str) -> float: ...

    def relay_for(
        self, call: Call, upstream_name: str, *, outbox: Outbox | None = None, asker: Ask | None = None
    ) -> RequestRelay: ...

    async def send(
        self,
        call: Call,
        upstream_name: str,
        method: str,
        params: JSONObject | None,
        *,
        relay: RequestRelay | None = None,
    ) -> JSONObject: ...


@dataclass(eq=False)
class Exchange:
    id: str
    owner: str
    upstream: str
    method: str
    item: str
    timeout: float
    relay: RequestRelay | None = None
    front: Call | None = None
    """The client request currently waiting on this exchange, if any."""
    round: int = 0
    asked: tuple[str, JSONObject] | None = None
    answer: list[JSONObject] = field(default_factory=list)
    answered: anyio.Event = field(default_factory=anyio.Event)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)

    def __post_init__(self) -> None:
        self.sender, self.outcomes = anyio.create_memory_object_stream[Outcome](4)

    async def ask(self, request: JSONObject) -> JSONObject:
        """The relay's asker: park the question until a retry brings its answer."""
        self.round += 1
        key = f"authz-mcp-{self.round}"
        self.asked = (key, {name: request[name] for name in ("method", "params") if name in request})
        self.answer, self.answered = [], anyio.Event()
        await self.sender.send(("input", self.asked))
        with anyio.move_on_after(self.timeout):
            await self.answered.wait()
        self.asked = None
        if not self.answer:
            return {"error": {"code": -32001, "message": "Client did not answer in time"}}
        return {"result": self.answer[0]}

    async def relay_out(self, message: JSONObject) -> bool:
        """Progress and log messages go to whichever retry is waiting now."""
        front = self.front
        return await front.outbox(message) if front is not None else False


class ParkedExchanges:
    def __init__(self, request_states: RequestStateCodec) -> None:
        self._request_states = request_states
        self._exchanges: dict[str, Exchange] = {}
        self._group: TaskGroup | None = None

    def run_in(self, group: TaskGroup) -> None:
        self._group = group

    async def serve(
        self,
        sender: Sender,
        call: Call,
        upstream: str,
        method: str,
        params: JSONObject,
        state: RequestState | None,
    ) -> JSONObject:
        if state is None:
            exchange = self._start(sender, call, upstream, method, params)
            return await self._next(call, exchange)
        exchange, asked = self._resume(call, state)
        exchange.front = call  # before the answer lets the upstream go on
        responses = call.params.get("inputResponses")
        answer = responses.get(asked[0]) if isinstance(responses, dict) else None
        if isinstance(answer, dict):
            exchange.answer.append(answer)
            exchange.answered.set()
        else:
            exchange.sender.send_nowait(("input", asked))  # not answered: ask again
        return await self._next(call, exchange)

    def _start(self, sender: Sender, call: Call, upstream: str, method: str, params: JSONObject) -> Exchange:
        owner = call.identity.key
        mine = sum(1 for exchange in self._exchanges.values() if exchange.owner == owner)
        if self._group is None or mine >= MAX_PER_PRINCIPAL or len(self._exchanges) >= MAX_TOTAL:
            raise LimitReached()
        item, timeout = request_item(method, params), sender.timeout_for(upstream)
        exchange = Exchange(secrets.token_urlsafe(16), owner, upstream, method, item, timeout)
        relay = sender.relay_for(call, upstream, outbox=exchange.relay_out, asker=exchange.ask)
        exchange.relay = relay
        self._exchanges[exchange.id] = exchange
        upstream_params = unstamped({k: v for k, v in params.items() if k not in MRTR_PARAMS})
        self._group.start_soon(self._run, sender, call, exchange, upstream_params or {})
        return exchange

    def _resume(self, call: Call, state: RequestState) -> tuple[Exchange, tuple[str, JSONObject]]:
        exchange_id, _, key = state.value.partition("#")
        exchange = self._exchanges.get(exchange_id) if state.kind == "exchange" else None
        asked = exchange.asked if exchange is not None else None
        # A replayed state names a question already answered (or an exchange that ended):
        # only the open question of a live exchange, with no retry waiting on it, counts.
        if (
            exchange is None
            or asked is None
            or asked[0] != key
            or exchange.owner != call.identity.key
            or exchange.answer
            or exchange.front is not None
        ):
            raise InvalidParams("Invalid requestState")
        return exchange, asked

    async def _run(self, sender: Sender, call: Call, exchange: Exchange, params: JSONObject) -> None:
        outcome: Outcome
        with exchange.scope:
            try:
                result = await sender.send(
                    call, exchange.upstream, exchange.method, params, relay=exchange.relay
                )
                outcome = ("result", result)
            except AuthzMcpError as exc:
                outcome = ("error", exc)
            except Exception as exc:  # boundary: a failing exchange must not take the background down
                logger.exception("parked %s failed", exchange.method)
                outcome = ("error", exc)
            with anyio.move_on_after(exchange.timeout):
                await exchange.sender.send(outcome)
        self._exchanges.pop(exchange.id, None)
        exchange.sender.close()

    async def _next(self, call: Call, exchange: Exchange) -> JSONObject:
        """Wait, as this client request, for the exchange's next question or its end."""
        exchange.front = call
        meta = call.params.get("_meta")
        if exchange.relay is not None and isinstance(meta, dict):
            exchange.relay.client_progress_token = meta.get("progressToken")
        try:
            kind, value = await exchange.outcomes.receive()
        except anyio.EndOfStream:
            raise InvalidParams("Invalid requestState") from None
        except BaseException:
            # The client gave up (closed its stream, or went away): so does the upstream request.
            exchange.scope.cancel()
            raise
        finally:
            exchange.front = None
        if kind == "input":
            key, request = value
            reference = f"{exchange.id}#{key}"
            state = RequestState(exchange.upstream, exchange.method, exchange.item, "exchange", reference)
            token = self._request_states.wrap(exchange.owner, state)
            return {"resultType": "input_required", "inputRequests": {key: request}, "requestState": token}
        if kind == "error":
            raise value
        result: JSONObject = value
        return result
