"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder,
listening on a free port of 127.0.0.1, removed at the end.

The server binaries come from the system (Debian's ``postgresql`` package; ``.ci/run``
installs it). PostgreSQL refuses to run as root, so as root the cluster belongs to the
``postgres`` user. Where no server is installed the PostgreSQL tests skip, unless
``BRIEFBOT_REQUIRE_POSTGRES=1`` (CI sets it) turns the skip into a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

REQUIRE_ENV = "BRIEFBOT_REQUIRE_POSTGRES"
START_TIMEOUT_S = 30


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _bin_dir() -> Path:
    """Debian keeps the server programs per version; elsewhere they are on the PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    on_path = shutil.which("initdb")
    if on_path is None:
        raise PostgresMissing("no PostgreSQL server programs (install Debian's postgresql package)")
    return Path(on_path).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """One running cluster; :meth:`create_database` gives each test a database of its own."""

    folder: Path
    port: int
    bin_dir: Path
    run_as: str | None  # the user the server runs as (``postgres`` when we are root)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = _bin_dir()
        run_as = "postgres" if os.geteuid() == 0 else None
        folder = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
        if run_as:
            user = pwd.getpwnam(run_as)
            os.chown(folder, user.pw_uid, user.pw_gid)
        server = cls(folder=folder, port=_free_port(), bin_dir=bin_dir, run_as=run_as)
        server._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c fsync=off"
        server._run("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "log"), "-o", options,
                    "-w", "-t", str(START_TIMEOUT_S), "start")
        return server

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str = "template1") -> str:
        """A new database, a copy of ``template`` (empty by default); returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database`, closing what is still connected."""
        self.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def execute(self, statement: str) -> None:
        """Run one statement in the ``postgres`` database, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(statement)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT_S, cwd=self.folder
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr.strip() or result.stdout.strip()}")
