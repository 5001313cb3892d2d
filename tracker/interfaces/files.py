"""Files the analyst names on the command line or in the app: read whole, or written whole,
never leaving half of one behind."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tracker.errors import TrackerError


class FileProblem(TrackerError):
    """A file the analyst named could not be read or written."""


def read_text_file(path: Path) -> str:
    """A UTF-8 file the analyst named, or one clear line on why it cannot be read."""
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileProblem(f"there is no file {path}") from None
    except IsADirectoryError:
        raise FileProblem(f"{path} is a folder, not a file") from None
    except UnicodeDecodeError:
        raise FileProblem(f"{path} is not a text file (not UTF-8)") from None
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror}") from None


def write_whole_file(path: Path, text: str) -> None:
    """Write the whole file or nothing: a reader never opens a half-written one, and an
    earlier file of the same name survives a failure."""
    target = path.expanduser()
    if target.is_dir():
        raise FileProblem(f"cannot write {path}: it is a folder")
    if not target.parent.is_dir():
        raise FileProblem(f"cannot write {path}: the folder {target.parent} does not exist")
    temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
    try:
        # Created as any new file is (the user's umask applies), and never over another.
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise FileProblem(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {path}: {exc.strerror}") from exc
