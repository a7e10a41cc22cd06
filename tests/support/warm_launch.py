"""`python -I -S warm_launch.py SOCKET -m MODULE ARGS`: run `python -m MODULE ARGS` forked
from the warm helper at SOCKET (tests/support/warm.py), standing in for it as a child.

Whoever started this process (a gateway's stdio upstream, the SDK's stdio client) sees the
server's behaviour: the server gets this process's stdin, stdout and stderr, its working
directory and environment; signals sent here are passed on; this process exits when the
server does, with its exit code or by its signal. Killed outright, this process closes its
connection to the helper, which then kills the server. Only the standard library is used,
so the interpreter starts in milliseconds.
"""

import json
import os
import signal
import socket
import sys

_PASSED_ON = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def main(path: str, command: list[str]) -> int:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    request = {"argv": command, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
    # Hold no end of the pipes: the server's stdin and stdout end exactly when the server's do.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    reader = connection.makefile("r", encoding="utf-8")
    pid = int(json.loads(reader.readline())["pid"])
    for number in _PASSED_ON:
        signal.signal(number, lambda received, _frame: os.kill(pid, received))
    line = reader.readline()
    code = int(json.loads(line)["exit"]) if line else -signal.SIGKILL
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
