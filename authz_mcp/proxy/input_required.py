"""A modern upstream's `input_required`, answered for a legacy client.

The legacy client knows nothing of MRTR, but it can answer server->client
requests. So the gateway plays the modern client (2026-07-28 basic/patterns/mrtr
"Client Requirements"): it puts each input request to the client as a request
of its own (relayed with a gateway id, like any server->client request), then
retries the upstream request with the answers under `inputResponses` and the
upstream's `requestState` echoed unchanged. The upstream's state never reaches
the client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from authz_mcp.errors import UpstreamFailed, UpstreamRpcError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.relay import RequestRelay
from authz_mcp.proxy.results import is_input_required

MAX_ROUNDS = 10
"""As the SDKs' own drivers: a server that keeps asking must not hold a request forever."""
_STATE_ONLY_DELAYS = (0.05, 0.1, 0.2, 0.25)


Retry = Callable[[JSONObject], Awaitable[JSONObject]]
"""The upstream request sent again with these params, through the client's relay."""


async def drive(retry_with: Retry, relay: RequestRelay, params: JSONObject, result: JSONObject) -> JSONObject:
    """`result` until it is no longer `input_required`, each input request put to the client
    through `relay` and each retry sent with `retry_with`."""
    for round_number in range(MAX_ROUNDS):
        if not is_input_required(result):
            return result
        requests = result.get("inputRequests")
        retry = {key: value for key, value in params.items() if key not in ("inputResponses", "requestState")}
        if isinstance(requests, dict) and requests:
            retry["inputResponses"] = await _answers(relay, requests)
        else:
            # "If the InputRequiredResult does not contain the inputRequests field, the client
            # MAY retry the original request immediately"; a little patience spares the upstream.
            await anyio.sleep(_STATE_ONLY_DELAYS[min(round_number, len(_STATE_ONLY_DELAYS) - 1)])
        state = result.get("requestState")
        # "If an InputRequiredResult contains the requestState field, the client MUST echo back
        # the exact value"; without one the retry "MUST NOT include one".
        if isinstance(state, str):
            retry["requestState"] = state
        result = await retry_with(retry)
    raise UpstreamFailed("the upstream kept asking for input")


async def _answers(relay: RequestRelay, requests: JSONObject) -> JSONObject:
    answers: JSONObject = {}
    for key, request in requests.items():
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            raise UpstreamFailed("malformed input request")
        answer = await relay.ask(request["method"], request.get("params"))
        if "result" not in answer:
            # The client could not or would not answer (no such capability, declined, timed
            # out): the request fails with that reason rather than retrying without it.
            raise UpstreamRpcError(answer.get("error") or {"code": -32603, "message": "No answer"})
        answers[key] = answer["result"]
    return answers
