"""One failing list does not take its upstream down.

The chatty upstream's `resources/list` fails while a file exists. Meanwhile its tools,
prompts and templates are served, its resources are unknown, `/readyz` names the failing
list and the log says so once for the whole streak of retries; once the file is gone the
retry succeeds and a listening client hears `resources/list_changed`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx

from tests.catalog.conftest import chatty_gateway_config, chatty_upstream, minter
from tests.support.gateway import running_gateway, wait_until
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession


def _names(reply: dict[str, Any], key: str, field: str) -> set[str]:
    return {item[field] for item in reply["result"][key]}


async def test_one_failing_list_leaves_the_rest_served_until_it_recovers(
    transport: str, issuer: RunningIssuer, tmp_path: Path
) -> None:
    down = tmp_path / "resources-down"
    down.touch()
    with (
        chatty_upstream(transport, "--fail", "resources/list", "--fail-while", str(down)) as upstream,
        running_gateway(chatty_gateway_config(tmp_path, issuer, upstream), tmp_path) as gateway,
    ):
        async with httpx.AsyncClient(timeout=30) as http:
            alice = RawSession(http, gateway.url, minter(issuer, gateway.url)("alice"))
            await alice.initialize()
            waited = await alice.request(
                "tools/call", {"name": "chatty__wait_failures", "arguments": {"count": 3}}
            )
            assert json.loads(waited["result"]["content"][0]["text"])["failures"] >= 3

            ready = await http.get(f"{gateway.base_url}/readyz")
            assert ready.status_code == 200
            assert ready.json()["failing_lists"] == {"chatty": ["resources/list"]}
            assert len([line for line in gateway.log if "resources/list failed" in line]) == 1

            assert "chatty__echo" in _names(await alice.request("tools/list"), "tools", "name")
            assert "chatty__greet" in _names(await alice.request("prompts/list"), "prompts", "name")
            templates = await alice.request("resources/templates/list")
            assert _names(templates, "resourceTemplates", "uriTemplate") == {"chatty://items/{id}"}
            assert (await alice.request("resources/list"))["result"]["resources"] == []
            unlisted = await alice.request("resources/read", {"uri": "chatty://note"})
            missing = await alice.request("resources/read", {"uri": "chatty://nothing"})
            assert unlisted["error"] == {**missing["error"], "data": {"uri": "chatty://note"}}

            async with alice.listen() as to_alice:
                down.unlink()
                with anyio.fail_after(60):
                    while (await to_alice.receive())["method"] != "notifications/resources/list_changed":
                        pass

            assert _names(await alice.request("resources/list"), "resources", "uri") == {"chatty://note"}
            read = await alice.request("resources/read", {"uri": "chatty://note"})
            assert read["result"]["contents"][0]["text"] == "content of chatty://note"
            ready = await http.get(f"{gateway.base_url}/readyz")
            assert ready.json()["failing_lists"] == {}
        # An INFO line: written with the next batch, a tenth of a second later at most.
        wait_until(
            lambda: any("resources/list lists again" in line for line in gateway.log), 10, "recovery line"
        )
