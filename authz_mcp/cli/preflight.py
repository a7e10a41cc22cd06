"""What `check`, `serve` and `demo` verify before anything starts.

The config, model and policy must load; the policy must have no lint errors
(`policy check --offline`: a rule naming an upstream that does not exist, or an
action that never fits its object, protects or grants nothing); every stdio
upstream's command must exist. Warnings do not stop a gateway.
"""

from __future__ import annotations

from dataclasses import dataclass

from authz_mcp.admin.lint import Finding, lint
from authz_mcp.config import Config
from authz_mcp.config.model import StdioUpstreamConfig
from authz_mcp.errors import ConfigError
from authz_mcp.policy import PolicyEngine
from authz_mcp.upstream.command import resolve_command


@dataclass(frozen=True, slots=True)
class Preflight:
    engine: PolicyEngine
    findings: tuple[Finding, ...]
    """The offline lint of the policy, errors and warnings, in file order."""
    problems: tuple[str, ...]
    """Config problems found beyond its schema (commands that cannot be found)."""

    @property
    def errors(self) -> list[str]:
        return [*self.problems, *(str(f) for f in self.findings if f.severity == "error")]

    @property
    def warnings(self) -> list[str]:
        return [str(f) for f in self.findings if f.severity == "warning"]


def preflight(config: Config, source: str, policy: str | None = None) -> Preflight:
    engine = PolicyEngine.load(config.policy.model, policy or config.policy.file)
    findings = tuple(lint(engine, list(config.upstreams)))
    return Preflight(engine, findings, tuple(_command_problems(config, source)))


def require_clean(config: Config, source: str) -> PolicyEngine:
    """The policy engine, or a ConfigError naming the first error (and how many more)."""
    checked = preflight(config, source)
    errors = checked.errors
    if errors:
        more = f" (and {len(errors) - 1} more; see authz-mcp check)" if len(errors) > 1 else ""
        raise ConfigError(f"{errors[0]}{more}")
    return checked.engine


def _command_problems(config: Config, source: str) -> list[str]:
    problems = []
    for name, upstream in config.upstreams.items():
        if not isinstance(upstream, StdioUpstreamConfig):
            continue
        if resolve_command(upstream.command, cwd=upstream.cwd, env=upstream.env) is None:
            where = f" in {upstream.cwd}" if upstream.cwd and "/" in upstream.command else ""
            kind = "no executable file" if "/" in upstream.command else "not found on PATH"
            problems.append(f"{source}: upstreams.{name}.command: {upstream.command!r}: {kind}{where}")
    return problems
