"""Every exception the package defines descends from `AuthzMcpError` (errors.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import authz_mcp
from authz_mcp.errors import AuthzMcpError


def exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(authz_mcp.__path__, "authz_mcp."):
        if info.name == "authz_mcp.__main__":
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found.append(value)
    return found


def test_every_exception_of_the_package_descends_from_the_root() -> None:
    classes = exception_classes()
    assert len(classes) > 40
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, AuthzMcpError)] == []
