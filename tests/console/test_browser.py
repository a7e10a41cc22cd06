"""The console in a real browser (Debian's chromium driven by Playwright) against the real OIDC
provider: sign in, see the catalog the policy grants, make a token, use it with the MCP SDK
client through the gateway, revoke it in the console, and see the next MCP request refused.
Screenshots of each step are kept in the test's tmp_path."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.console.conftest import ConsoleSetup, running_console
from tests.console.test_tokens import BOB_TOOLS, mcp_tool_names
from tests.gateway.test_browser import CHROMIUM, browser_available
from tests.tokens.wire import initialize


@pytest.fixture(scope="module")
def console_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSetup]:
    """A console of this module's own: the token it revokes for bob stays in bob's list, where
    test_tokens expects only its own."""
    with running_console(tmp_path_factory) as setup:
        yield setup


def tools_over_mcp(url: str, token: str) -> set[str]:
    # The SDK client runs its own event loop, off the thread Playwright drives.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, mcp_tool_names(url, token)).result(timeout=60)


def test_user_signs_in_makes_uses_and_revokes_a_token_in_a_browser(
    console_setup: ConsoleSetup, tmp_path: Path
) -> None:
    browser_available()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone's screen
            blocked: list[str] = []
            page.on("console", lambda message: blocked.append(message.text))
            page.goto(f"{console_setup.console}/")
            page.click("text=Sign in with your identity provider")
            page.fill("input[name=login]", "bob")
            page.fill("input[name=password]", "any")
            page.click("button[type=submit]")
            page.click("button[type=submit]")  # the provider's consent page
            page.wait_for_selector("#catalog")
            page.screenshot(path=str(tmp_path / "1-signed-in.png"), full_page=True)
            shown = set(page.locator('#catalog ul[data-kind="Tools"] code.name').all_inner_texts())
            assert shown == BOB_TOOLS

            page.fill("input[name=name]", "phone")
            page.check('input[name=scope][value="demo/*"]')
            page.click("text=Create token")
            token = page.inner_text("#new-token").strip()
            page.screenshot(path=str(tmp_path / "2-token-created.png"), full_page=True)
            assert token.startswith("amcp_")
            assert "token" not in page.url.split("/console", 1)[1].replace("/tokens", "")
            assert tools_over_mcp(console_setup.gateway.url, token) == BOB_TOOLS

            page.click("text=Back to my tokens")
            page.click('tr:has-text("phone") button:has-text("Revoke")')
            page.wait_for_selector('tr:has-text("phone") td.status:has-text("revoked")')
            page.screenshot(path=str(tmp_path / "3-revoked.png"), full_page=True)
        finally:
            browser.close()
    assert initialize(console_setup.gateway.url, token).status_code == 401
    # The Content-Security-Policy let the page's own script run and blocked nothing.
    assert not [text for text in blocked if "Content Security Policy" in text]


def test_admin_looks_up_a_user_and_an_explanation_in_a_browser_and_others_get_403(
    console_setup: ConsoleSetup, tmp_path: Path
) -> None:
    browser_available()
    from playwright.sync_api import Page, sync_playwright

    def signed_in(page: Page, user: str) -> None:
        page.goto(f"{console_setup.console}/")
        page.click("text=Sign in with your identity provider")
        page.fill("input[name=login]", user)
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        page.click("button[type=submit]")
        page.wait_for_selector("#catalog")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            bob = browser.new_context().new_page()
            signed_in(bob, "bob")
            refused = bob.goto(f"{console_setup.console}/admin")
            assert refused is not None
            assert refused.status == 403
            assert "content-security-policy" in refused.headers

            carol = browser.new_context(viewport={"width": 1024, "height": 900}).new_page()
            signed_in(carol, "carol")
            carol.click('header a:has-text("Admin")')
            carol.fill("input[name=who]", "dave")
            carol.fill("input[name=groups]", "staff")
            carol.fill("input[name=object]", "demo/tools/add")
            carol.select_option("select[name=action]", "call")
            carol.click('button:has-text("Look up")')
            carol.wait_for_selector("#explanation")
            carol.screenshot(path=str(tmp_path / "4-admin-lookup.png"), full_page=True)
            explanation = carol.inner_text("#explanation")
            shown = set(carol.locator('#lookup ul[data-kind="Tools"] code.name').all_inner_texts())
        finally:
            browser.close()
    assert explanation.startswith("dave (groups: staff) call demo/tools/add: allow")
    assert "g, group:staff, role:two-tools" in explanation or "group:staff -> role:two-tools" in explanation
    assert shown == BOB_TOOLS
