"""A page in a real headless Chromium makes an authenticated MCP call through CORS.

The page is served from BROWSER_ORIGIN, an origin the gateway allows; the gateway is another
origin (its own port), so every request
goes through the browser's CORS checks: the preflight for `Authorization` and the MCP headers,
and reading `Mcp-Session-Id` and `WWW-Authenticate` from the replies.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.gateway.conftest import BROWSER_ORIGIN, BROWSER_PAGE_PORT, Mint
from tests.support.gateway import GatewayProcess

CHROMIUM = shutil.which("chromium")

# Runs in the page: initialize, initialized, tools/list with a token; initialize without one.
MCP_FROM_THE_PAGE = """
async ([url, token]) => {
  const base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"};
  const authed = {...base, "Authorization": "Bearer " + token};
  const initialize = JSON.stringify({jsonrpc: "2.0", id: 1, method: "initialize", params: {
    protocolVersion: "2025-11-25", capabilities: {}, clientInfo: {name: "page", version: "1"}}});
  const opened = await fetch(url, {method: "POST", headers: authed, body: initialize});
  const session = opened.headers.get("Mcp-Session-Id");
  const version = (await opened.json()).result.protocolVersion;
  const inSession = {...authed, "Mcp-Session-Id": session, "Mcp-Protocol-Version": version};
  await fetch(url, {method: "POST", headers: inSession,
    body: JSON.stringify({jsonrpc: "2.0", method: "notifications/initialized"})});
  const listed = await fetch(url, {method: "POST", headers: inSession,
    body: JSON.stringify({jsonrpc: "2.0", id: 2, method: "tools/list"})});
  const tools = (await listed.json()).result.tools.map((tool) => tool.name);
  const refused = await fetch(url, {method: "POST", headers: base, body: initialize});
  return {session: session !== null, version, tools, status: refused.status,
          challenge: refused.headers.get("WWW-Authenticate")};
}
"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>app</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def page_server() -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", BROWSER_PAGE_PORT), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def browser_available() -> None:
    missing = "chromium" if CHROMIUM is None else None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package"
    if missing is not None:
        message = f"{missing} is not installed (scripts/test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)


def test_a_page_on_an_allowed_origin_lists_tools_through_the_gateway(
    gateway: GatewayProcess, mint: Mint
) -> None:
    browser_available()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with page_server(), sync_playwright() as playwright:
        # Debian's chromium, not a browser Playwright downloads; no sandbox as root in CI.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            failures: list[str] = []
            page.on("requestfailed", lambda request: failures.append(f"{request.url}: {request.failure}"))
            page.on("console", lambda message: failures.append(message.text))
            page.goto(f"{BROWSER_ORIGIN}/")
            try:
                seen: dict[str, Any] = page.evaluate(MCP_FROM_THE_PAGE, [gateway.url, mint("bob")])
            except PlaywrightError as exc:
                raise AssertionError(f"{exc.message}; {failures}") from exc
        finally:
            browser.close()
    assert seen["session"] is True
    assert seen["version"] == "2025-11-25"
    assert "demo__echo" in seen["tools"]
    assert "demo__delete_record" not in seen["tools"]
    assert seen["status"] == 401
    assert "resource_metadata=" in seen["challenge"]
