"""A gateway process in front of the chatty upstream (tests/support/chatty.py), per transport."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import warm
from tests.support.gateway import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    GatewayProcess,
    free_port,
    gateway_config,
    running_gateway,
)
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT

POLICY = Path(__file__).with_name("policy.csv")
CHATTY_MODULE = "tests.support.chatty_wire"

Mint = Callable[..., str]


@contextlib.contextmanager
def running_chatty_http(*args: str) -> Iterator[str]:
    """The chatty upstream over Streamable HTTP as a process; yields its URL once it printed it."""
    process = warm.start(
        [sys.executable, "-m", CHATTY_MODULE, "http", *args], cwd=PROJECT_ROOT, stdout=subprocess.PIPE
    )
    url: list[str] = []
    ready = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.startswith("READY "):
            url.append(line.split(" ", 1)[1].strip())
        ready.set()
        for _ in process.stdout:
            pass

    threading.Thread(target=read_stdout, daemon=True).start()
    try:
        if not ready.wait(START_TIMEOUT) or not url:
            raise RuntimeError("chatty upstream did not start")
        yield url[0]
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def chatty_upstream(transport: str, *args: str) -> Iterator[dict[str, Any]]:
    """The `upstreams.chatty` config entry of a fresh chatty upstream over `transport`."""
    if transport == "stdio":
        yield {
            "transport": "stdio",
            "command": sys.executable,
            "args": ["-m", CHATTY_MODULE, "stdio", *args],
            "cwd": PROJECT_ROOT,
        }
        return
    with running_chatty_http(*args) as url:
        yield {"transport": "streamable-http", "url": url}


def chatty_gateway_config(tmp_path: Path, issuer: RunningIssuer, upstream: dict[str, Any]) -> dict[str, Any]:
    return gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={"chatty": upstream},
        policy={"file": str(POLICY)},
    )


def minter(issuer: RunningIssuer, audience: str) -> Mint:
    def mint_token(subject: str, **options: object) -> str:
        return issuer.issuer.mint(subject, audience=audience, **options)  # type: ignore[arg-type]

    return mint_token


@contextlib.contextmanager
def chatty_gateway(
    transport: str, request: pytest.FixtureRequest, issuer: RunningIssuer, tmp_path: Path
) -> Iterator[GatewayProcess]:
    """A gateway in front of a chatty upstream started with no arguments: over stdio the
    folder's shared one, over HTTP one of its own.

    Over HTTP the chatty process exits when a `roots/list` it sent after `initialized` goes
    unanswered for ten seconds (the failure ends the task group every session runs in), which
    a gateway kept for both modules' tests met; so each module has its own there."""
    if transport == "stdio":
        yield request.getfixturevalue("chatty_stdio_gateway")
        return
    with (
        chatty_upstream(transport) as upstream,
        running_gateway(chatty_gateway_config(tmp_path, issuer, upstream), tmp_path) as running,
    ):
        yield running


@pytest.fixture(scope="package")
def chatty_stdio_gateway(
    issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """Shared by the folder's tests that connect afresh. What they leave behind: the upstream's
    pass counter, which only grows and is read as a lower bound; the capability sets the
    gateway keeps a catalog of and has probed, each of which lists the same whatever other
    sets are kept; and refreshes brought by `announce`'s list changes, which list the same
    tools again, as the chatty upstream's lists never change."""
    tmp_path = tmp_path_factory.mktemp("chatty-stdio")
    with (
        chatty_upstream("stdio") as upstream,
        running_gateway(chatty_gateway_config(tmp_path, issuer, upstream), tmp_path) as running,
    ):
        yield running


@pytest.fixture(scope="module", params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)
