"""Files the analyst names on the command line or in the app: read whole or a block at a time,
written whole, never leaving half of one behind."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tracker.errors import TrackerError

# Characters read at a time by `text_file_blocks`.
BLOCK_CHARS = 1 << 20


class FileProblem(TrackerError):
    """A file the analyst named could not be read or written."""


def read_text_file(path: Path) -> str:
    """A UTF-8 file the analyst named, or one clear line on why it cannot be read."""
    with _reading(path):
        return path.expanduser().read_text(encoding="utf-8")


def text_file_blocks(path: Path, block_chars: int = BLOCK_CHARS) -> Iterator[str]:
    """The text `read_text_file` reads, a block at a time, with the same refusals (a file
    that is not UTF-8 is refused when its bad bytes are reached)."""
    with _reading(path), path.expanduser().open(encoding="utf-8") as file:
        while block := file.read(block_chars):
            yield block


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    try:
        yield
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
    with writing_whole_file(path) as file:
        file.write(text.encode())


@contextmanager
def writing_whole_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write in pieces, as bytes, that appears under its name only once the block
    has ended and the whole of it is on the disk. Should the block fail, nothing appears and
    an earlier file of the same name is left as it was."""
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
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {path}: {exc.strerror}") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
