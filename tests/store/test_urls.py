"""The Redis Sentinel and Cluster forms of `store.url`."""

from __future__ import annotations

import pytest

from authz_mcp.config import parse_config
from authz_mcp.config.redis_urls import SentinelUrl, cluster_nodes, parse_sentinel_url
from authz_mcp.errors import ConfigError


def test_a_sentinel_url_names_sentinels_master_db_and_passwords() -> None:
    url = "redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster/2?sentinel_password=x"
    assert parse_sentinel_url(url) == SentinelUrl(
        sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26379), ("::1", 26380)),
        master="mymaster",
        db=2,
        password="s@cret",
        sentinel_password="x",
    )


def test_a_cluster_url_lists_its_startup_nodes() -> None:
    assert cluster_nodes("redis+cluster://:pw@a:7000,b:7001,c") == [("a", 7000), ("b", 7001), ("c", 6379)]


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://10.0.0.1:26379",
        "redis+sentinel://10.0.0.1:26379/master/db",
        "redis+sentinel:///mymaster",
        "redis+cluster://",
        "redis+cluster://a:port",
        "rediss+cluster://a:7000",
    ],
)
def test_malformed_store_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match=r"store\.url"):
        parse_config({"auth": {"personal_tokens": True}, "store": {"url": url}})
