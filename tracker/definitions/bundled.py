"""The indicator sets that ship with tracker."""

from __future__ import annotations

from pathlib import Path

from tracker.definitions.reader import DefinitionError

_PACKAGE = Path(__file__).resolve().parent.parent


def bundled_definitions_folder() -> Path:
    """Where the bundled `*.toml` sets are.

    An installed wheel carries them inside the package (pyproject.toml's force-include); a
    source checkout, editable install included, reads the repository's own `indicators/` so that
    an edit there is what `tracker seed` loads.
    """
    for folder in (_PACKAGE / "bundled_indicators", _PACKAGE.parent / "indicators"):
        if folder.is_dir():
            return folder
    raise DefinitionError(f"no bundled indicator sets found (looked beside {_PACKAGE})")


def bundled_definition_files() -> list[Path]:
    return sorted(bundled_definitions_folder().glob("*.toml"))
