"""Finding a stdio upstream's executable before it is started.

A command that cannot be found is a configuration mistake: `check` and `serve`
name it at once instead of a supervisor retrying it forever.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path


def resolve_command(
    command: str, *, cwd: str | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """The executable `command` names, or None.

    A command with a `/` is a path (relative to the upstream's `cwd`); a bare name is
    looked up on the upstream's `PATH` (its `env`, else the gateway's), then beside the
    interpreter running the gateway, so scripts installed in the same virtual environment
    as authz-mcp are found without activating it.
    """
    if os.sep in command:
        path = Path(command)
        if not path.is_absolute() and cwd is not None:
            path = Path(cwd) / path
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    search = (env or {}).get("PATH", os.environ.get("PATH", os.defpath))
    found = shutil.which(command, path=search)
    if found is not None:
        return found
    return shutil.which(command, path=os.pathsep.join(_own_script_dirs()))


def _own_script_dirs() -> list[str]:
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    return list(dict.fromkeys(folder for folder in folders if folder))
