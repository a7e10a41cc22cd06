"""Server-to-client round trips (sampling, elicitation, roots) in both protocol eras.

On a handshake-era connection (2025-11-25) the server sends the request over the back-channel
of the tool call, so it rides the same response stream. From 2026-07-28 there is no
back-channel: the tool returns an ``InputRequiredResult`` and the client retries the call with
``inputResponses`` (SEP-2322). ``ask_client`` hides the difference from the tools.
"""

from __future__ import annotations

from typing import Any, TypeVar

from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CreateMessageRequest,
    CreateMessageResult,
    ElicitRequest,
    ElicitResult,
    InputRequiredResult,
    ListRootsRequest,
    ListRootsResult,
)

ClientRequest = CreateMessageRequest | ElicitRequest | ListRootsRequest
_ResultT = TypeVar("_ResultT", CreateMessageResult, ElicitResult, ListRootsResult)


async def ask_client(
    ctx: ServerRequestContext[Any, Any],
    params: CallToolRequestParams,
    request: ClientRequest,
    result_type: type[_ResultT],
) -> _ResultT | InputRequiredResult:
    """The client's answer to ``request``, or the ``InputRequiredResult`` that asks for it."""
    key = request.method
    answered = (params.input_responses or {}).get(key)
    if answered is not None:
        if not isinstance(answered, result_type):
            raise MCPError(code=INVALID_PARAMS, message=f"inputResponses[{key!r}] has the wrong shape")
        return answered
    if ctx.session.can_send_request:
        return await ctx.session.send_request(
            request, result_type, metadata=ServerMessageMetadata(related_request_id=ctx.request_id)
        )
    return InputRequiredResult(input_requests={key: request})
