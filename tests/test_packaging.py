"""A non-editable install (a wheel in a new virtual environment, run from elsewhere) still finds
its bundled indicator sets, migrations, and the briefing's templates and stylesheet."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.conftest import REPO, run_tracker, tracker_env


def _run(*command: str | Path, cwd: Path) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_installed_wheel_finds_bundled_sets_from_another_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, REPO, cwd=tmp_path
    )
    (wheel,) = dist.glob("tracker-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "tracker/bundled_indicators/russia-ukraine-2025-12.toml" in names
    assert any(name.startswith("tracker/storage/migrations/versions/0001") for name in names)
    assert "tracker/interfaces/briefing/templates/briefing.html.j2" in names
    assert "tracker/interfaces/briefing/templates/briefing.css" in names

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    # The dependencies come from the test environment; tracker itself only from the wheel.
    site_packages = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    (site_packages / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    location = _run(python, "-c", "import tracker; print(tracker.__file__)", cwd=elsewhere)
    assert location.startswith(str(venv))

    result = run_tracker(
        "--db", str(elsewhere / "desk.sqlite3"), "status", "--json",
        cwd=elsewhere, env=tracker_env(elsewhere), executable=[str(venv / "bin" / "tracker")],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) >= 16

    page = elsewhere / "week.html"
    result = run_tracker(
        "--db", str(elsewhere / "desk.sqlite3"), "brief", "--since", "2025-12-15",
        "--until", "2025-12-21", "-o", str(page),
        cwd=elsewhere, env=tracker_env(elsewhere), executable=[str(venv / "bin" / "tracker")],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "break-inside" in html and "<svg" in html
