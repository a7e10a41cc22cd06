"""`authz-mcp init`: starter files that `check` accepts, asking only for what it cannot guess."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.cli.runner import one_error_line, run_cli

ISSUER = "https://idp.example.com/realms/acme"
# Some tests run the command line three or four times; each run is bounded by RUN_TIMEOUT.
pytestmark = pytest.mark.timeout(300)


def init(folder: Path, *args: str) -> None:
    result = run_cli("init", "--dir", str(folder), "--issuer", ISSUER, "--admin", "alice", *args)
    assert result.returncode == 0, result.stderr


def test_init_writes_a_config_policy_and_model_that_check_accepts(tmp_path: Path) -> None:
    init(tmp_path, "--command", f"{sys.executable} -m authz_mcp.demo.server stdio", "--name", "demo")

    config = yaml.safe_load((tmp_path / "gateway.yaml").read_text(encoding="utf-8"))
    assert config["upstreams"] == {
        "demo": {
            "transport": "stdio",
            "command": sys.executable,
            "args": ["-m", "authz_mcp.demo.server", "stdio"],
        }
    }
    assert config["auth"]["jwt"]["issuer"] == ISSUER
    assert "g, alice, role:admin" in (tmp_path / "policy.csv").read_text(encoding="utf-8")
    checked = run_cli("check", "--config", str(tmp_path / "gateway.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == f"{tmp_path / 'gateway.yaml'}: ok (1 upstreams)"


@pytest.mark.parametrize(
    ("server", "name"),
    [
        (("--command", "npx -y @modelcontextprotocol/server-filesystem /srv/docs"), "filesystem"),
        (("--command", "uvx mcp-server-git --repository ."), "git"),
        (("--url", "http://tickets.internal:3001/mcp"), "tickets-internal"),
    ],
)
def test_the_upstream_name_is_guessed_from_the_server(
    tmp_path: Path, server: tuple[str, str], name: str
) -> None:
    init(tmp_path, *server)
    config = yaml.safe_load((tmp_path / "gateway.yaml").read_text(encoding="utf-8"))
    assert list(config["upstreams"]) == [name]
    assert f"{name}/tools/*" in (tmp_path / "policy.csv").read_text(encoding="utf-8")


def test_without_a_terminal_a_missing_answer_is_one_line_naming_its_flag(tmp_path: Path) -> None:
    line = one_error_line(run_cli("init", "--dir", str(tmp_path), "--url", "http://127.0.0.1:3001/mcp"))
    assert "--issuer" in line
    assert not (tmp_path / "gateway.yaml").exists()


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "policy.csv").write_text("# mine\n", encoding="utf-8")
    line = one_error_line(run_cli("init", "--dir", str(tmp_path), "--url", "http://127.0.0.1:3001/mcp"))
    assert "--force" in line
    assert (tmp_path / "policy.csv").read_text(encoding="utf-8") == "# mine\n"
    init(tmp_path, "--url", "http://127.0.0.1:3001/mcp", "--force")
    assert "role:admin" in (tmp_path / "policy.csv").read_text(encoding="utf-8")
