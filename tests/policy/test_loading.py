"""Loading: every malformed model or policy names the file, the line and the reason."""

from __future__ import annotations

from pathlib import Path

import casbin
import pytest

from authz_mcp.errors import ConfigError
from authz_mcp.policy import CALL, PolicyEngine, tool_object

from .conftest import DEFAULT_MODEL, MODEL_PATH, POLICY_PATH, WriteFiles

GOOD_POLICY = "# comment\np, role:viewer, demo/tools/echo, call, allow\ng, bob, role:viewer\n"


def model_with(line: int, replacement: str) -> str:
    """DEFAULT_MODEL with 1-based `line` replaced (by several lines, or none when empty)."""
    lines = DEFAULT_MODEL.splitlines()
    lines[line - 1 : line] = replacement.splitlines()
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("policy", "line", "reason"),
    [
        ("p, bob, demo/tools/echo, call\n", 1, "expected 4 fields for p, got 3"),
        ("p, bob, demo/tools/echo, call, allow, extra\n", 1, "expected 4 fields for p, got 5"),
        ("# ok\n\np, bob, demo/tools/echo, call, permit\n", 3, "effect must be allow or deny"),
        ("p, bob, demo/tools/echo, call, Allow\n", 1, "effect must be allow or deny"),
        ("x, bob, role:viewer\n", 1, "unknown section type"),
        ("g2, bob, role:viewer\n", 1, "unknown section type"),
        ("g, bob\n", 1, "expected 2 fields for g, got 1"),
        ("g, bob, role:viewer, domain\n", 1, "expected 2 fields for g, got 3"),
        ("p, bob, demo/tools/echo, call, allow # note\n", 1, "comments must be on their own line"),
        ("g, bob, role:viewer #admin\n", 1, "comments must be on their own line"),
        ("p, bob, demo/tools/f(x, call, allow\n", 1, "unclosed"),
        ("p, bob, demo/tools/f), call, allow\n", 1, "unbalanced"),
        ("p, , demo/tools/echo, call, allow\n", 1, "field 1 is empty"),
        ("p, bob, demo/tools/*_admin, call, allow\n", 1, "'*' must end the pattern"),
        ("p, bob, demo/tools/echo, invoke, allow\n", 1, "unknown action"),
    ],
)
def test_malformed_policy_names_file_line_and_reason(
    write_files: WriteFiles, policy: str, line: int, reason: str
) -> None:
    model_path, policy_path = write_files(DEFAULT_MODEL, GOOD_POLICY + policy)
    with pytest.raises(ConfigError) as raised:
        PolicyEngine.load(model_path, policy_path)
    message = str(raised.value)
    assert message.startswith(f"{policy_path}:{line + 3}: ")
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("line", "replacement", "error_line", "reason"),
    [
        (9, "[matcher]", 9, "unknown section [matcher]"),
        (10, "", 9, "missing key 'm' in [matchers]"),
        (8, "m = r.sub == p.sub", 8, "does not belong in [policy_effect]"),
        (4, "p sub, obj, act, eft", 4, "expected 'key = value'"),
        (4, "p = sub, obj, act, eft\np = sub, obj, act", 5, "defined twice"),
        (4, "p = sub, obj, act, eft\np3 = sub, obj, act", 5, "without 'p2'"),
        (4, "p =", 4, "has no value"),
        (1, "r = sub, obj, act", 1, "outside a [section]"),
        (2, "r = sub, obj", 2, "3 fields"),
        (2, "r = sub, obj, obj", 2, "distinct names"),
        (6, "g = _, _, _", 6, "g = _, _"),
        (8, "e = !some(where (p.eft == deny))", 8, "allows by default"),
        (8, "e = some(where(p.eft == allow))", 8, "unsupported effect"),
        (10, "m = g(r.sub, p.sub) && fooMatch(r.obj, p.obj)", 10, "unknown function in matcher: fooMatch"),
        (10, "m = g(r.sub, p.sub) && r.obj == p.object", 10, "unknown name in matcher: p.object"),
        (10, "m = g(r.sub, p.sub) && (r.obj == p.obj", 10, "not a valid expression"),
        (10, "m = r.sub", 10, "cannot be evaluated"),
        (10, "m = g(r.sub, p.sub) && timeMatch(p.obj, p.act)", 10, "timeMatch"),
    ],
)
def test_malformed_model_names_file_line_and_reason(
    write_files: WriteFiles, line: int, replacement: str, error_line: int, reason: str
) -> None:
    model_path, policy_path = write_files(model_with(line, replacement), GOOD_POLICY)
    with pytest.raises(ConfigError) as raised:
        PolicyEngine.load(model_path, policy_path)
    message = str(raised.value)
    assert message.startswith(f"{model_path}:{error_line}: ")
    assert reason in message


