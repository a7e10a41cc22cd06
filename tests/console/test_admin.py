"""The console's admin page: only for whoever the policy allows `manage` on
`authz-mcp/console`; anyone's catalog, `policy explain`'s report, recent decisions, status."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape

from tests.console.conftest import ConsoleSetup, sign_in
from tests.console.test_tokens import BOB_TOOLS, shown_tools


def test_non_admins_get_403_on_the_admin_page(console_setup: ConsoleSetup) -> None:
    with sign_in(console_setup, "bob") as bob:
        home = bob.get(f"{console_setup.console}/")
        refused = bob.get(f"{console_setup.console}/admin", params={"who": "alice"})

    assert 'href="/console/admin"' not in home.text
    assert refused.status_code == 403
    assert "alice" not in refused.text
    denied = [line for line in console_setup.gateway.audit() if line["method"] == "console/admin"]
    assert denied[-1]["user"] == "bob"
    assert denied[-1]["decision"] == "deny"


def test_admin_sees_another_users_catalog_and_the_explanation_policy_explain_gives(
    console_setup: ConsoleSetup,
) -> None:
    query = {"who": "dave", "groups": "staff", "object": "demo/tools/add", "action": "call"}
    with sign_in(console_setup, "carol") as carol:
        home = carol.get(f"{console_setup.console}/")
        page = carol.get(f"{console_setup.console}/admin", params=query)

    assert 'href="/console/admin"' in home.text
    assert page.status_code == 200
    assert shown_tools(page) == BOB_TOOLS
    shown = re.search(r'<pre id="explanation">(.*?)</pre>', page.text, re.S)
    assert shown is not None
    command = ["policy", "explain", "--config", str(console_setup.config_file), "--user", "dave"]
    command += ["--group", "staff", "demo/tools/add", "call"]
    cli = subprocess.run(
        [sys.executable, "-m", "authz_mcp", *command], capture_output=True, text=True, timeout=30, check=True
    )
    assert unescape(shown.group(1)) == cli.stdout.rstrip("\n")
    assert "allow" in cli.stdout.splitlines()[0]
    lookups = [line for line in console_setup.gateway.audit() if line["method"] == "console/admin/lookup"]
    assert (lookups[-1]["user"], lookups[-1]["item"]) == ("carol", "dave")


def test_admin_sees_recent_decisions_filtered_and_the_gateway_status(console_setup: ConsoleSetup) -> None:
    with sign_in(console_setup, "bob") as bob:
        bob.get(f"{console_setup.console}/admin")  # a denied decision for bob
    with sign_in(console_setup, "carol") as carol:
        page = carol.get(f"{console_setup.console}/admin", params={"user": "bob", "decision": "deny"})

    rows = re.findall(r'<tr class="decision"><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>', page.text)
    assert ("bob", "console/admin") in rows
    assert {user for user, _ in rows} == {"bob"}
    assert 'class="allow"' not in page.text
    assert '<code>demo</code> <span class="ok">up</span>' in page.text
    assert "Policy version <code>" in page.text
    # The decisions are this process's own, and the page says which process it is.
    assert f"(pid {console_setup.gateway.process.pid})" in page.text
