"""A throwaway PostgreSQL server for the tests, started from the machine's own packages.

The tests must prove the app against a real PostgreSQL, not a look-alike, yet must not depend on a
server someone else runs, configures or leaves data in. So each test session initialises a fresh
cluster in a temporary directory, listens only on 127.0.0.1 on a free port, and removes everything
when it stops (also at interpreter exit, so a crashed session leaves no server behind).

PostgreSQL refuses to run as root, and the tests run as root in CI, so there the server programs
run as the ``postgres`` system user (or ``nobody``) in a directory that user owns.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import errors, sql

_PROGRAMS = ("initdb", "pg_ctl", "postgres")
_HOST = "127.0.0.1"
_USER = "tracker_test"
_PORT_ATTEMPTS = 5
_TEMPLATE_ATTEMPTS = 2
_START_TIMEOUT_S = 60
_LOG_TAIL_LINES = 40


def postgres_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    # Debian and Ubuntu keep the server programs off PATH, one folder per major version.
    versioned: list[tuple[tuple[int, ...], Path]] = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        version = folder.parent.name
        if re.fullmatch(r"\d+(\.\d+)*", version) and _has_programs(folder):
            versioned.append((tuple(int(part) for part in version.split(".")), folder))
    if versioned:
        return max(versioned)[1]
    initdb = shutil.which("initdb")
    if initdb is None:
        return None
    # PATH may hold symlinks to a folder whose siblings pg_ctl needs to find postgres.
    for folder in (Path(initdb).resolve().parent, Path(initdb).parent):
        if _has_programs(folder):
            return folder
    return None


def _has_programs(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in _PROGRAMS)


class PostgresServer:
    """A running throwaway server; ``start`` makes one, ``stop`` ends it and deletes its files."""

    user: str
    password: str
    host: str
    port: int

    def __init__(
        self,
        *,
        binaries: Path,
        directory: Path,
        password: str,
        port: int,
        run_as: pwd.struct_passwd | None,
    ) -> None:
        self.user = _USER
        self.password = password
        self.host = _HOST
        self.port = port
        self._binaries = binaries
        self._directory = directory
        self._run_as = run_as
        # A forked child inherits the atexit hook; only the process that started the server may
        # stop it, or the child's exit would pull the server from under the parent.
        self._owner_pid = os.getpid()
        self._stopped = False
        self._server_version: int | None = None

    @property
    def data_directory(self) -> Path:
        return self._directory / "data"

    @property
    def log_path(self) -> Path:
        return self._directory / "server.log"

    @classmethod
    def start(cls) -> PostgresServer:
        """Initialise a cluster in a new temporary directory and start it; RuntimeError if not."""
        binaries = postgres_binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed: no initdb, pg_ctl and postgres found")
        run_as = _unprivileged_user() if os.geteuid() == 0 else None
        directory = Path(tempfile.mkdtemp(prefix="tracker-pg-", dir=_temp_root(run_as)))
        server = cls(
            binaries=binaries,
            directory=directory,
            password=secrets.token_urlsafe(24),
            port=0,
            run_as=run_as,
        )
        try:
            if run_as is not None:
                os.chown(directory, run_as.pw_uid, run_as.pw_gid)
            server._initdb()
            server._start_on_free_port()
        except BaseException:
            server._remove_directory()
            raise
        atexit.register(server.stop)
        return server

    def url(self, database: str, *, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return (
            f"postgresql+psycopg://{quote(self.user, safe='')}:{quote(secret, safe='')}"
            f"@{self.host}:{self.port}/{quote(database, safe='')}"
        )

    def create_database(self, name: str, *, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
            if self._version() >= 150000:
                # Copying the template's files beats 15's default of copying it block by block
                # through the write-ahead log: 0.02 s against 0.12 s for a test's database.
                statement = sql.SQL("{} STRATEGY FILE_COPY").format(statement)
        for attempt in range(1, _TEMPLATE_ATTEMPTS + 1):
            try:
                self._admin(statement)
                return
            except errors.ObjectInUse:
                # A client that just closed its connection to the template may still have a
                # backend winding down; the server itself waits up to 5 s before refusing.
                if template is None or attempt == _TEMPLATE_ATTEMPTS:
                    raise
                time.sleep(0.2)

    def _version(self) -> int:
        if self._server_version is None:
            with self.connect("postgres") as connection:
                self._server_version = connection.info.server_version
        return self._server_version

    def drop_database(self, name: str) -> None:
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Stop the server and delete its directory; safe to call twice and from atexit."""
        if self._stopped or os.getpid() != self._owner_pid:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        if (self.data_directory / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                result = self._pg_ctl("stop", "-m", mode, "-t", "30")
                if result.returncode == 0:
                    break
            else:
                self._kill_postmaster()
        self._remove_directory()

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------

    def connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        """A plain connection (autocommit), for reading around tracker's own code."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        )

    def _admin(self, statement: sql.Composable) -> None:
        # CREATE and DROP DATABASE cannot run inside a transaction block.
        with self.connect("postgres") as connection:
            connection.execute(statement)

    def _initdb(self) -> None:
        password_file = self._directory / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        if self._run_as is not None:
            os.chown(password_file, self._run_as.pw_uid, self._run_as.pw_gid)
        try:
            result = self._run(
                self._binaries / "initdb",
                "-D",
                str(self.data_directory),
                "-U",
                self.user,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "--encoding=UTF8",
                # C.UTF-8 sorts bytewise like C yet, unlike C, lower-cases Cyrillic text.
                "--locale=C.UTF-8",
                "--no-sync",
            )
        finally:
            password_file.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}")

    def _start_on_free_port(self) -> None:
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            self.port = _free_port()
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            options = " ".join(
                [
                    f"-c listen_addresses={self.host}",
                    f"-c port={self.port}",
                    # pg_ctl hands these to a shell, so a TMPDIR with spaces must be quoted.
                    f"-c unix_socket_directories={shlex.quote(str(self._directory))}",
                    "-c max_connections=100",
                    # Nothing on this server needs to survive a power cut.
                    "-c fsync=off",
                    "-c full_page_writes=off",
                ]
            )
            result = self._pg_ctl(
                "start", "-w", "-t", str(_START_TIMEOUT_S), "-l", str(self.log_path), "-o", options
            )
            if result.returncode == 0:
                return
            log = self._log_since(log_offset)
            # The port was free when chosen but another process may have taken it since.
            if "Address already in use" in log and attempt < _PORT_ATTEMPTS:
                continue
            tail = "\n".join(log.splitlines()[-_LOG_TAIL_LINES:])
            raise RuntimeError(
                f"pg_ctl start failed ({result.returncode}) on port {self.port}:\n"
                f"{result.stdout}\n--- {self.log_path.name} ---\n{tail}"
            )

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _pg_ctl(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return self._run(self._binaries / "pg_ctl", "-D", str(self.data_directory), *arguments)

    def _run(self, program: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
        # Inherited PG* variables (PGDATA, PGPORT, PGOPTIONS...) would quietly change the cluster.
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        environment["LC_ALL"] = "C.UTF-8"
        run_as = self._run_as
        return subprocess.run(
            [str(program), *arguments],
            # pg_ctl's server gets its output redirected to the log, so capturing cannot hang.
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=environment,
            # The server user may not be able to enter the caller's directory (e.g. /root).
            cwd=self._directory,
            check=False,
            # subprocess drops privileges between fork and exec itself: no preexec_fn, which is
            # unsafe once threads exist, and no need for setpriv to be installed.
            user=None if run_as is None else run_as.pw_uid,
            group=None if run_as is None else run_as.pw_gid,
            extra_groups=None if run_as is None else [],
        )

    def _kill_postmaster(self) -> None:
        # Last resort when pg_ctl cannot stop it: the first line of postmaster.pid is its pid.
        try:
            pid = int((self.data_directory / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass

    def _remove_directory(self) -> None:
        shutil.rmtree(self._directory, ignore_errors=True)


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


def _temp_root(run_as: pwd.struct_passwd | None) -> str:
    root = tempfile.gettempdir()
    if run_as is None:
        return root
    # The server user must be able to walk down to its directory; TMPDIR under /root would not do.
    path = Path(root).resolve()
    for folder in (path, *path.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return "/tmp"
    return root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])
