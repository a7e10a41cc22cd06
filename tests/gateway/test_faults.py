"""An upstream that dies mid-call costs that call only."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import anyio
import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.gateway.conftest import Mint
from tests.support.clients import call_outcome, mcp_client
from tests.support.gateway import GatewayProcess, child_pids, wait_until


def _demo_pid(gateway: GatewayProcess) -> int:
    for pid in child_pids(gateway.process.pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"authz_mcp.demo.server" in cmdline and b"stdio" in cmdline:
            return pid
    raise AssertionError("no stdio demo upstream under the gateway")


def _demo_ready(gateway: GatewayProcess) -> bool:
    ready = httpx.get(f"{gateway.base_url}/readyz", timeout=5).json()
    return bool(ready["upstreams"]["demo"])


async def test_stdio_upstream_killed_mid_call_fails_only_that_call(
    gateway: GatewayProcess, mint: Mint
) -> None:
    victim = _demo_pid(gateway)
    started = anyio.Event()
    outcome: list[object] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        started.set()

    async with mcp_client(gateway.url, mint("alice")) as alice, mcp_client(gateway.url, mint("bob")) as bob:

        async def long_call() -> None:
            try:
                outcome.append(
                    await alice.call_tool(
                        "demo__slow_task", {"steps": 100, "delay_ms": 100}, progress_callback=progress
                    )
                )
            except MCPError as exc:
                outcome.append(exc)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                group.start_soon(long_call)
                await started.wait()
                os.kill(victim, signal.SIGKILL)
            # The other upstream, and other users, carry on while demo restarts.
            echoed = await bob.call_tool("web__echo", {"text": "still here"})
        assert "still here" in echoed.content[0].model_dump()["text"]
        failed = outcome[0]
        assert isinstance(failed, MCPError) or getattr(failed, "is_error", False)

        await anyio.to_thread.run_sync(wait_until, lambda: _demo_ready(gateway), 20, "demo upstream restart")
        assert _demo_pid(gateway) != victim
        with anyio.fail_after(20):
            again = await alice.call_tool("demo__echo", {"text": "back"})
        assert "back" in again.content[0].model_dump()["text"]


@pytest.mark.parametrize("name", ["demo__echo", "web__echo"])
async def test_calls_with_bad_arguments_relay_the_upstream_error(
    gateway: GatewayProcess, mint: Mint, name: str
) -> None:
    async with mcp_client(gateway.url, mint("alice")) as alice:
        with anyio.fail_after(20):
            outcome = await call_outcome(alice.call_tool(name, {"wrong": 1}))
    assert outcome in ("tool error", -32602, -32603)
