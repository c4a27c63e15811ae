"""A throwaway PostgreSQL cluster for tests, built from the system's initdb/pg_ctl."""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresCluster", "find_postgres", "running_postgres"]

USER = "toonbot"
_names = itertools.count()


@dataclass(frozen=True, slots=True)
class PostgresCluster:
    """A running server on 127.0.0.1 with trust auth for USER."""

    port: int
    root: Path

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy asyncpg URL for one database of this cluster."""
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{database}"

    async def fresh_database(self, prefix: str = "t") -> str:
        """Create an empty database with a name unique to this process; its URL (as url())."""
        import asyncpg

        name = f"{prefix}{os.getpid()}_{next(_names)}"
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=USER, database="postgres"
        )
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)


def find_postgres() -> tuple[Path | None, str]:
    """The bin directory holding initdb and pg_ctl, or None and why not."""
    candidates = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir, ""
    return None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed"


def _run_as() -> tuple[list[str], int | None, str]:
    # initdb refuses to run as root: drop to the system's postgres (or nobody) account then.
    if os.geteuid() != 0:
        return [], None, ""
    runuser = shutil.which("runuser")
    if runuser is None:
        return [], None, "running as root and runuser is missing (initdb refuses root)"
    for name in ("postgres", "nobody"):
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        return [runuser, "-u", name, "--"], uid, ""
    return [], None, "running as root and no unprivileged account exists (initdb refuses root)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresCluster | str]:
    """Yield a started cluster, or a string saying why none can run here; stop it after."""
    bindir, why = find_postgres()
    prefix, uid, why_user = _run_as()
    if bindir is None or why_user:
        yield why or why_user
        return
    # Not pytest's tmp_path: that is private to root, and the server may run as another user.
    root = Path(tempfile.mkdtemp(prefix="toonbot-pg-"))
    if uid is not None:
        os.chown(root, uid, -1)
    data, log = root / "data", root / "server.log"
    env = {**os.environ, "LC_ALL": "C"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    started = False
    try:
        init = run(
            str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        if init.returncode != 0:
            yield f"initdb failed: {init.stderr.strip()[-300:]}"
            return
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=60"
        start = run(
            str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"
        )
        if start.returncode != 0:
            tail = log.read_text(errors="replace")[-300:] if log.exists() else start.stderr
            yield f"PostgreSQL did not start: {tail.strip()}"
            return
        started = True
        yield PostgresCluster(port=port, root=root)
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
