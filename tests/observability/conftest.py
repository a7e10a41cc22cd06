"""A gateway process in front of the demo server over stdio, and a reader of its `/metrics`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command


def demo_config(tmp_path: Path, issuer: RunningIssuer, port: int, **sections: Any) -> dict[str, Any]:
    command, args = demo_stdio_command()
    return gateway_config(
        tmp_path,
        port=port,
        issuer_url=issuer.url,
        upstreams={"demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}},
        **sections,
    )


@pytest.fixture(scope="package")
def gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A gateway on the default settings, shared by the folder's tests that count only what
    they did themselves."""
    tmp_path = tmp_path_factory.mktemp("demo-gateway")
    with running_gateway(demo_config(tmp_path, issuer, free_port()), tmp_path) as running:
        yield running


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a `/metrics` page, keyed by name and labels."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return samples_of(response.text)


def samples_of(page: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a `/metrics` page's text, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


def sample(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
