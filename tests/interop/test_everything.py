"""The protocol's reference server, @modelcontextprotocol/server-everything, behind the gateway
over each of its three transports in turn: stdio, Streamable HTTP and HTTP+SSE.

A fully permitted user gets the answers a direct client gets to tool calls, prompt gets,
resource reads and completions; a limited user sees and uses exactly what the policy allows,
field by field as the server lists it, and hidden items answer like missing ones. Over Streamable
HTTP the full user's listing is the direct one too, for a client declaring no capabilities and
for one declaring sampling and roots.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import (
    CreateMessageRequestParams,
    CreateMessageResult,
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


# A client that declares sampling and roots, to which server-everything offers two more tools,
# which use them.
CAPABLE: dict[str, Any] = {"sampling_callback": _sample, "list_roots_callback": _roots}
CAPABLE_REQUESTS = (
    call("get-roots-list"),
    call("trigger-sampling-request", prompt="Say something", maxTokens=20),
    call("echo", message="from a capable client"),
)


# Over stdio and HTTP+SSE the gateway's upstream session declares every capability it can relay
# whatever the client declared, so a client declaring none is shown server-everything's
# capability-dependent tools; only the Streamable HTTP upstream is held to the same listing.
@pytest.mark.parametrize("setup", ["streamableHttp"], indirect=True)
async def test_a_fully_permitted_user_lists_what_the_server_lists(setup: Setup) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("full")) as client:
        seen = await catalog(client)
    assert_same_catalog(seen, prefixed(setup.direct["everything"].catalog, "everything"))


@pytest.mark.parametrize("setup", ["streamableHttp"], indirect=True)
async def test_a_client_declaring_sampling_and_roots_gets_what_the_server_offers_it(
    setup: Setup,
) -> None:
    with anyio.fail_after(DIRECT_TIMEOUT):
        async with Client(setup.targets["everything"](), mode="legacy", **CAPABLE) as direct:
            offered = await catalog(direct)
            answers = await observe(direct, CAPABLE_REQUESTS)
        async with mcp_client(setup.gateway.url, setup.mint("full"), **CAPABLE) as client:
            seen = await catalog(client)
            relayed = await observe(client, CAPABLE_REQUESTS, U)
    assert {"get-roots-list", "trigger-sampling-request"} <= {tool["name"] for tool in offered["tools"]}
    assert_same_catalog(seen, prefixed(offered, "everything"))
    assert relayed == answers
    assert all(answer.error is None for answer in relayed)


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
