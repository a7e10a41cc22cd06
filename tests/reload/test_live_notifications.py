"""After a policy or catalog change, exactly the clients whose view changed hear about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx

from tests.reload.conftest import BASE_POLICY, Reloading, reloading_gateway, replace_atomically, token
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession

QUIET_SECONDS = 0.5
TOOLS_CHANGED = "notifications/tools/list_changed"
RESOURCES_CHANGED = "notifications/resources/list_changed"

Inbox = anyio.abc.ObjectReceiveStream[dict[str, Any]]


async def _methods_within(inbox: Inbox, seconds: float) -> list[str]:
    """Every method received until `seconds` pass without one."""
    methods = []
    while True:
        with anyio.move_on_after(seconds):
            methods.append((await inbox.receive())["method"])
            continue
        return methods


async def test_a_policy_edit_notifies_exactly_the_sessions_whose_view_changed(
    issuer: RunningIssuer, reloading: Reloading
) -> None:
    gateway, policy = reloading.gateway, reloading.policy_dir / "policy.csv"
    async with httpx.AsyncClient(timeout=20) as http:
        alice = RawSession(http, gateway.url, token(issuer, gateway, "alice"))
        bob = RawSession(http, gateway.url, token(issuer, gateway, "bob"))
        bob_elsewhere = RawSession(http, gateway.url, token(issuer, gateway, "bob"))
        carol = RawSession(http, gateway.url, token(issuer, gateway, "carol", groups=("finance",)))
        for session in (alice, bob, bob_elsewhere, carol):
            await session.initialize()
        async with (
            alice.listen() as to_alice,
            bob.listen() as to_bob,
            bob_elsewhere.listen() as to_bob_elsewhere,
            carol.listen() as to_carol,
        ):
            # Viewers gain a tool: both of bob's sessions hear it, once; alice (who
            # already had it) and carol (who still does not) hear nothing.
            replace_atomically(policy, BASE_POLICY + "p, role:viewer, demo/tools/get_forecast, call, allow\n")
            with anyio.fail_after(5):
                assert (await to_bob.receive())["method"] == TOOLS_CHANGED
                assert (await to_bob_elsewhere.receive())["method"] == TOOLS_CHANGED
            assert await _methods_within(to_bob, QUIET_SECONDS) == []
            assert await _methods_within(to_alice, 0) == []
            assert await _methods_within(to_carol, 0) == []

            # Finance loses its resources but keeps its prompt: carol hears of resources only.
            without_finance_reads = "".join(
                line
                for line in policy.read_text(encoding="utf-8").splitlines(keepends=True)
                if not line.startswith("p, role:finance, demo/resources/")
            )
            replace_atomically(policy, without_finance_reads)
            with anyio.fail_after(5):
                assert (await to_carol.receive())["method"] == RESOURCES_CHANGED
            assert await _methods_within(to_carol, QUIET_SECONDS) == []
            for inbox in (to_alice, to_bob, to_bob_elsewhere):
                assert await _methods_within(inbox, 0) == []
        listed = await bob.request("tools/list")
        assert "demo__get_forecast" in {tool["name"] for tool in listed["result"]["tools"]}
        resources = await carol.request("resources/list")
        assert resources["result"]["resources"] == []


async def test_an_upstream_list_change_reaches_only_those_who_can_see_the_difference(
    issuer: RunningIssuer, policy_dir: Path, tmp_path: Path
) -> None:
    """The stdio upstream announces a new tool on its one shared connection.

    A gateway of the test's own: the tool it adds to the upstream cannot be taken away."""
    with reloading_gateway(tmp_path, issuer, policy_dir) as gateway:
        async with httpx.AsyncClient(timeout=20) as http:
            alice = RawSession(http, gateway.url, token(issuer, gateway, "alice"))
            bob = RawSession(http, gateway.url, token(issuer, gateway, "bob"))
            for session in (alice, bob):
                await session.initialize()
            async with alice.listen() as to_alice, bob.listen() as to_bob:
                added = await alice.request(
                    "tools/call", {"name": "demo__add_dynamic_tool", "arguments": {"name": "fresh"}}
                )
                assert "result" in added
                with anyio.fail_after(5):
                    assert (await to_alice.receive())["method"] == TOOLS_CHANGED
                # Alice's prompts and resources did not change, and bob's viewer role
                # names its tools one by one: neither hears anything more.
                assert await _methods_within(to_alice, QUIET_SECONDS) == []
                assert await _methods_within(to_bob, 0) == []
            listed = await alice.request("tools/list")
            assert "demo__fresh" in {tool["name"] for tool in listed["result"]["tools"]}
