"""The protocol's reference server, @modelcontextprotocol/server-everything, behind the gateway
over each of its three transports in turn: stdio, Streamable HTTP and HTTP+SSE.

A fully permitted user gets the answers a direct client gets to tool calls, prompt gets,
resource reads and completions; a limited user sees and uses exactly what the policy allows,
field by field as the server lists it, and hidden items answer like missing ones. On every
transport the full user's listing is the direct one too, for a client declaring no
capabilities and for one declaring sampling, elicitation and roots, and that client can use the
tools that ask for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import (
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitRequestParams,
    ElicitResult,
    ListRootsResult,
    Root,
    TextContent,
)
from pydantic import FileUrl

from tests.interop.compare import (
    assert_answers_like_a_missing_one,
    assert_same_catalog,
    call,
    catalog,
    outcome,
    prefixed,
)
from tests.interop.conftest import (
    DIRECT_TIMEOUT,
    MODULE_TIMEOUT,
    Setup,
    interop_gateway,
    observe,
    observe_direct,
)
from tests.interop.everything import (
    HIDDEN,
    POLICY,
    REQUESTS,
    U,
    everything,
    limited_view,
    permitted,
    timeless,
)
from tests.support.clients import mcp_client
from tests.support.issuer import RunningIssuer

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

TRANSPORTS = ["stdio", "streamableHttp", "sse"]


@pytest.fixture(scope="module", params=TRANSPORTS)
def setup(
    request: pytest.FixtureRequest, issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    """One gateway at a time, its one upstream `everything` reached over one transport (the
    same server on several transports at once would offer the same resource URIs twice)."""
    transport = request.param
    with everything(transport) as (target, upstream):
        direct = observe_direct({"everything": (target, REQUESTS)})
        tmp_path = tmp_path_factory.mktemp(transport)
        with interop_gateway(issuer, tmp_path, {"everything": upstream}, POLICY) as (gateway, mint):
            yield Setup(gateway, direct, mint, {"everything": target})


async def _sample(context: Any, params: CreateMessageRequestParams) -> CreateMessageResult:
    return CreateMessageResult(role="assistant", content=TextContent(type="text", text="sampled"), model="m")


async def _roots(context: Any) -> ListRootsResult:
    return ListRootsResult(roots=[Root(uri=FileUrl("file:///srv/project"), name="project")])


async def _elicit(context: Any, params: ElicitRequestParams) -> ElicitResult:
    return ElicitResult(action="decline")


# A client that declares sampling, elicitation (form and URL modes) and roots, to which
# server-everything offers more tools, which use them.
CAPABLE: dict[str, Any] = {
    "sampling_callback": _sample,
    "list_roots_callback": _roots,
    "elicitation_callback": _elicit,
}
CAPABLE_REQUESTS = (
    call("get-roots-list"),
    call("trigger-sampling-request", prompt="Say something", maxTokens=20),
    call("trigger-elicitation-request"),
    call("echo", message="from a capable client"),
)
CAPABILITY_TOOLS = {"get-roots-list", "trigger-sampling-request", "trigger-elicitation-request"}


# Over stdio and HTTP+SSE one upstream connection serves every user and declares all the
# gateway can relay; a client declaring less is still shown only what it is offered.
async def test_a_fully_permitted_user_lists_what_the_server_lists(setup: Setup) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("full")) as client:
        seen = await catalog(client)
    assert_same_catalog(seen, prefixed(setup.direct["everything"].catalog, "everything"))


async def test_a_client_declaring_nothing_neither_sees_nor_calls_capability_dependent_tools(
    setup: Setup,
) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("full")) as client:
        shown = {tool.name for tool in (await client.list_tools()).tools}
        assert not {U + name for name in CAPABILITY_TOOLS} & shown
        for name in sorted(CAPABILITY_TOOLS):
            await assert_answers_like_a_missing_one(client, call(name), U)


async def test_a_client_declaring_sampling_elicitation_and_roots_gets_what_the_server_offers_it(
    setup: Setup,
) -> None:
    with anyio.fail_after(DIRECT_TIMEOUT):
        async with Client(setup.targets["everything"](), mode="legacy", **CAPABLE) as direct:
            offered = await catalog(direct)
            answers = await observe(direct, CAPABLE_REQUESTS)
        async with mcp_client(setup.gateway.url, setup.mint("full"), **CAPABLE) as client:
            seen = await catalog(client)
            relayed = await observe(client, CAPABLE_REQUESTS, U)
    assert CAPABILITY_TOOLS | {"trigger-url-elicitation"} <= {tool["name"] for tool in offered["tools"]}
    assert_same_catalog(seen, prefixed(offered, "everything"))
    assert relayed == answers
    assert all(answer.error is None for answer in relayed)
    # Each ask reached this client's own callback through the gateway, and its answer went back.
    roots, sampled, elicited = (json.dumps(answer.result) for answer in relayed[:3])
    assert "file:///srv/project" in roots
    assert "sampled" in sampled
    assert "declined" in elicited


async def test_a_fully_permitted_user_gets_the_answers_the_server_gives(setup: Setup) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("full")) as client:
        seen = await observe(client, REQUESTS, U)
    assert timeless(seen) == timeless(setup.direct["everything"].outcomes)
    assert all(answer.error is None for answer in seen)


async def test_a_limited_user_sees_exactly_what_the_policy_allows(setup: Setup) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("limited")) as client:
        seen = await catalog(client)
    assert_same_catalog(seen, limited_view(setup.direct["everything"].catalog))
    assert [len(seen[kind]) for kind in ("tools", "prompts", "resources")] == [2, 1, 7]


async def test_a_limited_user_can_use_what_it_sees_and_hidden_items_answer_like_missing_ones(
    setup: Setup,
) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("limited")) as client:
        for index in permitted():
            seen = await outcome(REQUESTS[index].send(client, U))
            assert seen == setup.direct["everything"].outcomes[index]
        for hidden in HIDDEN:
            await assert_answers_like_a_missing_one(client, hidden, U)
