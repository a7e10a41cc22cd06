"""Config sections for running the gateway in production: metrics, traces, logs, rate limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


class MetricsConfig(_Frozen):
    enabled: bool = True
    # None: `/metrics` on the main port. A port: a separate listener serving only `/metrics`.
    port: int | None = Field(default=None, ge=0, le=65535)
    host: str = "127.0.0.1"
    # Client addresses or networks that may scrape; empty: anyone who reaches the listener.
    allow: tuple[str, ...] = ()

    @field_validator("allow")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or network") from exc
        return value


class TracingConfig(_Frozen):
    # none: spans are not recorded (a client's traceparent is still passed upstream).
    exporter: Literal["none", "otlp", "console"] = "none"
    endpoint: str = "http://127.0.0.1:4318/v1/traces"
    headers: Annotated[Mapping[str, str], AfterValidator(_read_only)] = Field(default_factory=dict)
    service_name: str = "authz-mcp"
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # The user id is personal data: on spans only when asked for.
    include_user: bool = False


class LoggingConfig(_Frozen):
    format: Literal["text", "json"] = "text"
    # One line per HTTP request (never a token; session ids shortened as in the audit log).
    access_log: bool = True


def _rate(value: str) -> str:
    from limits import parse

    try:
        parse(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a rate such as 600/minute or 10 per second") from exc
    return value


Rate = Annotated[str, AfterValidator(_rate)]


class LimitsConfig(_Frozen):
    """Rate limits, counted in memory or, with a Redis store, shared by every replica."""

    per_user: Rate | None = None
    # Per user and tool: policy object patterns (`<upstream>/tools/<name>`, `*` wildcard).
    tools: Annotated[Mapping[str, Rate], AfterValidator(_read_only)] = Field(default_factory=dict)

    @field_validator("tools")
    @classmethod
    def _patterns(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for pattern in value:
            parts = pattern.split("/", 2)
            if len(parts) != 3 or parts[1] != "tools" or not parts[2] or "*" in pattern[:-1]:
                raise ValueError(f"{pattern!r} must be <upstream>/tools/<name>, '*' only at the end")
        return value

    # All users together, per upstream: protects the upstream server.
    upstreams: Annotated[Mapping[str, Rate], AfterValidator(_read_only)] = Field(default_factory=dict)
