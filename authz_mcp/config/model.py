"""The one config model (DESIGN §5): frozen, unknown keys rejected."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from authz_mcp.config.console import ConsoleConfig
from authz_mcp.config.operations import LimitsConfig, LoggingConfig, MetricsConfig, TracingConfig
from authz_mcp.config.redis_urls import cluster_nodes, parse_sentinel_url

_UPSTREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


# `frozen=True` stops attribute assignment only; mappings are made read-only too.
FrozenStrMap = Annotated[Mapping[str, str], AfterValidator(_read_only)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerConfig(_Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = ""
    # Host header values accepted besides the loopback names (DNS-rebinding guard).
    allowed_hosts: tuple[str, ...] = ()
    # Origin values accepted besides loopback origins; "*" is refused on purpose.
    allowed_origins: tuple[str, ...] = ()
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    session_idle_seconds: int = Field(default=3600, ge=10)
    upstream_timeout_seconds: float = Field(default=60.0, gt=0)
    # Key for the MACs on list cursors and MRTR requestState. Replicas behind one URL need
    # the same key (e.g. "${AUTHZ_MCP_SECRET_KEY}"); unset, each process draws its own.
    secret_key: str | None = Field(default=None, min_length=32)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.rstrip("/")

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_secure_url(value: str) -> str:
    """An absolute https URL, or http to a loopback host only: keys and discovery documents
    decide whom the gateway trusts, so they are never fetched in clear over a network."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError("must use https (plain http is allowed for loopback hosts only)")
    return value


class JwtIssuerConfig(_Frozen):
    issuer: str
    jwks_url: str | None = None
    audience: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    subject_claim: str = "sub"
    groups_claim: str | None = "groups"
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    # An unknown `kid` refetches the key set at most this often (DESIGN §3).
    jwks_refetch_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return require_secure_url(value)

    @field_validator("jwks_url")
    @classmethod
    def _jwks_url(cls, value: str | None) -> str | None:
        return None if value is None else require_secure_url(value)

    @field_validator("algorithms")
    @classmethod
    def _algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
        bad = [alg for alg in value if alg not in allowed]
        if bad:
            raise ValueError(f"unsupported or unsafe algorithm(s) {bad}; allowed: {sorted(allowed)}")
        if not value:
            raise ValueError("at least one algorithm is required")
        return value


class PersonalTokenConfig(_Frozen):
    """Limits on personal access tokens, whether made by `token create` or the API."""

    default_lifetime_days: int = Field(default=30, ge=1, le=3650)
    max_lifetime_days: int = Field(default=365, ge=1, le=3650)
    max_per_user: int = Field(default=50, ge=1, le=10_000)
    # Serve the self-service API (`/api/tokens`) to users holding an identity provider's token.
    self_service: bool = True

    @model_validator(mode="after")
    def _default_within_max(self) -> PersonalTokenConfig:
        if self.default_lifetime_days > self.max_lifetime_days:
            raise ValueError("default_lifetime_days must not exceed max_lifetime_days")
        return self


