"""The README, run: its shell commands against a running demo gateway, its Python snippet as
pasted, its config and policy blocks through the real loaders, its client configs parsed (and the
mcp-remote one driven against the demo).

The only edits made to what the README says: the demo's port (a free one instead of 8080) and
the printed token in place of `eyJhbGciOi...`; everything runs in a copy of the repository's
`examples/` and `policies/` folders, so the demo's policy edits and token store stay there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from authz_mcp.config import parse_config
from authz_mcp.policy import PolicyEngine
from tests.cli.test_demo import Demo, running_demo
from tests.readme.blocks import Block, blocks, shell_commands
from tests.support.gateway import free_port, wait_until
from tests.support.upstreams import PROJECT_ROOT

ROOT = Path(PROJECT_ROOT)
RUN_TIMEOUT = 300.0
# Each test runs several commands, some of which start the upstream; each is bounded by
# RUN_TIMEOUT, the test as a whole by this.
pytestmark = pytest.mark.timeout(600)
NODE_BIN = ROOT / "tests" / "interop" / "node" / "node_modules" / ".bin"
PRINTED_TOKEN = "eyJhbGciOi..."

# Shell blocks not run here, by their first command, each with the reason.
NOT_RUN = {
    "./scripts/demo": "the demo fixture runs what it execs: authz-mcp demo --config <the copy>",
    "source .venv/bin/activate": "the commands run with .venv/bin first on PATH, which is what it does",
    "./scripts/test": "it is this suite",
    "authz-mcp init": "the reader's own gateway.yaml; the walk-through runs init, check and catalog",
    "IDP_TOKEN=...": "needs a real identity provider at mcp.example.com",
    ".venv/bin/python -m bench.run": "benchmarks are not run by the test suite",
    "docker build -f deploy/Dockerfile -t authz-mcp .": (
        "tests/deploy builds and runs the image (scripts/test-image) and renders the manifests"
    ),
}


def sh_blocks() -> list[Block]:
    return [block for block in blocks() if block.language == "sh"]


def first_command(block: Block) -> str:
    return shell_commands(block)[0]


def is_not_run(block: Block) -> bool:
    return first_command(block) in NOT_RUN


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with copies of `examples/` and `policies/`, the demo's issuer on a free port."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", folder / "examples")
    shutil.copytree(ROOT / "policies", folder / "policies")
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (folder / "examples" / "demo" / name).unlink(missing_ok=True)
    config = folder / "examples" / "demo" / "gateway.yaml"
    issuer = f"http://127.0.0.1:{free_port()}"
    config.write_text(
        config.read_text(encoding="utf-8").replace("http://127.0.0.1:8079", issuer), encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def demo(project: Path) -> Iterator[Demo]:
    with running_demo(project / "examples" / "demo" / "gateway.yaml") as running:
        yield running


def port_of(demo: Demo) -> str:
    return demo.url.rsplit(":", 1)[1].split("/", 1)[0]


def run_block(block: Block, demo: Demo, cwd: Path, token: str) -> subprocess.CompletedProcess[str]:
    script = "set -euo pipefail\n" + "\n".join(shell_commands(block))
    script = script.replace(PRINTED_TOKEN, token).replace("127.0.0.1:8080", f"127.0.0.1:{port_of(demo)}")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def section_blocks(section: str, language: str = "sh") -> list[Block]:
    return [block for block in blocks() if block.section == section and block.language == language]


def test_every_shell_block_is_run_or_says_why_not() -> None:
    ran = {block.line for section in RUN_SECTIONS for block in section_blocks(section)}
    walk = {block.line for block in section_blocks(WALK_THROUGH)}
    for block in sh_blocks():
        assert block.line in ran | walk or is_not_run(block), (
            f"README.md:{block.line} is neither run nor excused"
        )


RUN_SECTIONS = ("Trying the demo", "Admin commands", "Personal access tokens")
WALK_THROUGH = "Your own server in five minutes"


def test_the_quick_start_commands_do_what_the_readme_says(demo: Demo, project: Path) -> None:
    try_it, edit, admin, tokens = [b for b in section_blocks("Trying the demo")]
    seen = run_block(try_it, demo, project, demo.tokens["bob"])
    assert seen.returncode == 0, seen.stderr
    assert "call demo__echo: hello" in seen.stdout
    assert "call demo__delete_record: refused" in seen.stdout

    answered = run_block(admin, demo, project, "")
    assert answered.returncode == 0, answered.stderr
    assert "bob call demo/tools/delete_record: deny" in answered.stdout
    assert "0 failed" in answered.stdout
    assert "resource  demo://finance/payroll" in answered.stdout

    carol = run_block(try_it, demo, project, demo.tokens["carol"])
    assert "demo://docs/readme" not in carol.stdout
    assert run_block(edit, demo, project, "").returncode == 0
    reloaded(demo, 1)
    carol = run_block(try_it, demo, project, demo.tokens["carol"])
    assert "demo://docs/readme" in carol.stdout
    # As `git checkout examples/demo/policy.csv` would.
    shutil.copy(ROOT / "examples" / "demo" / "policy.csv", project / "examples" / "demo" / "policy.csv")
    reloaded(demo, 2)

    personal = run_block(tokens, demo, project, "")
    assert personal.returncode == 0, personal.stderr
    assert "call demo__echo: hello" in personal.stdout
    assert "demo/tools/*" in personal.stdout


def reloaded(demo: Demo, count: int) -> None:
    wait_until(lambda: sum("policy reloaded" in line for line in demo.log) >= count, 20, "the reload")


@pytest.mark.parametrize("section", ["Admin commands", "Personal access tokens"])
def test_the_admin_and_token_commands_run_against_the_demo_config(
    demo: Demo, project: Path, section: str
) -> None:
    for block in section_blocks(section):
        if is_not_run(block):
            continue
        commands = [command for command in shell_commands(block) if "<" not in command]
        runnable = Block(block.language, "\n".join(commands) + "\n", block.section, block.line)
        result = run_block(runnable, demo, project, "")
        assert result.returncode == 0, f"README.md:{block.line}: {result.stderr}"


def test_the_python_sdk_snippet_runs_as_pasted(demo: Demo, project: Path) -> None:
    [snippet] = [block for block in blocks() if block.language == "python"]
    code = snippet.text.replace("127.0.0.1:8080", f"127.0.0.1:{port_of(demo)}")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "MCP_TOKEN": demo.tokens["bob"]},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "'demo__echo'" in result.stdout
    assert "demo__delete_record" not in result.stdout


def client_configs() -> dict[str, Any]:
    configs = [json.loads(block.text) for block in section_blocks("Connecting clients", "json")]
    claude_desktop, claude_code, vscode, cursor = configs
    return {"claude-desktop": claude_desktop, "claude-code": claude_code, "vscode": vscode, "cursor": cursor}


def test_each_client_config_has_its_clients_documented_shape() -> None:
    configs = client_configs()
    desktop = configs["claude-desktop"]["mcpServers"]["authz-mcp"]
    assert desktop["command"] == "npx"
    assert desktop["args"][:3] == ["-y", "mcp-remote", "http://127.0.0.1:8080/mcp"]
    assert desktop["args"][3:] == ["--header", "Authorization:${AUTHZ_MCP_AUTH}"]
    assert desktop["env"]["AUTHZ_MCP_AUTH"].startswith("Bearer ")
    code = configs["claude-code"]["mcpServers"]["authz-mcp"]
    assert code == {
        "type": "http",
        "url": "http://127.0.0.1:8080/mcp",
        "headers": {"Authorization": "Bearer ${MCP_TOKEN}"},
    }
    vscode = configs["vscode"]
    [prompt] = vscode["inputs"]
    assert prompt["type"] == "promptString"
    assert prompt["password"] is True
    server = vscode["servers"]["authz-mcp"]
    assert server["type"] == "http"
    assert server["headers"]["Authorization"] == f"Bearer ${{input:{prompt['id']}}}"
    cursor = configs["cursor"]["mcpServers"]["authz-mcp"]
    assert set(cursor) == {"url", "headers"}
    assert cursor["headers"]["Authorization"].startswith("Bearer ")


@pytest.mark.skipif(not (NODE_BIN / "mcp-remote").exists(), reason="tests/interop/node is not installed")
async def test_claude_desktops_mcp_remote_config_reaches_the_demo(demo: Demo, tmp_path: Path) -> None:
    desktop = client_configs()["claude-desktop"]["mcpServers"]["authz-mcp"]
    args = [arg.replace("127.0.0.1:8080", f"127.0.0.1:{port_of(demo)}") for arg in desktop["args"]]
    assert args[:2] == ["-y", "mcp-remote"]
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(tmp_path),  # mcp-remote keeps its state in ~/.mcp-auth
        "AUTHZ_MCP_AUTH": desktop["env"]["AUTHZ_MCP_AUTH"].replace("<token>", demo.tokens["bob"]),
    }
    # `npx -y mcp-remote` runs the locally installed package: the same program, no download.
    server = StdioServerParameters(command=str(NODE_BIN / "mcp-remote"), args=args[2:], env=env)
    async with Client(stdio_client(server), mode="legacy") as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
    assert "demo__echo" in tools
    assert "demo__delete_record" not in tools


def test_the_config_and_policy_examples_load(tmp_path: Path) -> None:
    [config] = [b for b in section_blocks("Config", "yaml")]
    environ = {name: "k" * 32 for name in re.findall(r"\$\{(\w+)\}", config.text)}
    parse_config(yaml.safe_load(config.text), source="README", environ=environ)
    model = (ROOT / "policies" / "model.conf").read_text(encoding="utf-8")
    for block in [b for b in blocks() if b.language == "csv"]:
        PolicyEngine.from_text(model, block.text, policy_source=f"README.md:{block.line}")
    # Blocks with "…" show the shape of a longer document; the others are complete.
    for block in [b for b in blocks() if b.language in ("yaml", "json") and "…" not in b.text]:
        (yaml.safe_load if block.language == "yaml" else json.loads)(block.text)


@pytest.mark.skipif(
    not (NODE_BIN / "mcp-server-filesystem").exists(), reason="tests/interop/node is not installed"
)
def test_the_walk_through_puts_the_gateway_in_front_of_the_filesystem_server(
    demo: Demo, tmp_path: Path
) -> None:
    init, check_and_run = section_blocks(WALK_THROUGH)
    shared = tmp_path / "docs"
    shared.mkdir()
    (shared / "hello.txt").write_text("hi\n", encoding="utf-8")
    # npx finds the package in ./node_modules instead of downloading it.
    (tmp_path / "node_modules").symlink_to(NODE_BIN.parent)
    written = Block("sh", init.text.replace("/srv/docs", str(shared)), init.section, init.line)
    result = run_block(written, demo, tmp_path, "")
    assert result.returncode == 0, result.stderr
    commands = [c for c in shell_commands(check_and_run) if not c.startswith("authz-mcp serve")]
    checked = run_block(Block("sh", "\n".join(commands) + "\n", "", 0), demo, tmp_path, "")
    assert checked.returncode == 0, checked.stderr
    assert "  tool      filesystem__read_text_file\n" in checked.stdout
    [csv] = section_blocks(WALK_THROUGH, "csv")
    with (tmp_path / "policy.csv").open("a", encoding="utf-8") as policy:
        policy.write(csv.text)
    reader = run_block(
        Block("sh", "authz-mcp catalog --config gateway.yaml --user bob --group staff\n", "", 0),
        demo,
        tmp_path,
        "",
    )
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.split() == [
        "filesystem",
        "tool",
        "filesystem__read_text_file",
        "tool",
        "filesystem__list_directory",
    ]
