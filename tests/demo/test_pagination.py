from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from mcp import Client, MCPError
from mcp_types import INVALID_PARAMS

from authz_mcp.demo.paging import encode_cursor, paginate
from tests.demo.clients import demo_client
from tests.support.upstreams import Transport

ListPage = Callable[[Client, str | None], Awaitable[tuple[list[str], str | None]]]


async def tools_page(client: Client, cursor: str | None) -> tuple[list[str], str | None]:
    page = await client.list_tools(cursor=cursor)
    return [tool.name for tool in page.tools], page.next_cursor


async def resources_page(client: Client, cursor: str | None) -> tuple[list[str], str | None]:
    page = await client.list_resources(cursor=cursor)
    return [resource.uri for resource in page.resources], page.next_cursor


async def templates_page(client: Client, cursor: str | None) -> tuple[list[str], str | None]:
    page = await client.list_resource_templates(cursor=cursor)
    return [template.uri_template for template in page.resource_templates], page.next_cursor


async def prompts_page(client: Client, cursor: str | None) -> tuple[list[str], str | None]:
    page = await client.list_prompts(cursor=cursor)
    return [prompt.name for prompt in page.prompts], page.next_cursor


async def walk(client: Client, list_page: ListPage) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(100):
        items, cursor = await list_page(client, cursor)
        pages.append(items)
        if cursor is None:
            return pages
    raise AssertionError("pagination did not end")


async def test_every_list_walks_in_pages_of_the_configured_size(transport: Transport) -> None:
    async with demo_client(transport, "--page-size", "2", "--extra-tools", "5") as client:
        tools = await walk(client, tools_page)
        resources = await walk(client, resources_page)
        templates = await walk(client, templates_page)
        prompts = await walk(client, prompts_page)

    tool_names = [name for page in tools for name in page]
    assert len(tool_names) == len(set(tool_names)) == 12 + 5
    assert all(len(page) == 2 for page in tools[:-1])
    assert [len(page) for page in resources] == [2, 1]
    assert templates == [["demo://users/{user_id}/profile"]]
    assert prompts == [["summarize", "incident_report"]]


@pytest.mark.parametrize("cursor", ["garbage!", encode_cursor("prompts", 0), encode_cursor("tools", 999)])
async def test_a_cursor_the_server_did_not_issue_is_invalid_params(cursor: str) -> None:
    async with demo_client("stdio", "--page-size", "2") as client:
        with pytest.raises(MCPError) as caught:
            await client.list_tools(cursor=cursor)

    assert caught.value.code == INVALID_PARAMS


def test_paginate_without_a_page_size_returns_everything() -> None:
    page = paginate("tools", ["a", "b", "c"], None, None)

    assert page.items == ["a", "b", "c"]
    assert page.next_cursor is None


def test_paginate_an_empty_listing_returns_one_empty_page() -> None:
    nothing: list[str] = []
    page = paginate("tools", nothing, None, 2)

    assert page.items == []
    assert page.next_cursor is None


def test_paginate_refuses_a_cursor_from_another_listing() -> None:
    first = paginate("tools", ["a", "b", "c"], None, 2)
    assert first.next_cursor is not None

    with pytest.raises(MCPError):
        paginate("prompts", ["a", "b", "c"], first.next_cursor, 2)
