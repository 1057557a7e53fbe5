"""A throwaway MariaDB server for tests and benchmarks: own datadir, loopback, random port.

    server = MariaDbServer.create(tmp_dir)      # mariadb-install-db + mariadbd, ~2-3 s
    server.url("hma_test")                       # mysql://hma@127.0.0.1:PORT/hma_test
    server.password                              # the user's password (HMA_DB_PASSWORD)
    server.kill(); server.start()                # crash and recover with the same datadir
    server.stop()

The server runs as a child process of the test session (never a system
service), listens on 127.0.0.1 only, allows ``LOAD DATA LOCAL INFILE`` and keeps
its InnoDB buffer small. Nothing here imports pytest, so ``bench/`` uses it too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

USER = "hma"
PASSWORD = "hma-test-pw"  # a throwaway server on loopback
ROOT_PASSWORD = "hma-root-pw"


def find_binary(name: str) -> str | None:
    return shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MariaDbServer:
    datadir: Path
    port: int
    mariadbd: str
    buffer_pool: str = "64M"
    process: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)

    user = USER
    password = PASSWORD

    # ---------------------------------------------------------------- lifecycle

    @classmethod
    def create(
        cls, base: Path, *, buffer_pool: str = "64M", port: int | None = None
    ) -> MariaDbServer:
        mariadbd = find_binary("mariadbd")
        install = find_binary("mariadb-install-db")
        if not mariadbd or not install:
            raise FileNotFoundError("mariadbd / mariadb-install-db not installed")
        datadir = (base / "mariadb").resolve()
        datadir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                install,
                "--no-defaults",
                f"--user={_user()}",
                f"--datadir={datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        server = cls(datadir, port or _free_port(), mariadbd, buffer_pool)
        server.start()
        server._bootstrap()
        return server

    def start(self, timeout: float = 60.0) -> None:
        log = open(self.datadir / "server.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                self.mariadbd,
                "--no-defaults",
                f"--user={_user()}",
                f"--datadir={self.datadir}",
                f"--socket={self.datadir / 'sock'}",
                f"--pid-file={self.datadir / 'pid'}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--local-infile=1",
                f"--innodb-buffer-pool-size={self.buffer_pool}",
                "--innodb-log-file-size=256M",
                "--skip-log-bin",
                *self.extra_args,
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mariadbd exited with {self.process.returncode}: {self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if self._ping():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"mariadbd did not start: {self.log_tail()}")
            time.sleep(0.05)

    def _ping(self) -> bool:
        for password in (ROOT_PASSWORD, ""):
            try:
                pymysql.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user="root",
                    password=password,
                    connect_timeout=2,
                ).close()
                return True
            except pymysql.err.OperationalError as exc:
                if exc.args and exc.args[0] == 1045:  # access denied: it is up
                    continue
                return False
        return True

    def _bootstrap(self) -> None:
        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="")
        with conn.cursor() as cur:
            cur.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
            cur.execute("GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
            cur.execute("SELECT user, host FROM mysql.user WHERE user = 'root'")
            for user, host in cur.fetchall():
                if host in ("localhost", "127.0.0.1"):
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (user, host, ROOT_PASSWORD))
                else:  # root@<hostname>, root@::1: not reachable here, no password set
                    cur.execute("DROP USER %s@%s", (user, host))
            cur.execute(
                "CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s", (USER, PASSWORD)
            )
        conn.close()

    def kill(self) -> None:
        """SIGKILL the server (a crash); `start()` recovers the same datadir."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = (self.datadir / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ---------------------------------------------------------------- use

    def root(self, database: str | None = None) -> pymysql.connections.Connection:  # type: ignore[type-arg]
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password=ROOT_PASSWORD,
            database=database,
            autocommit=True,
            local_infile=True,
        )

    def create_database(self, name: str) -> str:
        """A fresh, empty database the test user owns."""
        conn = self.root()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            cur.execute(f"GRANT ALL ON `{name}`.* TO %s@'127.0.0.1'", (USER,))
        conn.close()
        return name

    def url(self, database: str) -> str:
        return f"mysql://{USER}@127.0.0.1:{self.port}/{database}"


def _user() -> str:
    return "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
