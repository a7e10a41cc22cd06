"""Reloading the policy: build a new engine off the event loop, swap it in, record the outcome.

The engine is immutable and the gateway holds one reference to it, so a reload
never disturbs a request in flight: requests that already hold a permitted view
finish under the old policy, the next ones use the new one. Files that fail to
load leave the last good policy in place; the reason (file:line: reason) goes
to the log and to `/readyz`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio

from authz_mcp.admin.lint import lint
from authz_mcp.config import PolicyConfig
from authz_mcp.errors import ConfigError
from authz_mcp.policy import PolicyEngine
from authz_mcp.proxy.gateway import Gateway

logger = logging.getLogger(__name__)

Announce = Callable[[str], Awaitable[None]]
"""Tells the other replicas that this one now runs the given policy version."""


@dataclass
class ReloadStatus:
    """What `/readyz` reports about the policy's lifecycle."""

    version: str
    trigger: str = "startup"
    loaded_at: float = field(default_factory=time.time)
    error: str | None = None
    """Why the last reload was rejected (`policy.csv:3: …`); None once a reload succeeds."""
    rejected_at: float | None = None
    announced: str | None = None
    """The latest version announced between replicas, by this one or another."""

    @property
    def converged(self) -> bool:
        """Whether this replica runs the latest announced version."""
        return self.announced is None or self.announced == self.version

    def as_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "trigger": self.trigger,
            "loaded_at": _timestamp(self.loaded_at),
            "error": self.error,
            "rejected_at": _timestamp(self.rejected_at),
            "announced": self.announced,
            "converged": self.converged,
        }


def _timestamp(when: float | None) -> str | None:
    return None if when is None else datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds")


class PolicyReloader:
    def __init__(self, config: PolicyConfig, gateway: Gateway, upstreams: Sequence[str]) -> None:
        self._config = config
        self._upstreams = tuple(upstreams)
        self._gateway = gateway
        # One reload at a time: each reads the files afresh, so a queued one sees the latest.
        self._lock = anyio.Lock()
        self.status = ReloadStatus(gateway.policy.version)
        self.announce: Announce | None = None

    async def reload(self, trigger: str) -> bool:
        """Load the files and swap the policy in if they changed; False when rejected.

        A change made here (file edit, SIGHUP) is announced to the other replicas.
        """
        changed = await self._reload(trigger)
        if changed and self.announce is not None:
            self.status.announced = self.status.version
            await self.announce(self.status.version)
        return self.status.error is None

    async def follow(self, version: str | None) -> None:
        """Another replica announced `version` (None: notices may have been missed).

        Reload from this replica's own files; a version that still differs means the
        files differ between replicas, which is logged and shown in `/readyz`.
        """
        if version is not None:
            self.status.announced = version
        await self._reload("replica notice")
        if not self.status.converged:
            logger.warning(
                "policy: another replica runs version %s, these files give %s; are the files in sync?",
                self.status.announced,
                self.status.version,
            )

    async def _reload(self, trigger: str) -> bool:
        async with self._lock:
            current = self._gateway.policy.version
            try:
                engine = await anyio.to_thread.run_sync(self._load_if_changed, current)
            except ConfigError as exc:
                self._reject(str(exc))
                logger.error("policy reload (%s) rejected, keeping version %s: %s", trigger, current, exc)
                return False
            except Exception as exc:  # boundary: whatever the files do, the last good policy stays
                self._reject(f"{self._config.file}: cannot load: {type(exc).__name__}: {exc}")
                logger.exception("policy reload (%s) failed, keeping version %s", trigger, current)
                return False
            self.status.error = None
            self.status.rejected_at = None
            if engine is None:
                return False
            await self._gateway.replace_policy(engine)
            self._gateway.metrics.policy_reloads.labels("applied").inc()
            self.status.version = engine.version
            self.status.trigger = trigger
            self.status.loaded_at = time.time()
            logger.info(
                "policy reloaded (%s): version %s -> %s, %d rules",
                trigger,
                current,
                engine.version,
                len(engine.rules),
            )
            return True

    def _load_if_changed(self, current: str) -> PolicyEngine | None:
        """The new engine, None when the files give `current`; a ConfigError when they do
        not load or hold a lint error, which startup would refuse too (`policy check`)."""
        engine = PolicyEngine.load_if_changed(self._config.model, self._config.file, current)
        if engine is None:
            return None
        errors = [str(finding) for finding in lint(engine, self._upstreams) if finding.severity == "error"]
        if errors:
            more = f" (and {len(errors) - 1} more; see authz-mcp policy check)" if len(errors) > 1 else ""
            raise ConfigError(f"{errors[0]}{more}")
        return engine

    def _reject(self, reason: str) -> None:
        self._gateway.metrics.policy_reloads.labels("rejected").inc()
        self.status.error = reason
        self.status.rejected_at = time.time()
