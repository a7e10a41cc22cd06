"""Load the YAML config: `${ENV}` expansion, then validation into `Config`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from authz_mcp.config.errors import describe
from authz_mcp.config.model import Config
from authz_mcp.errors import ConfigError

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(value: Any, environ: Mapping[str, str], path: str = "") -> Any:
    """Replace `${NAME}` in every string value; an unset variable is an error."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigError(f"{path or '<root>'}: environment variable {name} is not set")
            return environ[name]

        return _ENV_REF.sub(substitute, value)
    if isinstance(value, dict):
        return {
            key: expand_env(item, environ, f"{path}.{key}" if path else str(key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [expand_env(item, environ, f"{path}.{index}") for index, item in enumerate(value)]
    return value


def parse_config(data: Any, *, source: str = "<config>", environ: Mapping[str, str] | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    try:
        expanded = expand_env(data, os.environ if environ is None else environ)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    try:
        return Config.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(describe(exc, expanded, source)) from exc


def resolve_relative(config: Config, base: Path) -> Config:
    """Policy paths and a relative SQLite file in a config file are relative to its folder."""
    policy = config.policy
    model = Path(policy.model)
    file = Path(policy.file)
    new_policy = policy.model_copy(
        update={
            "model": str(model if model.is_absolute() else base / model),
            "file": str(file if file.is_absolute() else base / file),
        }
    )
    update: dict[str, object] = {"policy": new_policy}
    store = urlsplit(config.store.url)
    if store.scheme == "sqlite" and not store.netloc and store.path and not store.path.startswith("/"):
        # `sqlite:state.db` (no slashes): a file beside the config, like the policy files.
        update["store"] = config.store.model_copy(update={"url": f"sqlite://{base / store.path}"})
    return config.model_copy(update=update)


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from exc
    config = parse_config(data, source=str(path), environ=environ)
    return resolve_relative(config, path.resolve().parent)
