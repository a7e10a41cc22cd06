"""Configuration: one frozen model and its loader."""

from authz_mcp.config.loader import load_config, parse_config
from authz_mcp.config.model import (
    AuthConfig,
    Config,
    DiscoveryConfig,
    HttpUpstreamConfig,
    JwtIssuerConfig,
    PolicyConfig,
    ServerConfig,
    SseUpstreamConfig,
    StdioUpstreamConfig,
    StoreConfig,
    UpstreamConfig,
)

__all__ = [
    "AuthConfig",
    "Config",
    "DiscoveryConfig",
    "HttpUpstreamConfig",
    "JwtIssuerConfig",
    "PolicyConfig",
    "ServerConfig",
    "SseUpstreamConfig",
    "StdioUpstreamConfig",
    "StoreConfig",
    "UpstreamConfig",
    "load_config",
    "parse_config",
]
