"""`authz-mcp demo`: a working gateway out of the box, with a token per demo user."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from authz_mcp.errors import INVALID_PARAMS
from tests.support import warm
from tests.support.clients import mcp_client
from tests.support.gateway import free_port, wait_until
from tests.support.upstreams import PROJECT_ROOT

START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
BANNER_END = "Stop with Ctrl-C"
USER_LINE = re.compile(r"^ {2}(\w+) \(")
TOKEN_LINE = re.compile(r"^ {4}token: (\S+)$")


@dataclass
class Demo:
    process: warm.WarmProcess
    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


def parse_tokens(banner: list[str]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    user = None
    for line in banner:
        if named := USER_LINE.match(line):
            user = named.group(1)
        elif (token := TOKEN_LINE.match(line)) and user is not None:
            tokens[user] = token.group(1)
    return tokens


EXAMPLE = Path(PROJECT_ROOT) / "examples" / "demo"


def example_copy(folder: Path) -> Path:
    """The repository's demo config, policy and model, copied with a free issuer port."""
    folder.mkdir()
    for name in ("model.conf", "policy.csv"):
        shutil.copy(EXAMPLE / name, folder / name)
    issuer = f"http://127.0.0.1:{free_port()}"
    text = (EXAMPLE / "gateway.yaml").read_text(encoding="utf-8").replace("http://127.0.0.1:8079", issuer)
    (folder / "gateway.yaml").write_text(text, encoding="utf-8")
    return folder / "gateway.yaml"


@contextlib.contextmanager
def running_demo(config: Path | None = None) -> Iterator[Demo]:
    """The demo as a process; yields once the banner is printed and the gateway listens."""
    port = free_port()
    with_config = ["--config", str(config)] if config is not None else []
    process = warm.start(
        [sys.executable, "-m", "authz_mcp", "demo", "--port", str(port), *with_config],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    demo = Demo(process, f"http://127.0.0.1:{port}/mcp")
    banner: list[str] = []
    banner_done, listening = threading.Event(), threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if not banner_done.is_set():
                banner.append(line.rstrip("\n"))
                if BANNER_END in line:
                    banner_done.set()
        banner_done.set()

    def read_stderr() -> None:
        # The banner is printed just before the server binds; its "ready at" log line
        # says when connections are accepted.
        assert process.stderr is not None
        for line in process.stderr:
            demo.log.append(line.rstrip("\n"))
            if " ready at " in line:
                listening.set()
        listening.set()

    readers = [threading.Thread(target=read, daemon=True) for read in (read_stdout, read_stderr)]
    for reader in readers:
        reader.start()
    try:
        started = banner_done.wait(START_TIMEOUT) and listening.wait(START_TIMEOUT)
        if not started or process.poll() is not None:
            raise RuntimeError("demo did not start:\n" + "\n".join(banner + demo.log[-30:]))
        demo.tokens = parse_tokens(banner)
        yield demo
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
        for reader in readers:
            reader.join(STOP_TIMEOUT)


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    with running_demo() as running:
        yield running


def test_demo_prints_a_token_for_each_demo_user(demo: Demo) -> None:
    assert set(demo.tokens) == {"alice", "bob", "carol"}
    assert len(set(demo.tokens.values())) == 3


async def test_alice_sees_and_bob_cannot_see_or_call_delete_record(demo: Demo) -> None:
    async with mcp_client(demo.url, demo.tokens["alice"]) as alice:
        assert "demo__delete_record" in {tool.name for tool in (await alice.list_tools()).tools}
    async with mcp_client(demo.url, demo.tokens["bob"]) as bob:
        tools = {tool.name for tool in (await bob.list_tools()).tools}
        assert "demo__echo" in tools
        assert "demo__delete_record" not in tools
        with pytest.raises(MCPError) as denied:
            await bob.call_tool("demo__delete_record", {"record_id": "7"})
        assert denied.value.error.code == INVALID_PARAMS


async def test_carol_sees_only_the_payroll_resource(demo: Demo) -> None:
    async with mcp_client(demo.url, demo.tokens["carol"]) as carol:
        resources = await carol.list_resources()
    assert [str(resource.uri) for resource in resources.resources] == ["demo://finance/payroll"]


def stopped_by(stop: signal.Signals) -> tuple[int, list[str]]:
    """(exit code, log) of a demo sent `stop`; fails unless it exits within STOP_TIMEOUT."""
    with running_demo() as demo:
        demo.process.send_signal(stop)
        try:
            code = demo.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"demo still running {STOP_TIMEOUT}s after {stop.name}")
    return code, demo.log


def test_demo_exits_0_promptly_on_ctrl_c() -> None:
    code, log = stopped_by(signal.SIGINT)
    assert code == 0
    assert not any("Traceback" in line for line in log)


def test_demo_stops_promptly_on_sigterm() -> None:
    code, log = stopped_by(signal.SIGTERM)
    assert code in (0, -signal.SIGTERM)
    assert not any("Traceback" in line for line in log)


def test_demo_shuts_down_cleanly_on_sigterm() -> None:
    code, _log = stopped_by(signal.SIGTERM)
    assert code == 0


@pytest.mark.parametrize("name", ["policy.csv", "model.conf"])
def test_demo_ships_the_repository_policy_files_unchanged(name: str) -> None:
    root = Path(PROJECT_ROOT)
    assert (root / "authz_mcp" / "demo" / name).read_bytes() == (EXAMPLE / name).read_bytes()
    assert (root / "policies" / name).read_bytes() == (EXAMPLE / name).read_bytes()


async def test_the_demo_from_its_config_file_reloads_an_edited_policy(tmp_path: Path) -> None:
    config = example_copy(tmp_path / "demo")
    policy = config.with_name("policy.csv")
    with running_demo(config) as demo:
        async with mcp_client(demo.url, demo.tokens["carol"]) as carol:
            assert [str(r.uri) for r in (await carol.list_resources()).resources] == [
                "demo://finance/payroll"
            ]
            policy.write_text(
                policy.read_text(encoding="utf-8") + "g, carol, role:viewer\n", encoding="utf-8"
            )
            wait_until(lambda: any("policy reloaded" in line for line in demo.log), 10, "the reload")
            uris = {str(r.uri) for r in (await carol.list_resources()).resources}
    assert "demo://docs/readme" in uris


def test_try_it_with_a_bad_token_is_one_line(demo: Demo) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "authz_mcp.demo.try_it", demo.url, "not-a-token"],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"try_it: {demo.url}: refused: The access token is invalid"]
