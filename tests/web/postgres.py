"""A throwaway PostgreSQL cluster for the tests: ``initdb`` into a temporary folder, started on
loopback with its socket in that folder, stopped and deleted afterwards.

Debian installs the server binaries under ``/usr/lib/postgresql/<major>/bin`` (not on
``PATH``); :func:`find_binaries` looks there and on ``PATH``. PostgreSQL refuses to run as
root, so as root the cluster belongs to the ``postgres`` system user (created by Debian's
package) or ``nobody``. ``fsync`` is off: the data are thrown away.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Why PostgreSQL tests skip, when they do (None: they can run).
SKIP_REASON_NO_BINARIES = ("no PostgreSQL server binaries (initdb, pg_ctl) in $CRITMIN_PG_BINDIR, on PATH or in "
                           "/usr/lib/postgresql/*/bin: install Debian's `postgresql` package (scripts/test.sh does "
                           "when run as root)")


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest major version), or None.

    ``$CRITMIN_PG_BINDIR`` names the folder explicitly (a folder without them: None, so the
    PostgreSQL tests skip).
    """
    explicit = os.environ.get("CRITMIN_PG_BINDIR")
    if explicit:
        folder = Path(explicit)
        return folder if (folder / "initdb").exists() and (folder / "pg_ctl").exists() else None
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]) if
                   Path(p).parts[-3].isdigit() else 0)
    for initdb in reversed(found):
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One running cluster; :meth:`url` gives a SQLAlchemy URL of a new empty database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self.user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            if self.user is None:
                raise RuntimeError("running as root and no `postgres` or `nobody` user to run PostgreSQL as")
        self.dir = Path(tempfile.mkdtemp(prefix="critmin-pg-"))
        self.data = self.dir / "data"
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        self._databases = 0

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=self.dir, check=False, **kwargs)

    def start(self) -> "Cluster":
        init = self._run("initdb", "-D", str(self.data), "-U", "critmin", "--auth=trust", "-E", "UTF8",
                         "--no-locale", "--no-instructions")
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        options = f"-k {self.dir} -h 127.0.0.1 -p {self.port} -F -c max_connections=200"
        started = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w",
                            "-t", "60", "start")
        if started.returncode:
            log = (self.dir / "log").read_text(errors="replace") if (self.dir / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr or started.stdout}\n{log[-2000:]}")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://critmin@127.0.0.1:{self.port}/postgres"

    def url(self, prefix: str = "t") -> str:
        """A new, empty database; its SQLAlchemy URL (psycopg 3 over TCP on loopback)."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=critmin dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://critmin@127.0.0.1:{self.port}/{name}"
