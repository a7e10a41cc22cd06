"""`serve --workers N`: N gateway processes accepting on one listening socket.

The parent binds the socket once and hands it to each worker, as uvicorn's and
gunicorn's supervisors do, so the kernel spreads connections across them. The
workers share sessions, tokens and policy reloads only through the Redis store:
any of them can continue a session another started. Each worker runs its own
stdio upstream processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Sequence
from types import FrameType
from urllib.parse import urlsplit

from authz_mcp.cli.server import listening_sockets
from authz_mcp.config import Config, load_config
from authz_mcp.errors import ConfigError
from authz_mcp.observability.metrics import MULTIPROC_ENV

logger = logging.getLogger("authz_mcp")

SHARED_STORES = ("redis", "rediss", "redis+sentinel", "redis+cluster")


def require_shared_store(config: Config, workers: int) -> None:
    """More than one worker needs a store every worker sees; memory and sqlite are per process."""
    scheme = urlsplit(config.store.url).scheme
    if workers > 1 and scheme not in SHARED_STORES:
        raise ConfigError(
            f"--workers {workers} needs a redis:// store shared by the workers (store.url is {scheme}://)"
        )


def run_workers(config_path: str, config: Config, workers: int, log_level: str) -> int:
    """Start the workers, stop them all on SIGINT/SIGTERM or when one of them exits.

    Each worker loads the config from `config_path` itself (a `Config` does not pickle).

    Exit 0 when stopped by a signal and every worker shut down cleanly, 1 otherwise.
    """
    listeners = listening_sockets(config)
    # prometheus_client's multiprocess mode: each worker writes its values to files here,
    # and the worker answering a scrape sums them (set before the workers import it).
    metrics_dir = tempfile.mkdtemp(prefix="authz-mcp-metrics-")
    os.environ[MULTIPROC_ENV] = metrics_dir
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [
        spawn.Process(
            target=_worker, args=(config_path, listeners, log_level), name=f"authz-mcp-worker-{index}"
        )
        for index in range(workers)
    ]
    failed = True
    try:
        for process in processes:
            process.start()
        for listener in listeners:
            listener.close()
        logger.info("authz-mcp started %d workers on %s", workers, config.server.mcp_url)
        failed = _supervise(processes, stop)
    finally:
        for listener in listeners:
            listener.close()
        started = [(process, process.pid) for process in processes if process.pid is not None]
        for process, pid in started:
            if process.exitcode is None:
                os.kill(pid, signal.SIGTERM)
        for process, _pid in started:
            process.join()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.environ.pop(MULTIPROC_ENV, None)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed or any(process.exitcode != 0 for process in processes) else 0


def _supervise(processes: Sequence[multiprocessing.process.BaseProcess], stop: threading.Event) -> bool:
    """Wait for a stop signal; True if a worker exited first (the others are then stopped too)."""
    while not stop.wait(0.2):
        for process in processes:
            if not process.is_alive():
                logger.error("worker %s exited (code %s); stopping the others", process.pid, process.exitcode)
                return True
    return False


def _worker(config_path: str, listeners: list[socket.socket], log_level: str) -> None:
    from authz_mcp.cli import configure_logging
    from authz_mcp.cli.server import run, serve

    configure_logging(log_level)
    try:
        run(serve(load_config(config_path), sockets=listeners))
    except ConfigError as exc:
        logger.error("%s", exc)
        raise SystemExit(1) from exc
