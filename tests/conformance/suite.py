"""Running the official MCP conformance suite (`@modelcontextprotocol/conformance`), pinned in
tests/conformance/suite-0.1 and suite-0.2 with the Node.js 22 it needs, and reading its verdicts.

Each scenario writes `checks.json` under the output folder; a scenario passes when none of
its checks is a FAILURE. Warnings (the SHOULDs) are kept too, so that a server and the
gateway in front of it can be compared check by check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SUITES = {"0.1": HERE / "suite-0.1", "0.2": HERE / "suite-0.2"}
# The suite bounds each scenario itself (30 s in 0.2); a whole run of ~40 scenarios takes
# well under a minute on an idle machine.
RUN_TIMEOUT = 400.0
NOT_PASSING = ("FAILURE", "WARNING")
# Each scenario's folder is server-<scenario>-<ISO timestamp with dashes>.
_TIMESTAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


def require_suite(version: str) -> Path:
    directory = SUITES[version]
    missing = [
        str(path)
        for path in (directory / "node_modules/.bin/node", directory / "node_modules/.bin/conformance")
        if not path.exists()
    ]
    if shutil.which("npm") is None or missing:
        message = (
            f"conformance suite {version} not installed: npm ci --prefix {directory} (scripts/test does)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return directory


@dataclass(frozen=True)
class Verdict:
    passed: bool
    not_passing: frozenset[tuple[str, str]]
    """(check id, status) of every check that failed or warned."""


def run_server_scenarios(version: str, url: str, output: Path, *options: str) -> dict[str, Verdict]:
    """Every server scenario of the suite against `url`: scenario name -> verdict."""
    directory = require_suite(version)
    output.mkdir(parents=True, exist_ok=True)
    command = [
        str(directory / "node_modules/.bin/node"),
        str(directory / "node_modules/.bin/conformance"),
        "server",
        "--url",
        url,
        "--output-dir",
        str(output),
        *options,
    ]
    completed = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    verdicts = read_verdicts(output)
    if not verdicts:
        raise AssertionError(
            f"the suite ran no scenario:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return verdicts


def read_verdicts(output: Path) -> dict[str, Verdict]:
    verdicts: dict[str, Verdict] = {}
    for checks_file in sorted(output.glob("server-*/checks.json")):
        scenario = _TIMESTAMP.sub("", checks_file.parent.name.removeprefix("server-"))
        checks = json.loads(checks_file.read_text(encoding="utf-8"))
        not_passing = frozenset(
            (str(check["id"]), str(check["status"])) for check in checks if check["status"] in NOT_PASSING
        )
        verdicts[scenario] = Verdict(not any(status == "FAILURE" for _, status in not_passing), not_passing)
    return verdicts
