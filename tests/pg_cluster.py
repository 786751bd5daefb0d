"""A throwaway PostgreSQL cluster for tests and benchmarks, on a Unix socket in a temp dir.

Started from the distribution's binaries (Debian puts them in /usr/lib/postgresql/N/bin).
PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
Nothing listens on TCP (`listen_addresses` is empty, clients connect over the socket),
unless `tcp=True`: then also a free loopback port with a password, for containers
(deploy/check_images.py).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote


def pg_bin_dir() -> Path | None:
    """The newest installed server's bin folder, or None when PostgreSQL is not installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """initdb + pg_ctl start in a fresh folder; `stop()` removes it all again."""

    def __init__(self, bin_dir: Path, tcp: bool = False) -> None:
        self.bin_dir = bin_dir
        self.tcp = tcp
        self.password = secrets.token_urlsafe(16) if tcp else ""
        self.root = Path(tempfile.mkdtemp(prefix="lrquiz-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.port = _free_port() if tcp else 5432
        self._user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> Cluster:
        self.socket_dir.mkdir()
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chmod(self.root, 0o755)
            for folder in (self.root, self.socket_dir):
                os.chown(folder, entry.pw_uid, entry.pw_gid)
        auth = ["-A", "trust"]
        if self.tcp:
            password_file = self.root / "password"
            password_file.write_text(self.password)
            if self._user:
                shutil.chown(password_file, self._user)
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", *auth, "-E", "UTF8")
        listen = "127.0.0.1" if self.tcp else "''"
        options = (
            f"-k {self.socket_dir} -p {self.port} -c listen_addresses={listen} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            options,
            "start",
        )
        return self

    def url(self, database: str = "postgres") -> str:
        if self.tcp:
            return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"
        return (
            f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir))}&port={self.port}"
        )

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
