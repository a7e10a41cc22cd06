"""pytest-xdist scheduling by test folder: every module of a folder runs on one worker.

A folder's conftest shares its gateways and servers with a session-scoped fixture, and a
worker starts them the first time one of its tests needs them. Handed out module by module,
a folder's modules land on every worker and each starts its own copy; handed out whole, the
folder starts them once.

xdist hands out the folders with the most tests first. A few folders hold few tests that
each take many seconds (whole README walk-throughs, the conformance suite, third-party
clients and servers, a browser); handed out last, one worker would still be running them
alone after the others had finished, so they go first.
"""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadScopeScheduling

LONG_FOLDERS = ("tests/readme", "tests/conformance", "tests/interop", "tests/console")


class FolderScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no types
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        parts = path.split("/")
        # tests/<folder>/...: the folder; a module directly under tests/ is its own unit.
        return "/".join(parts[:2]) if len(parts) > 2 else path

    def _assign_work_unit(self, node: Any) -> None:
        for folder in reversed(LONG_FOLDERS):
            if folder in self.workqueue:
                self.workqueue.move_to_end(folder, last=False)
        super()._assign_work_unit(node)
