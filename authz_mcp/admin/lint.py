"""Mistakes a valid policy can still hold, found before they ship.

- errors: a rule naming an upstream the config does not have, or whose action
  never applies to the kind of item its object names (`demo/tools/x, read`), or
  whose resource URI is not written in the canonical form URIs are decided on in
  (`demo/resources/FILES://x/./*`): such a rule never matches, and a deny that
  never matches protects nothing.
- warnings: a pattern matching nothing in the live catalog, an allow rule fully
  shadowed by denies, a role that is assigned but grants nothing, a subject that
  holds rules but can match no one (`role: analyst`, a role nobody is given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from authz_mcp.admin.coverage import KINDS_FOR_ACTION, SEGMENT_FOR_ACTION, listed_matches, reaches_anything
from authz_mcp.policy import READ, KeyPattern, PolicyEngine, Rule, UriRefusal, canonical_uri
from authz_mcp.proxy.catalog import Catalog

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    source: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.severity}: {self.message}"


def lint(engine: PolicyEngine, upstreams: Sequence[str], catalog: Catalog | None = None) -> list[Finding]:
    """Findings in file order. Without `catalog`, nothing is checked against live catalogs;
    upstreams absent from it (unavailable) are not either."""
    findings: list[Finding] = []
    if engine.native:
        for rule in _upstream_rules(engine):
            problem = _object_problem(rule, upstreams)
            if problem is not None:
                findings.append(_finding(rule, "error", problem))
            elif catalog is not None and _covered_by(rule, catalog) and not _reaches(rule, catalog):
                findings.append(_finding(rule, "warning", "matches nothing in the live catalog"))
        findings.extend(_shadowed_allows(engine, catalog))
    else:
        reason = "a custom model: only role checks ran (objects and shadowing follow its matcher)"
        findings.append(Finding(engine.model.source, 0, "warning", reason))
    findings.extend(_ungranted_roles(engine))
    findings.extend(_unmatchable_subjects(engine))
    return sorted(findings, key=lambda finding: (finding.source, finding.line))


def _finding(rule: Rule, severity: Severity, message: str) -> Finding:
    return Finding(rule.source, rule.line, severity, message)


def _upstream_rules(engine: PolicyEngine) -> list[Rule]:
    """The `p` rules about upstream items (other actions name the gateway's own objects)."""
    return [rule for rule in engine.rules if rule.ptype == "p" and rule.fields[2] in KINDS_FOR_ACTION]


def upstream_problem(obj: str, upstreams: Sequence[str]) -> str | None:
    """Why the object pattern `obj` can name no configured upstream, or None when it can."""
    pattern = KeyPattern.compile(obj)
    configured = ", ".join(upstreams) or "none"
    upstream, slash, _ = pattern.prefix.partition("/")
    if not slash:
        if pattern.wildcard and any(name.startswith(upstream) for name in upstreams):
            return None
        return f"no configured upstream matches {obj!r} (configured: {configured})"
    if upstream not in upstreams:
        return f"unknown upstream {upstream!r} (configured: {configured})"
    return None


def _object_problem(rule: Rule, upstreams: Sequence[str]) -> str | None:
    obj, act = rule.fields[1], rule.fields[2]
    problem = upstream_problem(obj, upstreams)
    if problem is not None:
        return problem
    pattern = KeyPattern.compile(obj)
    upstream, slash, rest = pattern.prefix.partition("/")
    if not slash:
        return None
    segment, slash, _ = rest.partition("/")
    expected = SEGMENT_FOR_ACTION[act]
    fits = segment == expected if slash else pattern.wildcard and expected.startswith(segment)
    if not fits:
        return f"never matches: {act!r} applies to {upstream}/{expected}/…, not to {obj!r}"
    return _uri_problem(obj) if segment == SEGMENT_FOR_ACTION[READ] and slash else None


def _uri_problem(obj: str) -> str | None:
    """A resource pattern whose literal URI part is not canonical matches no request, since
    every requested URI is made canonical before it is decided on."""
    uri = obj.partition("/resources/")[2]
    literal = uri.partition("*")[0]
    if ":" not in literal:
        return None
    canonical = canonical_uri(literal, template=True)
    if isinstance(canonical, UriRefusal):
        return f"never matches: its URI has no canonical form ({canonical.reason})"
    if canonical != literal:
        return f"never matches: resource URIs are decided on in canonical form; write {canonical!r}"
    return None


def _covered_by(rule: Rule, catalog: Catalog) -> bool:
    """Whether the catalog holds every upstream the rule's pattern can name."""
    upstream, slash, _ = KeyPattern.compile(rule.fields[1]).prefix.partition("/")
    return upstream in catalog.upstreams if slash else bool(catalog.upstreams)


def _reaches(rule: Rule, catalog: Catalog) -> bool:
    return reaches_anything(catalog, KeyPattern.compile(rule.fields[1]), rule.fields[2])


def _shadowed_allows(engine: PolicyEngine, catalog: Catalog | None) -> list[Finding]:
    """Allow rules that no one holding their subject can ever benefit from."""
    rules = _upstream_rules(engine)
    denies = [(rule, KeyPattern.compile(rule.fields[1])) for rule in rules if rule.fields[3] == "deny"]
    findings = []
    for allow in (rule for rule in rules if rule.fields[3] == "allow"):
        # Whoever holds the allow's subject also holds every role it inherits.
        held = engine.role_paths((allow.fields[0],))
        applicable = [(d, p) for d, p in denies if d.fields[0] in held and d.fields[2] == allow.fields[2]]
        pattern = KeyPattern.compile(allow.fields[1])
        cover = next((deny for deny, deny_pattern in applicable if deny_pattern.covers(pattern)), None)
        if cover is not None:
            message = f"never takes effect: the deny at line {cover.line} covers it"
            findings.append(_finding(allow, "warning", message))
            continue
        if catalog is None:
            continue
        items = listed_matches(catalog, pattern, allow.fields[2])
        if items and all(any(p.matches(item.object) for _, p in applicable) for item in items):
            lines = sorted({d.line for d, p in applicable if any(p.matches(item.object) for item in items)})
            message = f"takes no effect in the live catalog: denies at lines {_lines(lines)} cover its items"
            findings.append(_finding(allow, "warning", message))
    return findings


def _ungranted_roles(engine: PolicyEngine) -> list[Finding]:
    """Roles assigned with `g` for which neither they nor any role they inherit has a rule."""
    subjects = {rule.fields[0] for rule in engine.rules if rule.ptype.startswith("p")}
    first_assignment: dict[str, Rule] = {}
    for rule in engine.rules:
        if rule.ptype == "g":
            first_assignment.setdefault(rule.fields[1], rule)
    return [
        _finding(
            rule, "warning", f"{role!r} is assigned but grants nothing: no rule names it or what it inherits"
        )
        for role, rule in first_assignment.items()
        if not subjects.intersection(engine.role_paths((role,)))
    ]


def _unmatchable_subjects(engine: PolicyEngine) -> list[Finding]:
    """Subjects of rules that no request can ever carry.

    A request's subjects are a user id (never `group:`/`role:`-prefixed: such token
    subjects are refused) and `group:<name>` per group; anything else is reached only
    through a `g` line. A typo'd subject makes its grants silently disappear."""
    held = {rule.fields[1] for rule in engine.rules if rule.ptype == "g"}
    findings: list[Finding] = []
    seen: set[str] = set()
    for rule in engine.rules:
        subject = rule.fields[0]
        if not rule.ptype.startswith("p") or subject in seen:
            continue
        seen.add(subject)
        if subject in held or subject.startswith("group:") or _plausible_user_id(subject):
            continue
        message = (
            f"subject {subject!r} can never match anyone: it is not a plausible user id, "
            "not a group:<name>, and no g line assigns it"
        )
        findings.append(_finding(rule, "warning", message))
    return findings


def _plausible_user_id(subject: str) -> bool:
    return bool(subject) and ":" not in subject and not any(char.isspace() for char in subject)


def _lines(numbers: Sequence[int]) -> str:
    return ", ".join(str(number) for number in numbers)
