"""An invalid edit keeps the last good policy and says where it is wrong; SIGHUP reloads too."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.reload.conftest import (
    BASE_POLICY,
    EDITS,
    Reloading,
    readyz,
    reloading_gateway,
    token,
    version_of,
)
from tests.support.gateway import GatewayProcess, wait_until
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession

GRANT_FORECAST = "p, role:viewer, demo/tools/get_forecast, call, allow\n"


def _break_policy(policy_dir: Path, edit: Callable[[Path, str], None]) -> str:
    path = policy_dir / "policy.csv"
    edit(path, BASE_POLICY + GRANT_FORECAST + "p, role:viewer, demo/tools/add, call, permit\n")
    return f"{path}:{len(BASE_POLICY.splitlines()) + 2}: "


def _break_lint(policy_dir: Path, edit: Callable[[Path, str], None]) -> str:
    """A rule that loads but names no configured upstream: startup refuses it, so must a reload."""
    path = policy_dir / "policy.csv"
    edit(path, BASE_POLICY + GRANT_FORECAST + "p, role:viewer, dmeo/tools/add, call, deny\n")
    return f"{path}:{len(BASE_POLICY.splitlines()) + 2}: error: unknown upstream 'dmeo'"


def _break_model(policy_dir: Path, edit: Callable[[Path, str], None]) -> str:
    path = policy_dir / "model.conf"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(index for index, line in enumerate(lines, start=1) if line.startswith("e = "))
    lines[number - 1] = "e = some(where (p.eft == permit))"
    edit(path, "\n".join(lines) + "\n")
    return f"{path}:{number}: "


def _rejection(gateway: GatewayProcess) -> str | None:
    error: str | None = readyz(gateway)["policy_reload"]["error"]
    return error


@pytest.mark.parametrize(
    "breaks", [_break_policy, _break_lint, _break_model], ids=["policy", "lint", "model"]
)
@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
async def test_an_invalid_edit_keeps_the_last_good_policy_and_reports_file_and_line(
    issuer: RunningIssuer,
    reloading: Reloading,
    edit: Callable[[Path, str], None],
    breaks: Callable[[Path, Callable[[Path, str], None]], str],
) -> None:
    gateway, policy_dir = reloading.gateway, reloading.policy_dir
    logged = len(gateway.log)
    good = readyz(gateway)["policy"]
    where = breaks(policy_dir, edit)
    wait_until(lambda: _rejection(gateway) is not None, 5, "the edit to be rejected")
    ready = httpx.get(f"{gateway.base_url}/readyz", timeout=10)
    assert ready.status_code == 200
    body = ready.json()
    assert body["policy"] == good
    assert body["policy_reload"]["error"].startswith(where)
    # The gateway is shared: only this test's log lines count.
    assert any(where in line for line in gateway.log[logged:])
    async with httpx.AsyncClient(timeout=20) as http:
        bob = RawSession(http, gateway.url, token(issuer, gateway, "bob"))
        await bob.initialize()
        listed = await bob.request("tools/list")
        assert "demo__get_forecast" not in {tool["name"] for tool in listed["result"]["tools"]}
        echoed = await bob.request("tools/call", {"name": "demo__echo", "arguments": {"text": "still"}})
        assert "still" in str(echoed["result"])

    (policy_dir / "model.conf").write_text(
        (Path(__file__).parents[2] / "policies" / "model.conf").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    edit(policy_dir / "policy.csv", BASE_POLICY + GRANT_FORECAST)
    fixed = version_of(policy_dir)
    wait_until(lambda: readyz(gateway)["policy"] == fixed, 5, "the fixed policy to load")
    assert _rejection(gateway) is None


def test_sighup_reloads_the_files_when_watching_is_off(
    issuer: RunningIssuer, policy_dir: Path, tmp_path: Path
) -> None:
    with reloading_gateway(tmp_path, issuer, policy_dir, policy={"watch": False}) as gateway:
        (policy_dir / "policy.csv").write_text(BASE_POLICY + GRANT_FORECAST, encoding="utf-8")
        expected = version_of(policy_dir)
        gateway.process.send_signal(signal.SIGHUP)
        wait_until(lambda: readyz(gateway)["policy"] == expected, 5, "SIGHUP to reload the policy")
        status = readyz(gateway)["policy_reload"]
        assert status["trigger"] == "SIGHUP"
        assert status["version"] == expected
        assert gateway.process.poll() is None
