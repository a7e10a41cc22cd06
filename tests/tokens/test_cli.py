"""`authz-mcp token create|list|revoke` against a real SQLite file (DESIGN §5 CLI contract)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import one_error_line, run_cli, write_config

TOKEN = re.compile(r"amcp_[A-Za-z0-9_-]{43}")
AUTH = {
    "jwt": {"issuer": "https://idp.example.com/realms/acme"},
    "personal_tokens": True,
    "pat": {"max_lifetime_days": 90},
}


def config_with_store(tmp_path: Path, url: str | None = None, **auth: Any) -> Path:
    store = {"url": url or f"sqlite:///{tmp_path}/state.db"}
    return write_config(tmp_path, store=store, auth={**AUTH, **auth})


def create(config: Path, *args: str) -> str:
    result = run_cli("token", "create", "--config", str(config), *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert TOKEN.fullmatch(lines[0])
    return lines[0]


def listed(config: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("token", "list", "--config", str(config), "--json", *args)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["tokens"]
    tokens: list[dict[str, Any]] = document["tokens"]
    return tokens


def test_create_prints_the_token_alone_and_list_shows_it_without_the_secret(tmp_path: Path) -> None:
    config = config_with_store(tmp_path)

    token = create(
        config, "--user", "alice", "--scope", "demo/tools/*", "--expires-in", "30d", "--name", "ci"
    )

    [shown] = listed(config)
    assert shown["owner"] == "alice"
    assert shown["name"] == "ci"
    assert shown["scopes"] == ["demo/tools/*"]
    assert shown["status"] == "active"
    assert shown["created_by"] == "cli"
    table = run_cli("token", "list", "--config", str(config))
    assert table.returncode == 0
    assert shown["id"] in table.stdout
    assert token not in table.stdout + json.dumps(shown)
    with sqlite3.connect(tmp_path / "state.db") as db:
        rows = db.execute("SELECT * FROM personal_tokens").fetchall()
    assert token.removeprefix("amcp_") not in repr(rows)


def test_revoke_by_id_or_by_the_token_itself(tmp_path: Path) -> None:
    config = config_with_store(tmp_path)
    first = create(config, "--user", "alice")
    create(config, "--user", "bob")
    first_id, second_id = (shown["id"] for shown in listed(config))

    by_token = run_cli("token", "revoke", "--config", str(config), first)
    by_id = run_cli("token", "revoke", "--config", str(config), second_id)

    assert by_token.returncode == 0, by_token.stderr
    assert by_id.returncode == 0, by_id.stderr
    assert [shown["status"] for shown in listed(config)] == ["revoked", "revoked"]
    assert [shown["id"] for shown in listed(config, "--user", "alice")] == [first_id]


def test_revoking_an_unknown_token_is_a_user_error(tmp_path: Path) -> None:
    config = config_with_store(tmp_path)

    one_error_line(run_cli("token", "revoke", "--config", str(config), "0123456789abcdef"))


@pytest.mark.parametrize(
    "args",
    [
        ("--user", "alice", "--scope", "demo/*/echo"),
        ("--user", "group:finance"),
        ("--user", "alice", "--expires-in", "91d"),
    ],
    ids=["inner-star-scope", "group-as-owner", "beyond-max-lifetime"],
)
def test_create_refuses_what_the_rules_refuse_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    config = config_with_store(tmp_path)

    one_error_line(run_cli("token", "create", "--config", str(config), *args))
    assert listed(config) == []


@pytest.mark.parametrize("expires_in", ["30", "0d", "1y", "-1d", "soon"])
def test_malformed_duration_is_a_usage_error(tmp_path: Path, expires_in: str) -> None:
    config = config_with_store(tmp_path)

    result = run_cli(
        "token", "create", "--config", str(config), "--user", "alice", "--expires-in", expires_in
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_memory_store_is_refused_because_tokens_would_vanish(tmp_path: Path) -> None:
    config = config_with_store(tmp_path, "memory://")

    line = one_error_line(run_cli("token", "create", "--config", str(config), "--user", "alice"))
    assert "store.url" in line


def test_create_is_refused_when_personal_tokens_are_disabled(tmp_path: Path) -> None:
    config = config_with_store(tmp_path, personal_tokens=False)

    one_error_line(run_cli("token", "create", "--config", str(config), "--user", "alice"))


def test_unreachable_redis_is_a_user_error(tmp_path: Path) -> None:
    config = config_with_store(tmp_path, "redis://127.0.0.1:1/0")

    one_error_line(run_cli("token", "list", "--config", str(config)))


@pytest.mark.parametrize("args", [("token",), ("token", "create"), ("token", "revoke", "--config", "x.yaml")])
def test_token_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run_cli(*args)

    assert result.returncode == 2
    assert "usage: authz-mcp" in result.stderr


def test_list_json_is_one_document_also_when_empty(tmp_path: Path) -> None:
    assert listed(config_with_store(tmp_path)) == []


@pytest.mark.parametrize("scope", ["dmeo/tools/*", "github/tools/create_issue", "zz*"])
def test_create_refuses_a_scope_naming_no_configured_upstream(tmp_path: Path, scope: str) -> None:
    config = config_with_store(tmp_path)
    result = run_cli("token", "create", "--config", str(config), "--user", "alice", "--scope", scope)
    line = one_error_line(result)
    assert repr(scope) in line
    assert "(configured: demo)" in line
    assert result.stdout == ""
    assert listed(config) == []
