"""The Redis the tests share (CI provides one on 127.0.0.1:6379), and a key prefix per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

REDIS_URL = os.environ.get("AUTHZ_MCP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def redis_key_prefix() -> Iterator[str]:
    """A key prefix of the caller's own in the shared Redis; its keys are deleted afterwards."""
    prefix = f"authz-mcp-test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)
        finally:
            client.close()
