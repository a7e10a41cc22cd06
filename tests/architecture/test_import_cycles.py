"""No module of the package imports, however indirectly, a module that imports it back."""

from __future__ import annotations

from pathlib import Path

import authz_mcp
from tests.architecture.imports import cycles, import_graph

PACKAGE = Path(authz_mcp.__file__).parent


def test_the_package_has_no_import_cycles() -> None:
    assert cycles(import_graph(PACKAGE)) == []


def test_a_cycle_hidden_under_type_checking_and_in_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "hub"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "core.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hub.inner.handler import run\n"
    )
    (package / "inner" / "handler.py").write_text("def run():\n    from ..core import go\n")
    (package / "leaf.py").write_text("import hub.core\n")
    assert cycles(import_graph(package)) == [["hub.core", "hub.inner.handler"]]
