"""The real `python -m authz_mcp` run as a subprocess from the project root, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.gateway import free_port
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

RUN_TIMEOUT = 60.0
ROOT = Path(PROJECT_ROOT)
MODEL = ROOT / "policies" / "model.conf"
POLICY = ROOT / "policies" / "policy.csv"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "authz_mcp", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )


def demo_upstream(**options: Any) -> dict[str, Any]:
    command, args = demo_stdio_command()
    return {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT, **options}


def write_config(
    tmp_path: Path,
    *,
    model: Path = MODEL,
    policy: Path = POLICY,
    upstreams: dict[str, Any] | None = None,
    **sections: Any,
) -> Path:
    """A valid DESIGN §5 config on a free port; `sections` replace whole top-level sections."""
    config: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": free_port()},
        "auth": {
            "jwt": {
                "issuer": "https://idp.example.com/realms/acme",
                "jwks_url": "https://idp.example.com/realms/acme/certs",
            },
            "personal_tokens": False,
        },
        "policy": {"model": str(model), "file": str(policy)},
        "upstreams": upstreams if upstreams is not None else {"demo": demo_upstream()},
        "audit": {"path": str(tmp_path / "audit.jsonl"), "flush_seconds": 0},
        **sections,
    }
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single `authz-mcp: …` line a user error writes to stderr (exit code 1)."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("authz-mcp: ")
    return lines[0]
