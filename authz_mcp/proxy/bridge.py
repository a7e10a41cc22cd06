"""A client request sent upstream, across the two eras of MCP.

Four cells, one entry point (`forward`):

- legacy client, legacy upstream: the request goes on the client's upstream session;
  server->client requests are relayed with remapped ids (relay.py).
- modern client, modern upstream: the gateway's envelope replaces the client's (its
  capabilities kept, so the upstream asks only for what the client can give);
  `input_required` results go back with their `requestState` wrapped (mrtr.py), and the
  retry is unwrapped after it has been authorized like any request.
- legacy client, modern upstream: the upstream's `input_required` becomes
  server->client requests to the client, whose answers feed the retry (input_required.py).
- modern client, legacy upstream: the upstream session the gateway holds for the user
  serves it; a server->client request during tools/call, prompts/get or resources/read
  parks the upstream request and asks the client through MRTR (parked.py); elsewhere
  it has no translation and the upstream gets an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp_types.methods import INPUT_REQUIRED_METHODS

from authz_mcp.errors import InvalidParams, MissingClientCapability, UpstreamFailed
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.envelope import relayable
from authz_mcp.proxy.mrtr import RequestState
from authz_mcp.proxy.relay import CAPABILITY_FOR, Ask, Outbox, RequestRelay
from authz_mcp.proxy.results import is_input_required
from authz_mcp.upstream.base import Era, UpstreamSessionExpired
from authz_mcp.upstream.era import MRTR_PARAMS, stamped, unstamped

if TYPE_CHECKING:
    from authz_mcp.proxy.gateway import Gateway


def request_item(method: str, params: JSONObject) -> str:
    """What an MRTR state is bound to: the upstream's name of the tool or prompt, or the URI."""
    value = params.get("uri" if method == "resources/read" else "name")
    return value if isinstance(value, str) else ""


async def forward(
    gateway: Gateway, call: Call, upstream_name: str, method: str, params: JSONObject
) -> JSONObject:
    upstream = gateway.upstreams[upstream_name]
    mrtr = method in INPUT_REQUIRED_METHODS
    state = _client_state(gateway, call, upstream_name, method, params) if mrtr else None
    if call.modern and mrtr and upstream.era is Era.LEGACY:
        return await gateway.exchanges.serve(gateway, call, upstream_name, method, params, state)
    if upstream.era is not Era.MODERN:
        return await send(gateway, call, upstream_name, method, _for_legacy_upstream(params))
    upstream_params = _for_modern_upstream(call, params, state)
    result = await send(gateway, call, upstream_name, method, upstream_params)
    if not is_input_required(result):
        return result
    if not mrtr:
        raise UpstreamFailed("input_required is not allowed for this method")
    if call.modern:
        return _wrapped(gateway, call, upstream_name, method, params, result)
    from authz_mcp.proxy.input_required import drive  # import cycle: it sends through here

    return await drive(gateway, call, upstream_name, method, upstream_params, result)


async def send(
    gateway: Gateway,
    call: Call,
    upstream_name: str,
    method: str,
    params: JSONObject | None,
    *,
    outbox: Outbox | None = None,
    asker: Ask | None = None,
    relay: RequestRelay | None = None,
) -> JSONObject:
    """One request on the upstream session that serves this client, with its relay."""
    upstream = gateway.upstreams[upstream_name]
    timeout = gateway.timeout_for(upstream_name)
    if relay is None:
        relay = relay_for(gateway, call, upstream_name, outbox=outbox, asker=asker)
    upstream_params = relay.rewrite_params(params) or {}
    handle = await gateway.upstream_handle(call, upstream_name)
    sink = relay.sink(gateway.notifications.handler_for_request(upstream_name, handle))
    try:
        return await upstream.request(handle, method, upstream_params, sink=sink, timeout=timeout)
    except UpstreamSessionExpired:
        handle = await gateway.upstream_handle(call, upstream_name, renew=True)
        sink = relay.sink(gateway.notifications.handler_for_request(upstream_name, handle))
        return await upstream.request(handle, method, upstream_params, sink=sink, timeout=timeout)


def relay_for(
    gateway: Gateway,
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
        gateway.pending,
        gateway.timeout_for(upstream_name),
        modern_client=call.modern,
        log_level=call.log_level,
        asker=asker,
    )


def _client_state(
    gateway: Gateway, call: Call, upstream_name: str, method: str, params: JSONObject
) -> RequestState | None:
    """The state a modern client's retry presents, verified; legacy clients have none."""
    if not call.modern or params.get("requestState") is None:
        return None
    state = gateway.request_states.unwrap(
        params["requestState"], call.identity.key, method, request_item(method, params)
    )
    if state.upstream != upstream_name:
        raise InvalidParams("Invalid requestState")
    return state


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
    return stamped(upstream_params, relayable(call.client_capabilities), call.requested_log_level)


def _wrapped(
    gateway: Gateway, call: Call, upstream_name: str, method: str, params: JSONObject, result: JSONObject
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
    inner = result.get("requestState")
    if not isinstance(inner, str):
        return {key: value for key, value in result.items() if key != "requestState"}
    state = RequestState(upstream_name, method, request_item(method, params), "upstream", inner)
    return {**result, "requestState": gateway.request_states.wrap(call.identity.key, state)}
