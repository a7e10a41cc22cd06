"""The example policies of `policies/examples/`, and edited copies of them."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import ROOT

EXAMPLE_POLICY = ROOT / "policies" / "examples" / "policy.csv"
EXAMPLE_TESTS = ROOT / "policies" / "examples" / "policy-test.yaml"


def example_line(prefix: str) -> int:
    """The line number of the example policy's first line starting with `prefix`."""
    lines = EXAMPLE_POLICY.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if line.startswith(prefix))


def edited_example(tmp_path: Path, *, add: str = "", replace: tuple[str, str] | None = None) -> Path:
    """A copy of the example policy with lines appended, or one line replaced."""
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1])
    path = tmp_path / "candidate.csv"
    path.write_text(text + add, encoding="utf-8")
    return path
