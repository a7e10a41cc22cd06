"""Reading a Casbin policy file, keeping the line of every rule.

Lines are split exactly as pycasbin's file adapter splits them (commas inside
`()` or `[]` do not separate fields), then checked against the model. pycasbin
itself drops lines of an undefined type, truncates extra `g` fields, reads
`allow # note` as an effect that never applies, and crashes on an unbalanced
`)`; each of those is a ConfigError here, naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from authz_mcp.errors import ConfigError
from authz_mcp.policy.actions import ACTIONS
from authz_mcp.policy.keymatch import pattern_problem
from authz_mcp.policy.model_file import ModelSpec

EFFECTS = frozenset({"allow", "deny"})
_BRACKETS = re.compile(r"[,\[\]()]")
_OPENING = {"]": "[", ")": "("}
_TRAILING_COMMENT = re.compile(r"\s#")


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy line: its type (`p`, `g`…), its fields, and where it was written."""

    ptype: str
    fields: tuple[str, ...]
    source: str
    line: int

    @property
    def text(self) -> str:
        return ", ".join((self.ptype, *self.fields))

    def __str__(self) -> str:
        """The rule as an audit reason: `policies/policy.csv:12: p, role:viewer, …, deny`."""
        return f"{self.source}:{self.line}: {self.text}"


def parse_policy(source: str, text: str, model: ModelSpec) -> tuple[Rule, ...]:
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        tokens = split_line(line, f"{source}:{number}")
        rule = Rule(tokens[0], tuple(tokens[1:]), source, number)
        _check_rule(rule, model)
        rules.append(rule)
    return tuple(rules)


def split_line(line: str, where: str) -> list[str]:
    """pycasbin's `_extract_tokens`, failing on unbalanced brackets instead of crashing."""
    stack: list[str] = []
    tokens: list[str] = []
    start = 0
    for match in _BRACKETS.finditer(line):
        char = match.group()
        if char in "[(":
            stack.append(char)
        elif char in "])":
            if not stack or stack.pop() != _OPENING[char]:
                raise ConfigError(f"{where}: unbalanced {char!r}")
        elif not stack:
            tokens.append(line[start : match.start()].strip())
            start = match.end()
    if stack:
        raise ConfigError(f"{where}: unclosed {stack[-1]!r}")
    tokens.append(line[start:].strip())
    return tokens


def _check_rule(rule: Rule, model: ModelSpec) -> None:
    where = f"{rule.source}:{rule.line}"
    names = model.policy_fields(rule.ptype)
    if names is None:
        raise ConfigError(f"{where}: unknown section type {rule.ptype!r} (not defined in {model.source})")
    if len(rule.fields) != len(names):
        raise ConfigError(f"{where}: expected {len(names)} fields for {rule.ptype}, got {len(rule.fields)}")
    for index, value in enumerate(rule.fields, start=1):
        if not value:
            raise ConfigError(f"{where}: field {index} is empty")
        if _TRAILING_COMMENT.search(value):
            raise ConfigError(f"{where}: comments must be on their own line ('#' inside field {index})")
    if rule.ptype[0] != "p":
        return
    values = dict(zip(names, rule.fields, strict=True))
    if "eft" in values and values["eft"] not in EFFECTS:
        raise ConfigError(f"{where}: effect must be allow or deny, got {values['eft']!r}")
    if rule.ptype == "p" and model.native:
        if values["act"] not in ACTIONS:
            expected = "call, get, read or manage"
            raise ConfigError(f"{where}: unknown action {values['act']!r} (expected {expected})")
        problem = pattern_problem(values["obj"])
        if problem is not None:
            raise ConfigError(f"{where}: {problem}")
