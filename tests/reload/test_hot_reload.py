"""A valid edit of the policy files takes effect within a second, and no call in flight fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.reload.conftest import (
    BASE_POLICY,
    EDITS,
    Reloading,
    poll,
    readyz,
    token,
    version_of,
)
from tests.support.gateway import wait_until
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession

FORECAST_FOR_VIEWERS = BASE_POLICY + "p, role:viewer, demo/tools/get_forecast, call, allow\n"
NO_ADD_FOR_VIEWERS = BASE_POLICY + "p, role:viewer, demo/tools/add, call, deny\n"
CALLERS = 6


async def _tool_names(session: RawSession) -> set[str]:
    listed = await session.request("tools/list")
    return {tool["name"] for tool in listed["result"]["tools"]}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
async def test_a_valid_edit_applies_within_a_second_while_concurrent_calls_all_succeed(
    issuer: RunningIssuer, reloading: Reloading, edit: Callable[[Path, str], None]
) -> None:
    gateway, policy_dir = reloading.gateway, reloading.policy_dir
    policy = policy_dir / "policy.csv"
    async with httpx.AsyncClient(timeout=20) as http:
        bob = RawSession(http, gateway.url, token(issuer, gateway, "bob"))
        callers = [RawSession(http, gateway.url, token(issuer, gateway, "bob")) for _ in range(CALLERS)]
        for session in (bob, *callers):
            await session.initialize()
        assert "demo__get_forecast" not in await _tool_names(bob)
        replies: list[dict[str, Any]] = []
        done = anyio.Event()

        async def keep_calling(session: RawSession) -> None:
            while not done.is_set():
                arguments = {"text": f"call {len(replies)}"}
                replies.append(
                    await session.request("tools/call", {"name": "demo__echo", "arguments": arguments})
                )

        async with anyio.create_task_group() as group:
            for session in callers:
                group.start_soon(keep_calling, session)
            edited_at = time.monotonic()
            edit(policy, FORECAST_FOR_VIEWERS)

            async def forecast_listed() -> bool:
                return "demo__get_forecast" in await _tool_names(bob)

            await poll(forecast_listed, 5, "the edit to reach bob's list")
            took = time.monotonic() - edited_at
            # More reloads under the same load: back and forth between two versions.
            for text in (BASE_POLICY, FORECAST_FOR_VIEWERS, BASE_POLICY):
                edit(policy, text)
                expected = version_of(policy_dir)

                async def applied(expected: str = expected) -> bool:
                    return bool(readyz(gateway)["policy"] == expected)

                await poll(applied, 5, "the policy version to follow the edit")
            calls_at_last_edit = len(replies)

            async def called_on() -> bool:
                # Calls go on under the last version: as many more as there are callers.
                return len(replies) >= calls_at_last_edit + CALLERS

            await poll(called_on, 5, "calls to go on after the last edit")
            done.set()
    assert took < 1.0, f"the edit took {took:.2f} s to apply"
    failed = [reply for reply in replies if "result" not in reply or reply["result"].get("isError")]
    assert failed == []


async def test_a_call_the_edit_denies_is_refused_and_the_next_list_no_longer_shows_it(
    issuer: RunningIssuer, reloading: Reloading
) -> None:
    gateway, policy_dir = reloading.gateway, reloading.policy_dir
    audited = len(gateway.audit())
    async with httpx.AsyncClient(timeout=20) as http:
        bob = RawSession(http, gateway.url, token(issuer, gateway, "bob"))
        await bob.initialize()
        add = {"name": "demo__add", "arguments": {"a": 1, "b": 2}}
        assert "result" in await bob.request("tools/call", add)
        (policy_dir / "policy.csv").write_text(NO_ADD_FOR_VIEWERS, encoding="utf-8")
        expected = version_of(policy_dir)

        async def applied() -> bool:
            return bool(readyz(gateway)["policy"] == expected)

        await poll(applied, 5, "the deny to apply")
        refused = await bob.request("tools/call", add)
        assert refused["error"]["code"] == -32602
        assert "demo__add" not in await _tool_names(bob)
        assert "demo__echo" in await _tool_names(bob)
    deny_line = len(BASE_POLICY.splitlines()) + 1
    reason = f"{policy_dir / 'policy.csv'}:{deny_line}: p, role:viewer, demo/tools/add, call, deny"

    def denial_reasons() -> list[str]:
        # The gateway is shared and still running: only this test's audit lines count, and
        # the last of them may land just after its reply.
        return [line["reason"] for line in gateway.audit()[audited:] if line["decision"] == "deny"]

    wait_until(lambda: reason in denial_reasons(), 5, "the denial's audit line")
    assert reason in denial_reasons()
