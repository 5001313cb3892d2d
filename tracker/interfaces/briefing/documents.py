"""Choosing the briefing's format, and writing it to a file without ever leaving half of one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tracker.errors import TrackerError
from tracker.services.briefing import Briefing


class DocumentError(TrackerError):
    """The briefing could not be written where the analyst asked."""


def briefing_document(briefing: Briefing, output_format: str) -> str:
    # Each renderer is imported when asked for: HTML brings in Matplotlib, which takes time.
    if output_format == "html":
        from tracker.interfaces.briefing.html import briefing_html

        return briefing_html(briefing)
    if output_format == "json":
        from tracker.interfaces.briefing.json_document import briefing_json

        return briefing_json(briefing) + "\n"
    from tracker.interfaces.briefing.markdown import briefing_markdown

    return briefing_markdown(briefing)


def write_document(path: Path, text: str) -> None:
    """Write the whole file or nothing: a reader never opens a half-written briefing, and an
    earlier file of the same name survives a failure."""
    target = path.expanduser()
    if target.is_dir():
        raise DocumentError(f"cannot write the briefing to {path}: it is a folder")
    if not target.parent.is_dir():
        raise DocumentError(
            f"cannot write the briefing to {path}: the folder {target.parent} does not exist"
        )
    temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
    try:
        # Created as any new file is (the user's umask applies), and never over another.
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise DocumentError(f"cannot write the briefing to {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DocumentError(f"cannot write the briefing to {path}: {exc.strerror}") from exc
