"""Real `redis-server` processes on free ports in temporary directories: a Redis Cluster of
three masters, and a master with a replica watched by three sentinels.

Every wait is a bounded poll of the servers' own state (CLUSTER INFO, SENTINEL masters),
never a sleep for a guessed time.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support.gateway import free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
MASTER_NAME = "authz-mcp"


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)


@dataclass
class RedisCluster:
    masters: list[RedisServer]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{server.port}" for server in self.masters)


@dataclass
class SentinelSetup:
    master: RedisServer
    replica: RedisServer
    sentinels: list[RedisServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)
        return f"redis+sentinel://{hosts}/{MASTER_NAME}"

    def current_master_port(self) -> int | None:
        for sentinel in self.sentinels:
            try:
                with sentinel.client() as client:
                    address = client.execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
            except redis.RedisError:
                continue
            if address:
                return int(address[1])
        return None


def cluster_port() -> int:
    """A free port whose cluster bus port (10000 higher, at most 65535) is free too."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            with socket.socket() as one, socket.socket() as bus:
                one.bind(("127.0.0.1", port))
                bus.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _answers(server: RedisServer) -> bool:
    if server.process.poll() is not None:
        raise RuntimeError(f"redis-server on port {server.port} exited with {server.process.returncode}")
    try:
        with server.client() as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def _servers(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    started: list[RedisServer] = []

    def start(*options: str, config: str | None = None) -> RedisServer:
        binary = redis_server_binary()
        assert binary is not None, "redis-server is not installed"
        port = cluster_port() if "--cluster-enabled" in options else free_port()
        workdir = tmp_path / f"redis-{port}"
        workdir.mkdir()
        args = [binary]
        if config is not None:
            path = workdir / "redis.conf"
            path.write_text(config.replace("{port}", str(port)), encoding="utf-8")
            args.append(str(path))
        args += ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", ""]
        args += ["--appendonly", "no", *options]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = RedisServer(port, process)
        started.append(server)
        wait_for(lambda: _answers(server), f"redis-server on port {port}")
        return server

    try:
        yield start
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.terminate()
                try:
                    server.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running_cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    """Three masters, no replicas, every slot assigned."""
    with _servers(tmp_path) as start:
        masters = [
            start(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
            )
            for _ in range(3)
        ]
        nodes = [f"127.0.0.1:{server.port}" for server in masters]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=START_TIMEOUT,
        )

        def ready() -> bool:
            for server in masters:
                with server.client() as client:
                    if "cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
                        return False
            return True

        wait_for(ready, "the cluster to cover every slot")
        yield RedisCluster(masters)


SENTINEL_CONFIG = f"""port {{port}}
sentinel monitor {MASTER_NAME} 127.0.0.1 {{master}} 2
sentinel down-after-milliseconds {MASTER_NAME} 1000
sentinel failover-timeout {MASTER_NAME} 10000
sentinel parallel-syncs {MASTER_NAME} 1
"""


@contextlib.contextmanager
def running_sentinels(tmp_path: Path) -> Iterator[SentinelSetup]:
    """A master, one replica of it, and three sentinels that agree on it (quorum 2)."""
    with _servers(tmp_path) as start:
        master = start()
        replica = start("--replicaof", "127.0.0.1", str(master.port))

        def replicating() -> bool:
            # Synchronised, not just connected: until its first full sync ends, the replica
            # holds none of what clients write, and a failover then would lose it all.
            with replica.client() as client:
                return bool(client.info("replication").get("master_link_status") == "up")

        wait_for(replicating, "the replica to finish its first sync")
        setup = SentinelSetup(master, replica)
        config = SENTINEL_CONFIG.replace("{master}", str(master.port))
        setup.sentinels = [start("--sentinel", config=config) for _ in range(3)]

        def watching() -> bool:
            for sentinel in setup.sentinels:
                with sentinel.client() as client:
                    state = client.execute_command("SENTINEL", "master", MASTER_NAME)
                    fields = (
                        dict(zip(state[::2], state[1::2], strict=True)) if isinstance(state, list) else state
                    )
                    if int(fields["num-other-sentinels"]) < 2 or int(fields["num-slaves"]) < 1:
                        return False
            return True

        wait_for(watching, "the sentinels to see each other and the replica")
        yield setup
