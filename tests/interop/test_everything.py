"""The protocol's reference server, @modelcontextprotocol/server-everything, behind the gateway
over each of its transports in turn: stdio and Streamable HTTP.

A fully permitted user sees what a direct client sees, field by field, and gets the same answers
to tool calls, prompt gets and resource reads; a limited user sees and uses exactly what the
policy allows, and hidden items answer like missing ones.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.interop.compare import (
    Outcome,
    assert_answers_like_a_missing_one,
    call,
    catalog,
    get,
    names,
    outcome,
    prefixed,
    read,
)
from tests.interop.conftest import (
    MODULE_TIMEOUT,
    Setup,
    full_access,
    interop_gateway,
    observe,
    observe_direct,
)
from tests.interop.servers import everything_stdio, running_everything_http
from tests.support.clients import mcp_client
from tests.support.issuer import RunningIssuer

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

DOCS = "demo://resource/static/document"
REQUESTS = (
    call("echo", message="hello through the gateway"),
    call("get-sum", a=2, b=40),
    call("get-tiny-image"),
    call("get-annotated-message", messageType="error", includeImage=True),
    call("get-structured-content", location="Chicago"),
    call("get-resource-links", count=2),
    call("get-resource-reference", resourceType="Text", resourceId=3),
    call("get-sum", a="two", b=40),
    get("simple-prompt"),
    get("args-prompt", city="Paris", state="TX"),
    get("resource-prompt", resourceType="Text", resourceId="2"),
    read(f"{DOCS}/architecture.md"),
    read(f"{DOCS}/features.md"),
    read("demo://resource/dynamic/blob/2"),
)
LIMITED_POLICY = (
    "p, role:limited, {u}/tools/echo, call, allow",
    "p, role:limited, {u}/tools/get-sum, call, allow",
    "p, role:limited, {u}/prompts/simple-prompt, get, allow",
    f"p, role:limited, {{u}}/resources/{DOCS}/*, read, allow",
)
LIMITED_TOOLS = ["echo", "get-sum"]
LIMITED_PROMPTS = ["simple-prompt"]
HIDDEN = (
    call("get-env"),
    call("get-tiny-image"),
    get("args-prompt", city="Paris"),
    read("demo://resource/dynamic/text/1"),
)
# The dynamic resources say when they were made ("created at 3:52:46 PM"), in text and in blobs.
_CREATED_AT = re.compile(r"created at \d{1,2}:\d{2}:\d{2}\s?[AP]M")


def timeless(value: Any) -> Any:
    """`value` with the dynamic resources' creation times blanked out, blobs included."""
    if isinstance(value, str):
        return _CREATED_AT.sub("created at <time>", value)
    if isinstance(value, Outcome):
        return {"result": timeless(value.result), "error": timeless(value.error)}
    if isinstance(value, list | tuple):
        return [timeless(item) for item in value]
    if isinstance(value, dict):
        out = {key: timeless(item) for key, item in value.items()}
        if isinstance(value.get("blob"), str):
            text = timeless(base64.b64decode(value["blob"]).decode("utf-8", "replace"))
            out["blob"] = base64.b64encode(text.encode()).decode()
        return out
    return value


TRANSPORTS = ["stdio", "streamableHttp"]
U = "everything__"


@contextlib.contextmanager
def everything(transport: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """server-everything over `transport`: what a direct client connects to, and the gateway's
    upstream config for it."""
    if transport == "stdio":
        server = everything_stdio()
        yield server.params(), server.upstream()
        return
    with running_everything_http(transport) as http:
        yield http.url, {"transport": "streamable-http", "url": http.url}


@pytest.fixture(scope="module", params=TRANSPORTS)
def setup(
    request: pytest.FixtureRequest, issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    """One gateway at a time, its one upstream `everything` reached over one transport (the
    same server on several transports at once would offer the same resource URIs twice)."""
    transport = request.param
    with everything(transport) as (target, upstream):
        direct = observe_direct({"everything": (target, REQUESTS)})
        policy = [
            *full_access("everything", "role:full"),
            *(line.format(u="everything") for line in LIMITED_POLICY),
            "g, full, role:full",
            "g, limited, role:limited",
        ]
        tmp_path = tmp_path_factory.mktemp(transport)
        with interop_gateway(issuer, tmp_path, {"everything": upstream}, policy) as (gateway, mint):
            yield Setup(gateway, direct, mint, {"everything": target})


async def test_a_fully_permitted_user_gets_the_answers_the_server_gives(setup: Setup) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("full")) as client:
        seen = await observe(client, REQUESTS, U)
    assert timeless(seen) == timeless(setup.direct["everything"].outcomes)


async def test_a_limited_user_sees_exactly_what_the_policy_allows(setup: Setup) -> None:
    async with mcp_client(setup.gateway.url, setup.mint("limited")) as client:
        seen = await catalog(client)
    direct = prefixed(setup.direct["everything"].catalog, "everything")
    expected = {
        "tools": [item for item in direct["tools"] if item["name"] in _prefixed(LIMITED_TOOLS)],
        "prompts": [item for item in direct["prompts"] if item["name"] in _prefixed(LIMITED_PROMPTS)],
        "resources": [item for item in direct["resources"] if str(item["uri"]).startswith(DOCS + "/")],
        "resourceTemplates": [],
    }
    assert seen == expected
    assert names(seen)["tools"] == sorted(_prefixed(LIMITED_TOOLS))
    assert len(seen["resources"]) == 7


async def test_a_limited_user_can_use_what_it_sees_and_hidden_items_answer_like_missing_ones(
    setup: Setup,
) -> None:
    permitted = [
        (index, request)
        for index, request in enumerate(REQUESTS)
        if request.target in LIMITED_TOOLS + LIMITED_PROMPTS or request.target.startswith(DOCS)
    ]
    assert len(permitted) == 6
    async with mcp_client(setup.gateway.url, setup.mint("limited")) as client:
        for index, request in permitted:
            assert await outcome(request.send(client, U)) == setup.direct["everything"].outcomes[index]
        for hidden in HIDDEN:
            await assert_answers_like_a_missing_one(client, hidden, U)


def _prefixed(items: list[str]) -> list[str]:
    return [U + name for name in items]
