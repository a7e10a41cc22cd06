"""The Redis forms of `store.url`, told apart without importing the Redis client."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SENTINEL_SCHEME = "redis+sentinel"
CLUSTER_SCHEME = "redis+cluster"
REDIS_SCHEMES = ("redis", "rediss", SENTINEL_SCHEME, CLUSTER_SCHEME)


def is_redis(url: str) -> bool:
    return urlsplit(url).scheme in REDIS_SCHEMES


@dataclass(frozen=True)
class SentinelUrl:
    """`redis+sentinel://[:password@]host:port[,host:port...]/<master name>[/<db>]`, with
    `?sentinel_password=` when the sentinels themselves require one."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None
    sentinel_password: str | None = None


def parse_sentinel_url(url: str) -> SentinelUrl:
    parts = urlsplit(url)
    hosts = parts.netloc.rsplit("@", 1)[-1]
    sentinels = tuple(_host_port(entry, 26379) for entry in hosts.split(",") if entry)
    path = [segment for segment in parts.path.split("/") if segment]
    if not sentinels or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError("must be redis+sentinel://[:password@]host:port[,host:port...]/<master name>[/<db>]")
    query = parse_qs(parts.query)
    return SentinelUrl(
        sentinels=sentinels,
        master=unquote(path[0]),
        db=int(path[1]) if len(path) == 2 else 0,
        password=unquote(parts.password) if parts.password else None,
        sentinel_password=query["sentinel_password"][0] if "sentinel_password" in query else None,
    )


def cluster_nodes(url: str) -> list[tuple[str, int]]:
    """The startup nodes of `redis+cluster://[:password@]host:port[,host:port...]`."""
    hosts = urlsplit(url).netloc.rsplit("@", 1)[-1]
    nodes = [_host_port(entry, 6379) for entry in hosts.split(",") if entry]
    if not nodes:
        raise ValueError("must be redis+cluster://host:port[,host:port...]")
    return nodes


def _host_port(entry: str, default: int) -> tuple[str, int]:
    host, _, port = entry.rpartition(":") if ":" in entry else (entry, "", str(default))
    if not host or not port.isdigit():
        raise ValueError(f"{entry!r} is not host:port")
    return host.strip("[]"), int(port)