def test_model_without_a_section_names_its_end(write_files: WriteFiles) -> None:
    model_path, policy_path = write_files(DEFAULT_MODEL.split("[matchers]")[0], GOOD_POLICY)
    with pytest.raises(ConfigError) as raised:
        PolicyEngine.load(model_path, policy_path)
    assert str(raised.value) == f"{model_path}:8: missing section [matchers]"


def test_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(ConfigError) as raised:
        PolicyEngine.load(MODEL_PATH, missing)
    assert str(raised.value).startswith(f"{missing}: cannot read")


def test_non_utf8_policy_is_a_config_error(write_files: WriteFiles) -> None:
    model_path, policy_path = write_files(DEFAULT_MODEL, "")
    policy_path.write_bytes(b"p, b\xff, demo/tools/echo, call, allow\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        PolicyEngine.load(model_path, policy_path)


def test_byte_order_mark_is_not_part_of_the_first_rule(write_files: WriteFiles) -> None:
    model_path, policy_path = write_files(DEFAULT_MODEL, "")
    policy_path.write_bytes(b"\xef\xbb\xbfp, bob, demo/tools/echo, call, allow\n")
    engine = PolicyEngine.load(model_path, policy_path)
    assert engine.decider(("bob",)).decide(tool_object("demo", "echo"), CALL).allowed


def test_model_comments_continuations_and_semicolons_are_accepted(write_files: WriteFiles) -> None:
    model = model_with(
        10, "; the matcher\nm = g(r.sub, p.sub) && \\\n  keyMatch(r.obj, p.obj) && r.act == p.act"
    )
    model_path, policy_path = write_files(model, GOOD_POLICY)
    engine = PolicyEngine.load(model_path, policy_path)
    assert engine.native
    assert engine.decider(("bob",)).decide(tool_object("demo", "echo"), CALL).allowed


def test_rules_keep_their_line_numbers(example: PolicyEngine) -> None:
    lines = POLICY_PATH.read_text(encoding="utf-8").splitlines()
    for rule in example.rules:
        assert lines[rule.line - 1].strip() == rule.text


def test_rules_are_read_as_casbins_file_adapter_reads_them(write_files: WriteFiles) -> None:
    policy = (
        "p, bob, demo/resources/file:///a(b, c)/d, read, allow\n"
        "p, bob, demo/resources/x[1, 2], read, deny\n"
        "  p ,  bob  , demo/tools/spaced ,call,allow  \n" + POLICY_PATH.read_text(encoding="utf-8")
    )
    model_path, policy_path = write_files(DEFAULT_MODEL, policy)
    engine = PolicyEngine.load(model_path, policy_path)
    reference = casbin.Enforcer(str(model_path), str(policy_path))
    assert [list(r.fields) for r in engine.rules if r.ptype == "p"] == reference.get_policy()
    assert [list(r.fields) for r in engine.rules if r.ptype == "g"] == reference.get_grouping_policy()


def test_version_follows_the_content(write_files: WriteFiles) -> None:
    first = PolicyEngine.from_text(DEFAULT_MODEL, GOOD_POLICY)
    assert PolicyEngine.from_text(DEFAULT_MODEL, GOOD_POLICY).version == first.version
    assert (
        PolicyEngine.from_text(DEFAULT_MODEL, GOOD_POLICY + "g, ann, role:viewer\n").version != first.version
    )
    assert PolicyEngine.from_text(DEFAULT_MODEL + "# note\n", GOOD_POLICY).version != first.version
    model_path, policy_path = write_files(DEFAULT_MODEL, GOOD_POLICY)
    assert PolicyEngine.load(model_path, policy_path).version == first.version


def test_bundled_model_and_policy_load(example: PolicyEngine) -> None:
    assert example.native
    assert len(example.rules) == len(
        [line for line in POLICY_PATH.read_text().splitlines() if line.strip() and not line.startswith("#")]
    )