class AuthConfig(_Frozen):
    authorization_servers: tuple[str, ...] = ()
    jwt: tuple[JwtIssuerConfig, ...] = ()
    personal_tokens: bool = True
    # OAuth scopes every identity provider token must carry (`scope` or `scp` claim).
    required_scopes: tuple[str, ...] = ()
    pat: PersonalTokenConfig = Field(default_factory=PersonalTokenConfig)

    @field_validator("jwt", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value


class StoreConfig(_Frozen):
    url: str = "memory://"
    key_prefix: str = "authz-mcp:"

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("memory", "sqlite", "redis", "rediss", "redis+sentinel", "redis+cluster"):
            raise ValueError(
                "must start with memory://, sqlite:///, redis://, rediss://, redis+sentinel:// or redis+cluster://"
            )
        if scheme == "redis+sentinel":
            parse_sentinel_url(value)
        elif scheme == "redis+cluster":
            cluster_nodes(value)
        return value


class PolicyConfig(_Frozen):
    model: str = "policies/model.conf"
    file: str = "policies/policy.csv"
    # Reload when either file changes (SIGHUP and the Redis notice reload regardless).
    watch: bool = True
    # Quiet time after a change before reloading, so one save is read once, whole.
    debounce_ms: int = Field(default=50, ge=10, le=800)


class _UpstreamBase(_Frozen):
    prefix: str | None = None  # None: the upstream's name; "": names unchanged
    separator: str = "__"
    timeout_seconds: float | None = Field(default=None, gt=0)
    # The MCP era spoken to this upstream: "auto" probes `server/discover` and falls back to
    # `initialize`; "legacy" (2025-11-25 handshake) or "modern" (2026-07-28) pin it.
    protocol: Literal["auto", "legacy", "modern"] = "auto"
    # While a required upstream is down, /readyz answers 503 (the gateway still serves the rest).
    required: bool = True

    def name_prefix(self, name: str) -> str:
        prefix = name if self.prefix is None else self.prefix
        return f"{prefix}{self.separator}" if prefix else ""


def _absolute_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


class StdioUpstreamConfig(_UpstreamBase):
    transport: Literal["stdio"]
    command: str
    args: tuple[str, ...] = ()
    env: FrozenStrMap = Field(default_factory=dict)
    cwd: str | None = None


class HttpUpstreamConfig(_UpstreamBase):
    transport: Literal["streamable-http"]
    url: str
    headers: FrozenStrMap = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _absolute_http_url(value)


class SseUpstreamConfig(_UpstreamBase):
    """MCP 2024-11-05 HTTP+SSE: `url` is the SSE endpoint; its `endpoint` event names where
    messages are POSTed, which must be on the same origin. Always the legacy era."""

    transport: Literal["sse"]
    url: str
    protocol: Literal["auto", "legacy"] = "legacy"
    headers: FrozenStrMap = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _absolute_http_url(value)


UpstreamConfig = Annotated[
    StdioUpstreamConfig | HttpUpstreamConfig | SseUpstreamConfig, Field(discriminator="transport")
]


class AuditConfig(_Frozen):
    # "-" is standard error (written line by line); otherwise a file path (appended to).
    path: str = "-"
    # A file's lines are written together, at most this long after the first of them (0: each
    # line at once), or as soon as this many bytes wait, and at shutdown (README: what a crash
    # can lose).
    flush_seconds: float = Field(default=1.0, ge=0, le=60)
    buffer_bytes: int = Field(default=64 * 1024, ge=0, le=16 * 1024 * 1024)


class DiscoveryConfig(_Frozen):
    # full: tools/list carries every permitted tool; search: the gateway's find_tools and
    # call_tool instead; auto: search for users permitted more than `search_threshold` tools.
    mode: Literal["full", "search", "auto"] = "full"
    search_threshold: int = Field(default=40, ge=0)


class Config(_Frozen):
    server: ServerConfig = Field(default_factory=ServerConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    upstreams: Annotated[Mapping[str, UpstreamConfig], AfterValidator(_read_only)] = Field(
        default_factory=dict
    )
    audit: AuditConfig = Field(default_factory=AuditConfig)
    discovery: DiscoveryConfig = Field(default_factory=DiscoveryConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    tracing: TracingConfig = Field(default_factory=TracingConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    # The web console; off unless configured.
    console: ConsoleConfig | None = None

    @field_validator("upstreams")
    @classmethod
    def _names(cls, value: Mapping[str, UpstreamConfig]) -> Mapping[str, UpstreamConfig]:
        for name in value:
            if not _UPSTREAM_NAME.match(name):
                raise ValueError(
                    f"upstream name {name!r} must be 1-32 letters, digits, '_' or '-', starting alnum"
                )
        return value

    @model_validator(mode="after")
    def _limited_upstreams_exist(self) -> Config:
        unknown = sorted(set(self.limits.upstreams) - set(self.upstreams))
        if unknown:
            raise ValueError(f"limits.upstreams: unknown upstream(s) {unknown}")
        return self

    @model_validator(mode="after")
    def _some_authentication(self) -> Config:
        if not self.auth.jwt and not self.auth.personal_tokens:
            raise ValueError("auth: configure auth.jwt or enable auth.personal_tokens")
        return self

    @model_validator(mode="after")
    def _console_issuer(self) -> Config:
        if self.console is not None and self.console.issuer is None and not self.auth.jwt:
            raise ValueError("console: set console.issuer or configure auth.jwt")
        if self.console is not None and self.console.issuer is not None:
            require_secure_url(self.console.issuer)
        return self

    def audience_for(self, issuer: JwtIssuerConfig) -> str:
        return issuer.audience or self.server.mcp_url
