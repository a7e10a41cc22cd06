"""Hold N sessions in a gateway runtime opened in this process; print VmRSS before and after.

    python -m bench.held_sessions_inprocess CONFIG N

The runtime is the one `authz-mcp serve` opens from CONFIG (upstreams connected, catalog
fetched); each session is made by `Gateway.create_session`, the call the `initialize` handler
makes once the request is authenticated, with what a typical client declares. Prints one JSON
object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from authz_mcp.auth.identity import Identity
from authz_mcp.config import load_config
from authz_mcp.runtime import open_runtime
from bench.wire import PROTOCOL_VERSION


def resident_bytes() -> int:
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def hold(config_path: str, count: int) -> dict[str, float]:
    config = load_config(config_path)
    async with open_runtime(config) as runtime:
        gateway = runtime.gateway
        identity = Identity(subject="bench", issuer=config.auth.jwt[0].issuer)
        await gateway.catalog()
        await gateway.view_for(identity)
        before = resident_bytes()
        for _ in range(count):
            # A new dict per session, as each request's parsed body is.
            client_info = json.loads('{"name":"authz-mcp-bench","version":"0"}')
            await gateway.create_session(identity, PROTOCOL_VERSION, client_info, {})
        after = resident_bytes()
        live = await gateway.store.count_live()
    return {"rss_before_bytes": before, "rss_after_bytes": after, "live_sessions": live.sessions}


def main() -> int:
    config_path, count = sys.argv[1], int(sys.argv[2])
    data = asyncio.run(hold(config_path, count))
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()
    os._exit(0)  # the measurement is taken; tearing 100,000 sessions down adds nothing


if __name__ == "__main__":
    sys.exit(main())
