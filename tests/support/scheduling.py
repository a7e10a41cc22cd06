"""pytest-xdist scheduling by test folder: every module of a folder runs on one worker.

A folder's conftest shares its gateways and servers with a session-scoped fixture, and a
worker starts them the first time one of its tests needs them. Handed out module by module,
a folder's modules land on every worker and each starts its own copy; handed out whole, the
folder starts them once. xdist hands out the units with the most tests first.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling


class FolderScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no types
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        parts = path.split("/")
        # tests/<folder>/...: the folder; a module directly under tests/ is its own unit.
        return "/".join(parts[:2]) if len(parts) > 2 else path
