"""Search results follow a user's permitted set as soon as the policy changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.reload.conftest import (
    BASE_POLICY,
    MODEL,
    poll,
    readyz,
    reloading_gateway,
    replace_atomically,
    token,
    version_of,
)
from tests.support.clients import mcp_client
from tests.support.issuer import RunningIssuer

FORECAST_FOR_VIEWERS = BASE_POLICY + "p, role:viewer, demo/tools/get_forecast, call, allow\n"


async def test_search_results_change_after_a_policy_reload(issuer: RunningIssuer, tmp_path: Path) -> None:
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    shutil.copy(MODEL, policy_dir / "model.conf")
    (policy_dir / "policy.csv").write_text(BASE_POLICY, encoding="utf-8")
    with reloading_gateway(tmp_path, issuer, policy_dir, discovery={"mode": "search"}) as gateway:
        async with mcp_client(gateway.url, token(issuer, gateway, "bob")) as bob:

            async def forecast_found() -> bool:
                result = await bob.call_tool("find_tools", {"query": "weather forecast", "limit": 10})
                assert result.structured_content is not None
                return "demo__get_forecast" in {tool["name"] for tool in result.structured_content["tools"]}

            assert not await forecast_found()
            replace_atomically(policy_dir / "policy.csv", FORECAST_FOR_VIEWERS)
            expected = version_of(policy_dir)

            async def reloaded() -> bool:
                return bool(readyz(gateway)["policy"] == expected)

            await poll(reloaded, 20, "the policy reload")
            assert await forecast_found()
            result = await bob.call_tool(
                "call_tool", {"name": "demo__get_forecast", "arguments": {"city": "Oslo"}}
            )
            assert not result.is_error
