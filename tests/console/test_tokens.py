"""A signed-in user's catalog and personal tokens: the catalog is the MCP endpoint's view for
that user; a token made in the console works on the MCP endpoint until it is revoked there."""

from __future__ import annotations

import re

import httpx

from tests.console.conftest import ConsoleSetup, csrf_of, sign_in
from tests.support.clients import mcp_client
from tests.tokens.wire import initialize

BOB_TOOLS = {"demo__echo", "demo__add"}


def shown_tools(page: httpx.Response) -> set[str]:
    section = page.text.split('data-kind="Tools"', 1)[1].split("</ul>", 1)[0]
    return set(re.findall(r'<code class="name">([^<]+)</code>', section))


def created_token(page: httpx.Response) -> str:
    match = re.search(r'<code id="new-token">(amcp_[^<]+)</code>', page.text)
    assert match is not None, page.text
    return match.group(1)


async def mcp_tool_names(url: str, token: str) -> set[str]:
    async with mcp_client(url, token) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


def test_catalog_shows_what_the_policy_grants_the_user_and_their_groups(console_setup: ConsoleSetup) -> None:
    with (
        sign_in(console_setup, "bob") as bob,
        sign_in(console_setup, "dave") as dave,
        sign_in(console_setup, "alice") as alice,
    ):
        bobs = bob.get(f"{console_setup.console}/")
        daves = dave.get(f"{console_setup.console}/")
        alices = alice.get(f"{console_setup.console}/")

    assert shown_tools(bobs) == BOB_TOOLS
    assert shown_tools(daves) == BOB_TOOLS
    assert "Prompts" not in bobs.text
    assert shown_tools(alices) > BOB_TOOLS
    assert 'data-kind="Prompts"' in alices.text


async def test_token_made_in_the_console_works_over_mcp_until_revoked_there(
    console_setup: ConsoleSetup,
) -> None:
    with sign_in(console_setup, "bob") as browser:
        home = browser.get(f"{console_setup.console}/")
        made = browser.post(
            f"{console_setup.console}/tokens",
            data={"csrf": csrf_of(home), "name": "laptop", "days": "7", "scope": ["demo/*"]},
        )
        assert made.status_code == 200
        assert made.headers["cache-control"] == "no-store"
        token = created_token(made)
        assert '"Authorization": "Bearer ' + token in made.text.replace("&#34;", '"')

        assert await mcp_tool_names(console_setup.gateway.url, token) == shown_tools(home) == BOB_TOOLS

        listed = browser.get(f"{console_setup.console}/")
        assert token not in listed.text
        token_id = re.findall(r'data-token-id="([0-9a-f]{16})"', listed.text)[0]
        revoked = browser.post(
            f"{console_setup.console}/tokens/{token_id}/revoke", data={"csrf": csrf_of(listed)}
        )
        assert revoked.status_code == 200
        assert initialize(console_setup.gateway.url, token).status_code == 401

    lines = console_setup.gateway.audit()
    methods = [
        (line["method"], line["item"]) for line in lines if line["method"].startswith("console/tokens")
    ]
    assert ("console/tokens/create", token_id) in methods
    assert ("console/tokens/revoke", token_id) in methods
    assert all(token not in str(line) for line in lines)
    assert all(token not in line for line in console_setup.gateway.log)


def test_another_users_token_cannot_be_revoked_from_the_console(console_setup: ConsoleSetup) -> None:
    with sign_in(console_setup, "alice") as alice, sign_in(console_setup, "bob") as bob:
        home = alice.get(f"{console_setup.console}/")
        token = created_token(
            alice.post(f"{console_setup.console}/tokens", data={"csrf": csrf_of(home), "name": "a"})
        )
        token_id = re.findall(r'data-token-id="([0-9a-f]{16})"', alice.get(f"{console_setup.console}/").text)[
            0
        ]
        bobs = bob.get(f"{console_setup.console}/")

        bob.post(f"{console_setup.console}/tokens/{token_id}/revoke", data={"csrf": csrf_of(bobs)})

    assert initialize(console_setup.gateway.url, token).status_code == 200
