"""Gateways whose policy files live in the test's own folder, so that tests can edit them.

Edits are made the two ways editors and deploy tools make them: written to a new
file renamed over the old one (atomic replace), or rewritten in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from authz_mcp.policy import PolicyEngine
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway, wait_until
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

# The gateway tests' policy without the rules for their `web` upstream, which these tests do
# not run (a rule naming an unconfigured upstream is an error `serve` refuses).
BASE_POLICY = "".join(
    line
    for line in (Path(__file__).parents[1] / "gateway" / "policy.csv")
    .read_text(encoding="utf-8")
    .splitlines(True)
    if ", web/" not in line
)
MODEL = Path(PROJECT_ROOT) / "policies" / "model.conf"


def replace_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_in_place(path: Path, text: str) -> None:
    with path.open("r+", encoding="utf-8") as file:
        file.truncate(0)
        file.write(text)


EDITS: dict[str, Callable[[Path, str], None]] = {
    "atomic-replace": replace_atomically,
    "in-place": write_in_place,
}


def _base_policy_dir(parent: Path) -> Path:
    folder = parent / "policies"
    folder.mkdir()
    shutil.copy(MODEL, folder / "model.conf")
    (folder / "policy.csv").write_text(BASE_POLICY, encoding="utf-8")
    return folder


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """The model and the test policy, copied to a folder of the test's own."""
    return _base_policy_dir(tmp_path)


def reload_config(tmp_path: Path, issuer: RunningIssuer, policy_dir: Path, **sections: Any) -> dict[str, Any]:
    command, args = demo_stdio_command()
    policy = {"model": str(policy_dir / "model.conf"), "file": str(policy_dir / "policy.csv")}
    return gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={"demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}},
        policy={**policy, **sections.pop("policy", {})},
        **sections,
    )


@contextlib.contextmanager
def reloading_gateway(
    tmp_path: Path, issuer: RunningIssuer, policy_dir: Path, **sections: Any
) -> Iterator[GatewayProcess]:
    with running_gateway(reload_config(tmp_path, issuer, policy_dir, **sections), tmp_path) as gateway:
        yield gateway


@dataclass(frozen=True)
class Reloading:
    """A running gateway and the policy folder it watches."""

    gateway: GatewayProcess
    policy_dir: Path


@pytest.fixture(scope="package")
def _shared_reloading(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reloading]:
    tmp_path = tmp_path_factory.mktemp("reload")
    folder = _base_policy_dir(tmp_path)
    with reloading_gateway(tmp_path, issuer, folder) as gateway:
        yield Reloading(gateway, folder)


@pytest.fixture
def reloading(_shared_reloading: Reloading) -> Reloading:
    """The folder's shared watching gateway, back on the base model and policy (whatever an
    earlier test left) with no rejected edit pending: each test starts from the same state."""
    gateway, folder = _shared_reloading.gateway, _shared_reloading.policy_dir
    for path, text in (
        (folder / "model.conf", MODEL.read_text(encoding="utf-8")),
        (folder / "policy.csv", BASE_POLICY),
    ):
        if path.read_text(encoding="utf-8") != text:
            replace_atomically(path, text)
    expected = version_of(folder)

    def at_base() -> bool:
        status = readyz(gateway)
        return bool(status["policy"] == expected and status["policy_reload"]["error"] is None)

    wait_until(at_base, 5, "the base policy to be in force")
    return _shared_reloading


def readyz(gateway: GatewayProcess) -> dict[str, Any]:
    response = httpx.get(f"{gateway.base_url}/readyz", timeout=10)
    body: dict[str, Any] = response.json()
    return body


async def poll(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    """Await `check()` turning true, bounded by `timeout`; returns the seconds it took."""
    start = time.monotonic()
    try:
        with anyio.fail_after(timeout):
            while not await check():
                await anyio.sleep(0.02)
    except TimeoutError as exc:
        raise TimeoutError(f"timed out waiting for {what}") from exc
    return time.monotonic() - start


def version_of(policy_dir: Path) -> str:
    """The version a gateway reports once it runs the files now in `policy_dir`."""
    model = (policy_dir / "model.conf").read_text(encoding="utf-8")
    return PolicyEngine.version_of(model, (policy_dir / "policy.csv").read_text(encoding="utf-8"))


def token(issuer: RunningIssuer, gateway: GatewayProcess, subject: str, groups: tuple[str, ...] = ()) -> str:
    return issuer.issuer.mint(subject, audience=gateway.url, groups=groups)
