"""The console is off unless `console:` is configured."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.gateway import free_port, gateway_config, running_gateway
from tests.support.issuer import running_issuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command


def test_gateway_without_a_console_section_serves_no_console(tmp_path: Path) -> None:
    command, args = demo_stdio_command()
    upstreams = {"demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}}
    with running_issuer() as issuer:
        config = gateway_config(tmp_path, port=free_port(), issuer_url=issuer.url, upstreams=upstreams)
        with running_gateway(config, tmp_path) as gateway:
            for path in ("/console/", "/console/login", "/console/static/console.js"):
                assert httpx.get(gateway.base_url + path, timeout=20).status_code == 404
