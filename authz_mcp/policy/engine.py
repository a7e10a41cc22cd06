"""The loaded policy: model and rules checked by casbin, and deciders per identity.

An engine never changes after `load`; a reload builds a new engine and the
caller swaps its reference (keeping the old one when the new files are bad).
Apart from reading the two files in `load`, nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable

from authz_mcp.errors import ConfigError
from authz_mcp.policy import casbin_bridge
from authz_mcp.policy.decider import CasbinDecider, Decider, NativeDecider
from authz_mcp.policy.model_file import ModelSpec, parse_model
from authz_mcp.policy.policy_file import Rule, parse_policy

_DECIDER_CACHE_SIZE = 4096


class PolicyEngine:
    def __init__(self, model: ModelSpec, rules: tuple[Rule, ...], version: str) -> None:
        self.model = model
        self.rules = rules
        self.version = version
        """Changes exactly when the model or policy text does."""
        self._enforcer = casbin_bridge.new_enforcer(model, rules)
        casbin_bridge.check_matcher(model, self._enforcer)
        self._roles = casbin_bridge.roles_of(self._enforcer, rules)
        self._depth = casbin_bridge.max_role_depth(self._enforcer)
        self._by_subject: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.ptype == "p":
                self._by_subject.setdefault(rule.fields[0], []).append(rule)
        self._p_rules = {rule.fields: rule for rule in reversed(rules) if rule.ptype == "p"}
        self._deciders: OrderedDict[tuple[tuple[str, ...], tuple[str, ...] | None], Decider] = OrderedDict()

    @classmethod
    def load(cls, model_path: str | os.PathLike[str], policy_path: str | os.PathLike[str]) -> PolicyEngine:
        """Read, check and compile the model and policy files; ConfigError names file:line: reason."""
        model_source, policy_source = os.fspath(model_path), os.fspath(policy_path)
        return cls.from_text(
            _read(model_source),
            _read(policy_source),
            model_source=model_source,
            policy_source=policy_source,
        )

    @classmethod
    def load_if_changed(
        cls, model_path: str | os.PathLike[str], policy_path: str | os.PathLike[str], version: str
    ) -> PolicyEngine | None:
        """As `load`, or None when the files still hold `version` (nothing to rebuild)."""
        model_source, policy_source = os.fspath(model_path), os.fspath(policy_path)
        model_text, policy_text = _read(model_source), _read(policy_source)
        if cls.version_of(model_text, policy_text) == version:
            return None
        return cls.from_text(model_text, policy_text, model_source=model_source, policy_source=policy_source)

    @classmethod
    def from_text(
        cls,
        model_text: str,
        policy_text: str,
        *,
        model_source: str = "model.conf",
        policy_source: str = "policy.csv",
    ) -> PolicyEngine:
        """As `load`, from text already read; the sources name the files in messages."""
        model = parse_model(model_source, model_text)
        rules = parse_policy(policy_source, policy_text, model)
        return cls(model, rules, cls.version_of(model_text, policy_text))

    @staticmethod
    def version_of(model_text: str, policy_text: str) -> str:
        """The version an engine built from these texts has, without building it."""
        digest = hashlib.sha256()
        for text in (model_text, policy_text):
            digest.update(hashlib.sha256(text.encode()).digest())
        return digest.hexdigest()[:16]

    @property
    def native(self) -> bool:
        """Whether decisions are evaluated natively (the default model's shape) or by casbin."""
        return self.model.native

    def decider(self, subjects: tuple[str, ...], scopes: tuple[str, ...] | None = None) -> Decider:
        """Decisions for an identity holding all of `subjects` at once: the user id first,
        then its `group:<name>` subjects; `scopes` (a token's patterns) only narrow."""
        if not subjects:
            raise ValueError("subjects must start with the user id")
        key = (subjects, scopes)
        decider = self._deciders.get(key)
        if decider is not None:
            self._deciders.move_to_end(key)
            return decider
        decider = self._new_decider(subjects, scopes)
        self._deciders[key] = decider
        if len(self._deciders) > _DECIDER_CACHE_SIZE:
            self._deciders.popitem(last=False)
        return decider

    def roles(self, subjects: tuple[str, ...]) -> frozenset[str]:
        """Every subject and role the identity holds, as casbin's `g()` would resolve them."""
        return frozenset(self.role_paths(subjects))

    def role_paths(self, subjects: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """Every subject and role the identity holds, each with a shortest chain of links
        that reaches it from the user: `{"alice": ("alice",), "role:dev": ("alice",
        "group:eng", "role:dev"), …}`."""
        user, groups = subjects[0], subjects[1:]
        paths: dict[str, tuple[str, ...]] = {user: (user,)}
        frontier = [user]
        # The gateway's groups are `g, <user>, group:<name>` links: one hop from the
        # user. casbin's has_link stops after max_hierarchy_level - 1 hops, so do we.
        for hop in range(1, self._depth):
            reached: dict[str, tuple[str, ...]] = {}
            if hop == 1:
                reached.update((group, (user, group)) for group in groups)
            for name in frontier:
                for role in self._roles.get(name, ()):
                    reached.setdefault(role, (*paths[name], role))
            frontier = [name for name in reached if name not in paths]
            if not frontier:
                break
            paths.update((name, reached[name]) for name in frontier)
        return paths

    def _new_decider(self, subjects: tuple[str, ...], scopes: tuple[str, ...] | None) -> Decider:
        if self.native:
            return NativeDecider(subjects, scopes, self._rules_for(self.roles(subjects)))
        links = [(subjects[0], group) for group in subjects[1:]]
        enforcer = casbin_bridge.new_enforcer(self.model, self.rules, links) if links else self._enforcer
        return CasbinDecider(subjects, scopes, enforcer, self._p_rules)

    def _rules_for(self, names: Iterable[str]) -> list[Rule]:
        return [rule for name in names for rule in self._by_subject.get(name, ())]


def _read(source: str) -> str:
    try:
        with open(source, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror}") from exc
    try:
        # utf-8-sig: editors on Windows prepend a BOM that casbin would read as part of `p`.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
