"""A real Prometheus server (Debian's `prometheus`) scraping given targets, for tests.

    with running_prometheus(["127.0.0.1:8080"], tmp_path) as prom:
        prom.wait_for("sum(authz_mcp_requests_total)", lambda value: value >= 3)

Readiness and query results are polled through the HTTP API with a deadline, never slept for.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.support.gateway import free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class RunningPrometheus:
    url: str
    process: subprocess.Popen[bytes]

    def query(self, promql: str) -> list[float]:
        """The values of an instant query's result vector."""
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5).json()
        assert reply["status"] == "success", reply
        return [float(sample["value"][1]) for sample in reply["data"]["result"]]

    def wait_for(
        self, promql: str, accept: Callable[[list[float]], bool], timeout: float = 30.0
    ) -> list[float]:
        """Poll the query until `accept` takes its values; the last values on timeout."""
        deadline = time.monotonic() + timeout
        values = self.query(promql)
        while not accept(values):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{promql!r} still gives {values}")
            time.sleep(0.2)
            values = self.query(promql)
        return values


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


@contextlib.contextmanager
def running_prometheus(targets: list[str], tmp_path: Path) -> Iterator[RunningPrometheus]:
    binary = prometheus_binary()
    assert binary is not None, "prometheus is not installed (scripts/test installs it)"
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "authz-mcp", "static_configs": [{"targets": targets}]}],
    }
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    running = RunningPrometheus(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {process.returncode}")
            try:
                if httpx.get(f"{running.url}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus did not become ready")
            time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
