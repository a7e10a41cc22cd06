"""`authz-mcp policy check`: validate, then lint against the live catalogs; exit 1 on errors."""

from __future__ import annotations

from pathlib import Path

from tests.cli.examples import EXAMPLE_POLICY, edited_example, example_line
from tests.cli.runner import demo_upstream, one_error_line, run_cli, write_config
from tests.support.gateway import free_port


def test_the_example_policy_checks_clean_against_the_demo_upstream(tmp_path: Path) -> None:
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("policy", "check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{EXAMPLE_POLICY}: 0 errors, 0 warnings (26 rules; checked against the live catalogs)"
    ]


def test_errors_and_warnings_are_listed_by_line_and_errors_exit_1(tmp_path: Path) -> None:
    candidate = edited_example(
        tmp_path,
        add=(
            "p, role:analyst, gihub/tools/create_issue, call, allow\n"
            "p, role:analyst, demo/tools/search_doc, call, allow\n"
            "p, role:contractor, demo/tools/delete_record, call, allow\n"
            "g, erin, role:auditor\n"
        ),
    )
    config = write_config(tmp_path, policy=EXAMPLE_POLICY)
    result = run_cli("policy", "check", "--config", str(config), "--policy", str(candidate))
    end = _lines(EXAMPLE_POLICY)
    deny = example_line("p, role:contractor, demo/tools/delete_record, call, deny")
    assert result.stdout.splitlines() == [
        f"{candidate}:{end + 1}: error: unknown upstream 'gihub' (configured: demo)",
        f"{candidate}:{end + 2}: warning: matches nothing in the live catalog",
        f"{candidate}:{end + 3}: warning: never takes effect: the deny at line {deny} covers it",
        f"{candidate}:{end + 4}: warning: 'role:auditor' is assigned but grants nothing: "
        "no rule names it or what it inherits",
        f"{candidate}: 1 error, 3 warnings (30 rules; checked against the live catalogs)",
    ]
    assert one_error_line(result) == f"authz-mcp: policy check: 1 error in {candidate}"


def test_offline_skips_the_catalog_and_an_unavailable_upstream_is_only_a_warning(tmp_path: Path) -> None:
    down = {"transport": "streamable-http", "url": f"http://127.0.0.1:{free_port()}/mcp"}
    config = write_config(tmp_path, policy=EXAMPLE_POLICY, upstreams={"demo": demo_upstream(), "down": down})
    offline = run_cli("policy", "check", "--config", str(config), "--offline")
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout.splitlines() == [
        f"{EXAMPLE_POLICY}: 0 errors, 0 warnings (26 rules; not checked against live catalogs)"
    ]
    live = run_cli("policy", "check", "--config", str(config))
    assert live.returncode == 0, live.stderr
    assert live.stdout.splitlines() == [
        f"{config}: warning: upstream 'down' is unavailable; its catalog was not checked",
        f"{EXAMPLE_POLICY}: 0 errors, 1 warning (26 rules; checked against the live catalogs)",
    ]


def test_an_invalid_policy_exits_1_naming_file_and_line(tmp_path: Path) -> None:
    candidate = edited_example(tmp_path, add="p, role:analyst, demo/tools/echo, call, permit\n")
    config = write_config(tmp_path, policy=candidate)
    line = one_error_line(run_cli("policy", "check", "--config", str(config), "--offline"))
    assert line.startswith(f"authz-mcp: {candidate}:{_lines(EXAMPLE_POLICY) + 1}: ")


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())
