"""Throwaway PostgreSQL and Redis servers for the fault tests, on free ports in a temp dir.

The fault tests stop and restart these, never the machine's shared servers. Plain Python
(no Django), so both the pytest process and the scenario script can drive them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def binaries_missing() -> str | None:
    """Why the fault servers cannot be started here, or None when they can."""
    missing = [str(p) for p in (PG_BIN / "initdb", PG_BIN / "pg_ctl", Path(REDIS_SERVER))]
    missing = [p for p in missing if not Path(p).exists()]
    return (
        f"missing {', '.join(missing)} (apt-get install postgresql-15 redis-server)"
        if missing
        else None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse root: run them as the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Postgres:
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "pgdata"

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # The postgres user must reach its folder: a temp dir is root's and 0700.
            self.root.parent.chmod(0o755)
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "--no-sync", "-E", "UTF8"]),
            check=True, capture_output=True,
        )  # fmt: skip
        self.start()

    def _ctl(self, *args: str) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts,
                          "-l", str(self.root / "log"), "-w", *args]),
            check=True, capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")
        _wait_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def restart(self) -> None:
        """Stop at once (every connection cut, `-m immediate` is a crash), then start."""
        self.stop("immediate")
        self.start()

    def psql(self, sql: str, db: str = "postgres") -> str:
        out = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", db, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout.strip()


@dataclass
class Redis:
    root: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=(self.root / "log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_port(self.port)

    def stop(self) -> None:
        """SIGKILL the server, as a crash would: with no persistence, whatever it held is
        gone. Works from any process (the server's pid comes from the server itself)."""
        info = subprocess.run(
            ["redis-cli", "-p", str(self.port), "info", "server"], capture_output=True, text=True
        ).stdout
        pids = [line.split(":")[1].strip() for line in info.splitlines()
                if line.startswith("process_id:")]  # fmt: skip
        for pid in pids:
            os.kill(int(pid), signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        self.proc = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()
