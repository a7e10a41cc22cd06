"""A client request sent upstream, across the two eras of MCP.

Four cells, one entry point (`Bridge.forward`):

- legacy client, legacy upstream: the request goes on the client's upstream session;
  server->client requests are relayed with remapped ids (relay.py).
- modern client, modern upstream: the gateway's envelope replaces the client's (its
  capabilities kept, so the upstream asks only for what the client can give);
  `input_required` results go back with their `requestState` wrapped (mrtr.py), and the
  retry is unwrapped after it has been authorized like any request.
- legacy client, modern upstream: the upstream's `input_required` becomes
  server->client requests to the client, whose answers feed the retry (input_required.py).
  An upstream that speaks both eras serves a legacy client in the first cell instead
  (`Upstream.era_for`): nothing to bridge, and less upstream CPU per call.
- modern client, legacy upstream: the upstream session the gateway holds for the user
  serves it; a server->client request during tools/call, prompts/get or resources/read
  parks the upstream request and asks the client through MRTR (parked.py); elsewhere
  it has no translation and the upstream gets an error.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from functools import partial

import anyio
from mcp_types.methods import INPUT_REQUIRED_METHODS

from authz_mcp.errors import InvalidParams, MissingClientCapability, UpstreamFailed, UpstreamSessionExpired
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.metrics import Metrics
from authz_mcp.proxy.admission import Admission
from authz_mcp.proxy.capsets import capset_of, declared
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.envelope import relayable
from authz_mcp.proxy.input_required import drive
from authz_mcp.proxy.mrtr import RequestState, RequestStateCodec, request_item
from authz_mcp.proxy.notifications import NotificationRouter
from authz_mcp.proxy.parked import ParkedExchanges
from authz_mcp.proxy.relay import (
    CAPABILITY_FOR,
    Ask,
    Outbox,
    PendingClientRequests,
    RequestRelay,
    confined_inputs,
)
from authz_mcp.proxy.results import is_input_required
from authz_mcp.sessions import SessionStore
from authz_mcp.upstream.base import SHARED_SESSION, Era, Upstream
from authz_mcp.upstream.era import MRTR_PARAMS, stamped, unstamped


class Bridge:
    """Sends client requests upstream: rate limits, the upstream session, the era crossing."""

    def __init__(
        self,
        upstreams: Mapping[str, Upstream],
        timeouts: Mapping[str, float],
        store: SessionStore,
        notifications: NotificationRouter,
        pending: PendingClientRequests,
        request_states: RequestStateCodec,
        exchanges: ParkedExchanges,
        admission: Admission,
        metrics: Metrics,
    ) -> None:
        self._upstreams = upstreams
        self._timeouts = timeouts
        self._store = store
        self._notifications = notifications
        self._pending = pending
        self._request_states = request_states
        self._exchanges = exchanges
        self._admission = admission
        self._metrics = metrics
        self._handle_locks: dict[str, anyio.Lock] = defaultdict(anyio.Lock)

    def timeout_for(self, upstream: str) -> float:
        return self._timeouts[upstream]

    async def forward(self, call: Call, upstream_name: str, method: str, params: JSONObject) -> JSONObject:
        """Send a request upstream on the client's behalf, bridging the two eras."""
        await self._admission.admit_forward(call, upstream_name, method, params)
        started = time.perf_counter()
        try:
            return await self._bridged(call, upstream_name, method, params)
        finally:
            elapsed = time.perf_counter() - started
            call.upstream_seconds += elapsed
            self._metrics.upstream_seconds.labels(upstream_name).observe(elapsed)

    async def _bridged(self, call: Call, upstream_name: str, method: str, params: JSONObject) -> JSONObject:
        era = self._upstreams[upstream_name].era_for(legacy_client=not call.modern)
        mrtr = method in INPUT_REQUIRED_METHODS
        state = self._client_state(call, upstream_name, method, params) if mrtr else None
        if call.modern and mrtr and era is Era.LEGACY:
            return await self._exchanges.serve(self, call, upstream_name, method, params, state)
        if era is not Era.MODERN:
            return await self.send(call, upstream_name, method, _for_legacy_upstream(params))
        upstream_params = _for_modern_upstream(call, params, state)
        result = await self.send(call, upstream_name, method, upstream_params)
        if not is_input_required(result):
            return result
        if not mrtr:
            raise UpstreamFailed("input_required is not allowed for this method")
        if call.modern:
            return self._wrapped(call, upstream_name, method, params, result)
        relay = self.relay_for(call, upstream_name)
        send = partial(self.send, call, upstream_name, method, relay=relay)
        return await drive(send, relay, upstream_params, result)

    async def send(
        self,
        call: Call,
        upstream_name: str,
        method: str,
        params: JSONObject | None,
        *,
        relay: RequestRelay | None = None,
    ) -> JSONObject:
        """One request on the upstream session that serves this client, with its relay."""
        upstream = self._upstreams[upstream_name]
        timeout = self.timeout_for(upstream_name)
        if relay is None:
            relay = self.relay_for(call, upstream_name)
        upstream_params = relay.rewrite_params(params) or {}
        handle = await self.upstream_handle(call, upstream_name)
        sink = relay.sink(self._notifications.handler_for_request(upstream_name, handle))
        try:
            return await upstream.request(handle, method, upstream_params, sink=sink, timeout=timeout)
        except UpstreamSessionExpired:
            handle = await self.upstream_handle(call, upstream_name, renew=True)
            sink = relay.sink(self._notifications.handler_for_request(upstream_name, handle))
            return await upstream.request(handle, method, upstream_params, sink=sink, timeout=timeout)

    def relay_for(
        self,
        call: Call,
        upstream_name: str,
        *,
        outbox: Outbox | None = None,
        asker: Ask | None = None,
    ) -> RequestRelay:
        return RequestRelay(
            call.session_key,
            call.client_capabilities,
            outbox or call.outbox,
            self._pending,
            self.timeout_for(upstream_name),
            modern_client=call.modern,
            log_level=call.log_level,
            asker=asker,
        )

    async def upstream_handle(self, call: Call, name: str, *, renew: bool = False) -> str:
        """The upstream session that serves this client session, opened on first use."""
        session = call.session
        if session is None:
            return SHARED_SESSION
        handle = session.upstream_sessions.get(name)
        if handle is not None and not renew:
            await self._notifications.bind_handle(name, handle, session.session_id)
            return handle
        async with self._handle_locks[f"{session.session_id}\x1f{name}"]:
            handle = session.upstream_sessions.get(name)
            if handle is None or renew:
                # Exactly what the gateway can relay to this client (capsets.py).
                capabilities = declared(capset_of(session.client_capabilities))
                handle = await self._upstreams[name].open_session(capabilities, legacy_client=not call.modern)
                await self._store.set_upstream_session(session.session_id, name, handle)
                session.upstream_sessions[name] = handle
        await self._notifications.bind_handle(name, handle, session.session_id)
        return handle

    def _client_state(
        self, call: Call, upstream_name: str, method: str, params: JSONObject
    ) -> RequestState | None:
        """The state a modern client's retry presents, verified; legacy clients have none."""
        if not call.modern or params.get("requestState") is None:
            return None
        state = self._request_states.unwrap(
            params["requestState"], call.identity.key, method, request_item(method, params)
        )
        if state.upstream != upstream_name:
            raise InvalidParams("Invalid requestState")
        return state

    def _wrapped(
        self, call: Call, upstream_name: str, method: str, params: JSONObject, result: JSONObject
    ) -> JSONObject:
        # mrtr: "Servers MUST NOT send an inputRequests that the client has not declared support
        # for in its capabilities"; an upstream that does gets no further than the gateway.
        requests = result.get("inputRequests")
        asked = requests.values() if isinstance(requests, dict) else ()
        methods = {request.get("method") for request in asked if isinstance(request, dict)}
        needed = {CAPABILITY_FOR.get(method, "") for method in methods if isinstance(method, str)}
        missing = sorted(name for name in needed if name not in call.client_capabilities)
        if missing:
            raise MissingClientCapability(data={"requiredCapabilities": {name: {} for name in missing}})
        if isinstance(requests, dict):
            result = {**result, "inputRequests": confined_inputs(requests)}
        inner = result.get("requestState")
        if not isinstance(inner, str):
            return {key: value for key, value in result.items() if key != "requestState"}
        state = RequestState(upstream_name, method, request_item(method, params), "upstream", inner)
        return {**result, "requestState": self._request_states.wrap(call.identity.key, state)}


def _for_legacy_upstream(params: JSONObject) -> JSONObject:
    plain = {key: value for key, value in params.items() if key not in MRTR_PARAMS}
    return unstamped(plain) or {}


def _for_modern_upstream(call: Call, params: JSONObject, state: RequestState | None) -> JSONObject:
    upstream_params = {key: value for key, value in params.items() if key not in MRTR_PARAMS}
    if call.modern and params.get("inputResponses") is not None:
        upstream_params["inputResponses"] = params["inputResponses"]
    if state is not None:
        if state.kind != "upstream":
            raise InvalidParams("Invalid requestState")  # issued while the upstream spoke the legacy era
        upstream_params["requestState"] = state.value
    return stamped(upstream_params, relayable(call.client_capabilities), call.log_level)
