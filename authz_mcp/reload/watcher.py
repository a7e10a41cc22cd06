"""Following edits to the policy files with watchfiles (inotify, FSEvents, ReadDirectoryChanges).

The folders holding the files are watched, not the files themselves: editors and
deploy tools save by writing a new file and renaming it over the old one, which
a watch on the old file's inode would never see. Kubernetes ConfigMap volumes
swap a `..data` symlink instead; that counts as a change too. Everything else in
the folders (logs, editor swap files) is ignored.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence

import anyio
from anyio.abc import TaskStatus
from watchfiles import Change, awatch

_CONFIGMAP_LINK = "..data"
_MAX_GROUPING_MS = 500
"""A burst of changes is read at most this long after it began."""


async def watch_files(
    paths: Sequence[str],
    on_change: Callable[[], Awaitable[object]],
    *,
    debounce_ms: int,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Call `on_change` after each burst of changes to `paths`, until cancelled."""
    folders, relevant = _folders_and_filter(paths)
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(_set_when_cancelled, stop)
        changes = awatch(
            *folders,
            watch_filter=relevant,
            step=debounce_ms,
            debounce=_MAX_GROUPING_MS,
            stop_event=stop,
            recursive=False,
        )
        # The watch is set up synchronously by the first step of the iteration below,
        # before the task that awaits this start resumes: an edit made once startup
        # finishes cannot be missed.
        task_status.started()
        async for _ in changes:
            await on_change()
        group.cancel_scope.cancel()


def _folders_and_filter(paths: Sequence[str]) -> tuple[list[str], Callable[[Change, str], bool]]:
    targets = {os.path.abspath(path) for path in paths}

    def relevant(_change: Change, path: str) -> bool:
        return os.path.abspath(path) in targets or os.path.basename(path) == _CONFIGMAP_LINK

    return sorted({os.path.dirname(path) for path in targets}), relevant


async def _set_when_cancelled(stop: anyio.Event) -> None:
    """The watch thread cannot be cancelled; the stop event ends it within one step."""
    try:
        await anyio.sleep_forever()
    finally:
        stop.set()
