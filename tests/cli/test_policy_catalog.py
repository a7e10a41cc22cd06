"""`authz-mcp catalog --user U [--group G ...]`: exactly what U would discover, per upstream."""

from __future__ import annotations

from pathlib import Path

from tests.cli.examples import EXAMPLE_POLICY
from tests.cli.runner import demo_upstream, run_cli, write_config
from tests.support.gateway import free_port


def test_an_analyst_discovers_the_read_only_tools_and_every_document_but_payroll(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("catalog", "--config", str(config), "--user", "dana", "--group", "analytics")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "demo",
        "  tool      demo__get_forecast",
        "  tool      demo__search_docs",
        "  prompt    demo__summarize",
        "  resource  demo://docs/readme",
        "  resource  demo://docs/handbook",
        "  template  demo://users/{user_id}/profile",
    ]


def test_a_stranger_discovers_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("catalog", "--config", str(config), "--user", "mallory")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["demo", "  (nothing)"]


def test_an_unavailable_upstream_is_named_and_exits_1(tmp_path: Path) -> None:
    down = {"transport": "streamable-http", "url": f"http://127.0.0.1:{free_port()}/mcp"}
    config = write_config(tmp_path, policy=EXAMPLE_POLICY, upstreams={"demo": demo_upstream(), "down": down})
    result = run_cli("catalog", "--config", str(config), "--user", "alice")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "demo"
    assert result.stdout.splitlines()[-1] == "down: unavailable"
    assert result.stderr.splitlines()[-1] == "authz-mcp: upstreams unavailable: down"
