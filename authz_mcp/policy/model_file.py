"""Reading a Casbin model file, with the line of every definition.

pycasbin's config parser reports no usable line numbers and silently ignores
much that is wrong: unknown sections, a key in the wrong section, `p3` without
`p2`, an empty value (which stops it reading further keys). Each of those is a
ConfigError here, naming the file and line, before casbin sees the text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from casbin.constant import constants
from casbin.util import escape_assertion, remove_comments

from authz_mcp.errors import ConfigError

SECTIONS: Mapping[str, str] = {
    "request_definition": "r",
    "policy_definition": "p",
    "role_definition": "g",
    "policy_effect": "e",
    "matchers": "m",
}
_SECTION_OF = {letter: name for name, letter in SECTIONS.items()}
_KEY = re.compile(r"([rpgem])([2-9]|[1-9][0-9]+)?")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Effects pycasbin evaluates (anything else fails in `get_effector`), minus
# `!some(where (p.eft == deny))`, which allows whatever no rule denies: the
# gateway's contract is default deny (DESIGN §4).
_DEFAULT_DENY_EFFECTS = frozenset(
    {
        constants.ALLOW_OVERRIDE_EFFECT,
        constants.ALLOW_AND_DENY_EFFECT,
        constants.PRIORITY_EFFECT,
        constants.SUBJECT_PRIORITY_EFFECT,
    }
)
_NATIVE_MATCHER = "g(r_sub,p_sub)&&keyMatch(r_obj,p_obj)&&r_act==p_act"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A checked model: its text for casbin, and where each definition is."""

    source: str
    text: str
    values: Mapping[str, str]
    lines: Mapping[str, int]
    native: bool
    """True for the default model's shape, which `NativeDecider` evaluates itself."""

    def where(self, key: str) -> str:
        return f"{self.source}:{self.lines[key]}"

    def policy_fields(self, ptype: str) -> list[str] | None:
        """Field names of a `p`-type line, or for a `g` type one `_` per field; None if undefined."""
        value = self.values.get(ptype)
        if value is None or ptype[0] not in "pg":
            return None
        if ptype[0] == "g":
            return ["_"] * value.count("_")
        return _fields(value)


def parse_model(source: str, text: str) -> ModelSpec:
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    seen_sections: set[str] = set()
    section: str | None = None
    pending: list[str] = []
    start = 0

    def flush() -> None:
        if pending:
            _define(source, section, start, "".join(pending), values, lines)
            pending.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            flush()
        elif line[0] == "[" and line[-1] == "]":
            flush()
            section = line[1:-1]
            if section not in SECTIONS:
                raise ConfigError(f"{source}:{number}: unknown section [{section}]")
            seen_sections.add(section)
        elif section is None:
            raise ConfigError(f"{source}:{number}: definition outside a [section]")
        else:
            if not pending:
                start = number
            if line.endswith("\\"):
                pending.append(line[:-1].strip() + " ")
            else:
                pending.append(line)
                flush()
    flush()
    end = max(1, len(text.splitlines()))
    for letter in "rpgem":
        if letter not in values:
            name = _SECTION_OF[letter]
            missing = f"section [{name}]" if name not in seen_sections else f"key '{letter}' in [{name}]"
            raise ConfigError(f"{source}:{end}: missing {missing}")
    spec = ModelSpec(source, text, values, lines, _is_native(values))
    _check_values(spec)
    return spec


def _is_native(values: Mapping[str, str]) -> bool:
    return (
        _fields(values["p"]) == ["sub", "obj", "act", "eft"]
        and _fields(values["r"]) == ["sub", "obj", "act"]
        and _casbin_form(values["e"]) == constants.ALLOW_AND_DENY_EFFECT
        and re.sub(r"\s+", "", _casbin_form(values["m"])) == _NATIVE_MATCHER
    )


def _fields(value: str) -> list[str]:
    return [field.strip() for field in value.split(",")]


def _define(
    source: str, section: str | None, number: int, line: str, values: dict[str, str], lines: dict[str, int]
) -> None:
    assert section is not None
    where = f"{source}:{number}"
    key, equals, value = (part.strip() for part in line.partition("="))
    if not equals:
        raise ConfigError(f"{where}: expected 'key = value'")
    match = _KEY.fullmatch(key)
    letter = SECTIONS[section]
    if match is None or match.group(1) != letter:
        expected = f"{letter}, {letter}2…"
        raise ConfigError(f"{where}: key {key!r} does not belong in [{section}] (expected {expected})")
    if key in values:
        raise ConfigError(f"{where}: {key!r} is defined twice (first at line {lines[key]})")
    # casbin reads r, r2, r3… and stops at the first gap or empty value.
    index = int(match.group(2) or 1)
    previous = letter if index == 2 else f"{letter}{index - 1}"
    if index > 1 and previous not in values:
        raise ConfigError(f"{where}: {key!r} is ignored by casbin without {previous!r} before it")
    if not value:
        raise ConfigError(f"{where}: {key!r} has no value")
    values[key] = value
    lines[key] = number


def _check_values(spec: ModelSpec) -> None:
    for key, value in spec.values.items():
        letter = key[0]
        if letter in "rp":
            fields = _fields(value)
            bad = [field for field in fields if not _FIELD.fullmatch(field)]
            if bad or len(set(fields)) != len(fields):
                raise ConfigError(f"{spec.where(key)}: fields must be distinct names, got {value!r}")
    if len(spec.values["r"].split(",")) != 3:
        raise ConfigError(f"{spec.where('r')}: the request has 3 fields (sub, obj, act)")
    if re.sub(r"\s+", "", spec.values["g"]) != "_,_":
        raise ConfigError(f"{spec.where('g')}: users, groups and roles are linked with 'g = _, _'")
    effect = _casbin_form(spec.values["e"])
    if effect == constants.DENY_OVERRIDE_EFFECT:
        reason = "this effect allows by default; the gateway requires default deny"
        raise ConfigError(f"{spec.where('e')}: {reason}")
    if effect not in _DEFAULT_DENY_EFFECTS:
        raise ConfigError(f"{spec.where('e')}: unsupported effect {spec.values['e']!r}")


def _casbin_form(value: str) -> str:
    """The expression as pycasbin stores it: `p.eft` → `p_eft`, trailing `#` comment cut."""
    return str(remove_comments(escape_assertion(value)))
