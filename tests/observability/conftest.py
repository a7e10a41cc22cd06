"""A gateway process in front of the demo server over stdio, and a reader of its `/metrics`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gateway import gateway_config
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
