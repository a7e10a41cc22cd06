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

from tests.support.gateway import START_TIMEOUT, STOP_TIMEOUT, free_port, gateway_config
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT

POLICY = Path(__file__).with_name("policy.csv")
CHATTY_MODULE = "tests.support.chatty_wire"

Mint = Callable[..., str]


@contextlib.contextmanager
def running_chatty_http(*args: str) -> Iterator[str]:
    """The chatty upstream over Streamable HTTP as a process; yields its URL once it printed it."""
    process = subprocess.Popen(
        [sys.executable, "-m", CHATTY_MODULE, "http", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
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


@pytest.fixture(scope="module", params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)
