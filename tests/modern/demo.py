"""The demo server over Streamable HTTP as a process, its stderr kept for the tests to read.

(`tests.support.gateway.running_demo_http` discards stderr; the demo logs a cancelled
tool run there, which is how a test sees that a cancellation reached the upstream.)
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.support.gateway import START_TIMEOUT, STOP_TIMEOUT
from tests.support.upstreams import DEMO_MODULE, PROJECT_ROOT


@dataclass
class DemoProcess:
    url: str
    stderr: list[str] = field(default_factory=list)


@contextlib.contextmanager
def running_demo(*args: str) -> Iterator[DemoProcess]:
    command = [sys.executable, "-m", DEMO_MODULE, "http", "--host", "127.0.0.1", "--port", "0", *args]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    urls: list[str] = []
    demo = DemoProcess("")
    ready = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.startswith("READY "):
            urls.append(line.split(" ", 1)[1].strip())
        ready.set()
        for _ in process.stdout:
            pass

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            demo.stderr.append(line.rstrip("\n"))

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        if not ready.wait(START_TIMEOUT) or not urls:
            raise RuntimeError("demo server did not start")
        demo.url = urls[0]
        yield demo
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
