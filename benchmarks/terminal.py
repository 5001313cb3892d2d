"""Running a terminal app as a whole process in a pseudo-terminal of a fixed size, as an analyst
starts it, and timing it from start to exit."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path


def time_in_terminal(
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    ready: bytes,
    *,
    columns: int = 160,
    lines: int = 50,
) -> tuple[float, float]:
    """Seconds from starting `command` in a fresh terminal until the terminal is sent `ready`
    (text the app paints only once it shows its data), and until the process exits. A failure,
    or an exit without `ready`, raises with what it printed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    shown = bytearray()
    seen: list[float] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not chunk:
                return
            shown.extend(chunk)
            if not seen and ready in shown[-(len(chunk) + len(ready)) :]:
                seen.append(time.perf_counter())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)},
        cwd=cwd,
        start_new_session=True,
    )
    try:
        code = process.wait(timeout=120)
    finally:
        elapsed = time.perf_counter() - started
        if process.poll() is None:
            process.kill()
        os.close(follower)
        reader.join(timeout=5)
        os.close(leader)
    said = shown.decode(errors="replace")[-4000:]
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited with {code}:\n{said}")
    if not seen:
        raise SystemExit(f"{' '.join(command)} never showed {ready!r}:\n{said}")
    return seen[0] - started, elapsed
