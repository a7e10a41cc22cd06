"""The official MCP conformance suite gives the same verdicts through the gateway as directly.

The fixture is tests/conformance/fixture_server.py, the server the suite's scenarios expect,
over Streamable HTTP (both eras). Directly, the
suite talks to it; through the gateway, it talks to the gateway (names unprefixed, one user
allowed everything) via a proxy that adds that user's bearer token, since the suite sends no
credentials. Every scenario must get the same verdict: the gateway may not lose what the
server passes, nor pass what it fails.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.suite import Verdict, run_server_scenarios
from tests.support import warm
from tests.support.gateway import free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT

USER = "conformance"
POLICY = """\
p, conformance, fixture/tools/*, call, allow
p, conformance, fixture/prompts/*, get, allow
p, conformance, fixture/resources/*, read, allow
"""
# Checks of the 2026-07-28 run that must also agree one by one: the ones a gateway is prone to
# break (its own version error, list changes relayed onto a subscriptions/listen stream).
SAME_CHECKS = {
    "sep-2575-server-unsupported-version-error",
    "sep-2575-server-sends-tools-list-changed-on-subscription",
    "sep-2575-server-sends-prompts-list-changed-on-subscription",
}
RUNS = {
    "0.1": (),
    "0.2-2025-11-25": ("--requirements", "2025-11-25"),
    "0.2-2026-07-28": ("--requirements", "2026-07-28"),
}


@pytest.fixture(scope="module")
def fixture_url() -> Iterator[str]:
    with _ready_process("tests.conformance.fixture_server") as url:
        yield url


@pytest.fixture(scope="module")
def gateway_url(
    issuer: RunningIssuer, fixture_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("conformance")
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={"fixture": {"transport": "streamable-http", "url": fixture_url, "prefix": ""}},
        policy={"file": str(policy)},
    )
    with running_gateway(config, tmp_path) as gateway:
        token_file = tmp_path / "token"
        token_file.write_text(issuer.issuer.mint(USER, audience=gateway.url), encoding="utf-8")
        with _bearer_proxy(gateway.base_url, token_file) as proxy:
            yield f"{proxy}/mcp"


@contextlib.contextmanager
def _bearer_proxy(target: str, token_file: Path) -> Iterator[str]:
    with _ready_process(
        "tests.conformance.bearer_proxy", "--target", target, "--token-file", str(token_file)
    ) as url:
        yield url


@contextlib.contextmanager
def _ready_process(module: str, *args: str) -> Iterator[str]:
    """`python -m module args`, once it printed its READY line: the URL it named."""
    process = warm.start(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"{module} did not start")
        yield line.split(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(10)


def _differences(direct: dict[str, Verdict], gateway: dict[str, Verdict]) -> list[str]:
    """Scenarios whose verdict differs, each with the checks that failed or warned on either side."""
    lines = []
    for scenario in sorted(direct.keys() | gateway.keys()):
        mine, theirs = gateway.get(scenario), direct.get(scenario)
        if mine is None or theirs is None or mine.passed != theirs.passed:
            lines.append(f"{scenario}: direct {theirs}, through the gateway {mine}")
    return lines


@pytest.mark.timeout(900)
@pytest.mark.parametrize("run", sorted(RUNS))
def test_every_scenario_gets_the_same_verdict_through_the_gateway_as_directly(
    fixture_url: str, gateway_url: str, tmp_path: Path, run: str
) -> None:
    version = run[:3]
    direct = run_server_scenarios(version, fixture_url, tmp_path / "direct", *RUNS[run])
    through = run_server_scenarios(version, gateway_url, tmp_path / "gateway", *RUNS[run])
    assert _differences(direct, through) == []
    if run == "0.2-2026-07-28":
        assert _watched(through["server-stateless"]) == _watched(direct["server-stateless"]) == set()


def _watched(verdict: Verdict) -> set[tuple[str, str]]:
    return {check for check in verdict.not_passing if check[0] in SAME_CHECKS}
