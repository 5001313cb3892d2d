"""The layers of DESIGN.md: interfaces -> services -> storage, and the core never imports a UI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"
# Interface libraries: the terminal, the command line, and the briefing documents.
UI_LIBRARIES = {"textual", "typer", "click", "rich", "jinja2", "markupsafe", "matplotlib"}
CORE = ["storage", "definitions", "services", "vocabulary.py", "errors.py"]
# Which tracker layers each layer may import.
ALLOWED = {
    "storage": {"storage", "vocabulary", "errors"},
    "definitions": {"definitions", "vocabulary", "errors"},
    "services": {"services", "storage", "definitions", "vocabulary", "errors"},
}


def _modules(part: str) -> list[Path]:
    path = PACKAGE / part
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved, `from tracker import x` as
    `tracker.x`."""
    package = ["tracker", *path.relative_to(PACKAGE).parent.parts]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("part", CORE)
def test_core_layers_import_no_user_interface_library(part: str) -> None:
    for module in _modules(part):
        offending = {name for name in _imports(module) if name.split(".")[0] in UI_LIBRARIES}
        assert not offending, f"{module.relative_to(PACKAGE)} imports {offending}"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_one_way(layer: str) -> None:
    for module in _modules(layer):
        for name in _imports(module):
            parts = name.split(".")
            if parts[0] != "tracker" or len(parts) < 2:
                continue
            target = parts[1].removesuffix(".py")
            assert target in ALLOWED[layer], (
                f"{module.relative_to(PACKAGE)} ({layer}) imports tracker.{target}"
            )


def test_no_sql_outside_storage_and_services() -> None:
    for module in _modules("interfaces"):
        imports = _imports(module)
        assert not any(name.startswith(("sqlmodel", "sqlalchemy.orm")) for name in imports), module
        source = module.read_text(encoding="utf-8")
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM"):
            assert keyword not in source, f"{module.relative_to(PACKAGE)} contains SQL"
