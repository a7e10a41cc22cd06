"""`policy explain` and `policy test` decide on the canonical URI, as the gateway does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.runner import run_cli, write_config
from tests.support.upstreams import PROJECT_ROOT, stdio_command
from tests.support.vault_server import VAULT_MODULE

POLICY = Path(__file__).with_name("policy.csv")
DENY = f"{POLICY}:3: p, mallory, vault/resources/files://root/pub/internal/*, read, deny"
ALLOW = f"{POLICY}:2: p, mallory, vault/resources/files://root/pub/*, read, allow"


def _config(tmp_path: Path) -> Path:
    command, args = stdio_command(VAULT_MODULE)
    vault = {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}
    return write_config(tmp_path, policy=POLICY, upstreams={"vault": vault})


def _explain(tmp_path: Path, obj: str) -> list[str]:
    result = run_cli(
        "policy", "explain", "--config", str(_config(tmp_path)), "--user", "mallory", obj, "read"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    "alias",
    [
        "vault/resources/files://root/pub/./internal/canary.txt",
        "vault/resources/files://root/pub/x/../internal/canary.txt",
        "vault/resources/files://root/pub/%69nternal/canary.txt",
        "vault/resources/FILES://ROOT/pub/internal/canary.txt",
    ],
)
def test_explain_decides_an_alias_on_its_canonical_uri(tmp_path: Path, alias: str) -> None:
    assert _explain(tmp_path, alias)[:3] == [
        "mallory read vault/resources/files://root/pub/internal/canary.txt: deny",
        f"  requested as: {alias}",
        f"  decided by: {DENY}",
    ]


@pytest.mark.parametrize(
    ("alias", "reason"),
    [
        ("vault/resources/files://root/pub/x/%2e%2e/internal/canary.txt", "encoded dot segment"),
        ("vault/resources/files://root/pub/internal%2Fcanary.txt", "encoded '/' in a path segment"),
        ("vault/resources/files://root/pub/;/../internal/canary.txt", "path parameters beside dot segments"),
    ],
)
def test_explain_refuses_a_uri_without_a_canonical_form(tmp_path: Path, alias: str, reason: str) -> None:
    assert _explain(tmp_path, alias) == [
        f"mallory read {alias}: deny",
        f"  decided by: uri refused: {reason}",
        "  matching rules: none",
        "  roles held: none",
    ]


def test_explain_leaves_a_canonical_uri_as_it_is(tmp_path: Path) -> None:
    assert _explain(tmp_path, "vault/resources/files://root/pub/readme.txt")[:2] == [
        "mallory read vault/resources/files://root/pub/readme.txt: allow",
        f"  decided by: {ALLOW}",
    ]


def test_policy_test_judges_aliases_by_their_canonical_uri(tmp_path: Path) -> None:
    expectations = tmp_path / "expect.yaml"
    expectations.write_text(
        "expect:\n"
        "  - mallory cannot read vault/resources/files://root/pub/./internal/canary.txt\n"
        "  - mallory cannot read vault/resources/files://root/pub/x/%2e%2e/internal/canary.txt\n"
        "  - mallory cannot read vault/resources/files://root/pub/;/../internal/canary.txt\n"
        "  - mallory can read vault/resources/FILES://root/pub/%72eadme.txt\n"
        "  - mallory can read vault/resources/files://root/pub/x/../internal/canary.txt\n",
        encoding="utf-8",
    )
    result = run_cli("policy", "test", "--config", str(_config(tmp_path)), str(expectations))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        f"ok    {expectations}:2  mallory cannot read vault/resources/files://root/pub/./internal/canary.txt",
        f"ok    {expectations}:3  mallory cannot read vault/resources/files://root/pub/x/%2e%2e/internal/canary.txt",
        f"ok    {expectations}:4  mallory cannot read vault/resources/files://root/pub/;/../internal/canary.txt",
        f"ok    {expectations}:5  mallory can read vault/resources/FILES://root/pub/%72eadme.txt",
    ]
    alias = "vault/resources/files://root/pub/x/../internal/canary.txt"
    assert lines[4] == (
        f"FAIL  {expectations}:6  mallory can read {alias}: "
        f"{DENY} (as vault/resources/files://root/pub/internal/canary.txt)"
    )
    assert lines[5] == "4 passed, 1 failed"
