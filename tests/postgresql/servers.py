"""PostgreSQL servers (and a PgBouncer) the tests start themselves, from Debian's binaries.

Each server is a fresh cluster (``initdb``) in a temporary directory, listening on 127.0.0.1 on a
free port of ``ZHILI_TEST_POSTGRESQL_PORTS`` (default 55440-55449), its socket in its own directory.
PostgreSQL and PgBouncer refuse to run as root: run as root (CI containers), they run as the
``postgres`` system user, which then owns their directories.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY_DIR = Path(__file__).resolve().parents[2]
DEPLOY_DIR = REPOSITORY_DIR / "deploy" / "postgresql"
ARCHIVE_IN_DEPLOY = "/srv/zhili/wal-archive"
APPLICATION_SCRIPT = Path(__file__).with_name("application_script.py")
PGBOUNCER = "/usr/sbin/pgbouncer"
_SERVER_USER = "postgres"


def binaries_directory() -> Path:
    """The newest installed PostgreSQL's ``bin`` (Debian: /usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin/initdb): "
                           "run scripts/setup-system, which installs the Debian package postgresql")
    return found[-1].parent


def _as_server_user() -> list[str]:
    return ["runuser", "-u", _SERVER_USER, "--"] if os.geteuid() == 0 else []


def _run(command: list[str], *, timeout: float = 60) -> str:
    completed = subprocess.run([*_as_server_user(), *command], capture_output=True, text=True,  # noqa: S603
                               timeout=timeout, check=False, cwd=tempfile.gettempdir())
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout}\n"
                           f"{completed.stderr}")
    return completed.stdout


def private_directory(prefix: str) -> Path:
    """A new temporary directory that the server user owns (mode 700)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))  # not pytest's tmp_path: the server user must enter it
    if os.geteuid() == 0:
        account = pwd.getpwnam(_SERVER_USER)
        os.chown(directory, account.pw_uid, account.pw_gid)
    return directory


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# port → the open lock file that reserves it for this process (other test processes, of this run or
# of another checkout, skip a locked port even before its server listens)
_port_locks: dict[int, int] = {}


def free_port() -> int:
    first, _, last = os.environ.get("ZHILI_TEST_POSTGRESQL_PORTS", "55440-55449").partition("-")
    for port in range(int(first), int(last or first) + 1):
        if port in _port_locks:
            continue
        descriptor = os.open(Path(tempfile.gettempdir()) / f"zhili-test-port-{port}.lock", os.O_RDWR | os.O_CREAT,
                             0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        if _port_free(port):
            _port_locks[port] = descriptor
            return port
        os.close(descriptor)
    raise RuntimeError(f"no free port in ZHILI_TEST_POSTGRESQL_PORTS={first}-{last} on 127.0.0.1 (set another range)")


def port_release(port: int) -> None:
    descriptor = _port_locks.pop(port, None)
    if descriptor is not None:
        os.close(descriptor)


@dataclass
class Server:
    """One PostgreSQL server process on 127.0.0.1:``port`` with its data in ``data``."""

    data: Path
    port: int
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def socket_directory(self) -> Path:
        return self.data.parent

    def start(self) -> None:
        options = {"port": str(self.port), "listen_addresses": "127.0.0.1",
                   "unix_socket_directories": str(self.socket_directory), "fsync": "off", **self.settings}
        arguments = " ".join(f"-c {name}={value}" for name, value in options.items())
        _run([str(binaries_directory() / "pg_ctl"), "start", "-D", str(self.data), "-w", "-t", "60",
              "-l", str(self.data.parent / "server.log"), "-o", arguments], timeout=90)

    def stop(self, *, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            _run([str(binaries_directory() / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w"])

    def url(self, database: str = "zhili") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def query(self, sql: str, *, database: str = "postgres") -> str:
        """``sql`` through psql; the rows as text (``|`` between columns), stripped."""
        return _run([str(binaries_directory() / "psql"), "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                     "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql]).strip()

    def wait_until(self, sql: str, expected: str, *, database: str = "postgres", seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.query(sql, database=database) == expected:
                    return
            except RuntimeError:
                pass  # still starting
            if time.monotonic() > deadline:
                raise RuntimeError(f"{sql!r} did not give {expected!r} within {seconds} s on port {self.port}")
            time.sleep(0.2)

    def remove(self) -> None:
        self.stop(mode="immediate")  # its data goes next: no shutdown checkpoint
        shutil.rmtree(self.data.parent, ignore_errors=True)
        port_release(self.port)


def deploy_file(name: str, replacements: Mapping[str, str]) -> str:
    """deploy/postgresql/``name`` with only its machine-specific values replaced (each must be there)."""
    text = (DEPLOY_DIR / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"deploy/postgresql/{name} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def configuration_include(data: Path, name: str, text: str) -> None:
    """Put ``text`` beside the server's postgresql.conf as ``name`` and include it (Debian's conf.d)."""
    server_file_write(data / name, text)
    server_file_append(data / "postgresql.conf", f"include '{name}'")


def primary_create(*, archive: Path) -> Server:
    """A new cluster configured with deploy/postgresql/primary.conf (archiving into ``archive``), started."""
    directory = private_directory("zhili-test-primary-")
    data = directory / "data"
    _run([str(binaries_directory() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
          "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"], timeout=120)
    configuration_include(data, "zhili-primary.conf", deploy_file("primary.conf", {ARCHIVE_IN_DEPLOY: str(archive)}))
    server = Server(data=data, port=free_port())
    server.start()
    return server


def base_backup(primary: Server, *, standby: bool) -> Path:
    """``pg_basebackup`` of ``primary`` into a new directory; ``standby``: with ``-R`` (a streaming
    replica's standby.signal and primary_conninfo)."""
    directory = private_directory("zhili-test-backup-")
    data = directory / "data"
    _run([str(binaries_directory() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
          "-D", str(data), "-c", "fast", "-X", "stream", "--no-sync", *(["-R"] if standby else [])], timeout=120)
    return data


def server_file_append(path: Path, text: str) -> None:
    """Append to a file of a server's data directory (as its owner)."""
    _run(["sh", "-c", f"cat >> '{path}' <<'EOF'\n{text}\nEOF"])


def server_file_write(path: Path, text: str) -> None:
    _run(["sh", "-c", f"cat > '{path}' <<'EOF'\n{text}\nEOF"])


@dataclass
class Pooler:
    """PgBouncer on 127.0.0.1:``port`` in front of ``server``, transaction pooling."""

    server: Server
    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server_file_write(self.directory / "userlist.txt", '"postgres" ""')
        # the test machine's ports and paths; trust instead of SCRAM (the test servers trust 127.0.0.1)
        server_file_write(self.directory / "pgbouncer.ini", deploy_file("pgbouncer.ini", {
            "zhili = host=127.0.0.1 port=5432 dbname=zhili": f"zhili = host=127.0.0.1 port={self.server.port} dbname=zhili",
            "listen_port = 6432": f"listen_port = {self.port}",
            "unix_socket_dir = /var/run/postgresql": f"unix_socket_dir = {self.directory}",
            "auth_type = scram-sha-256": "auth_type = trust",
            "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {self.directory}/userlist.txt",
            "admin_users = pgbouncer_admin": "admin_users = postgres",
            "logfile = /var/log/postgresql/pgbouncer.log": f"logfile = {self.directory}/pgbouncer.log",
            "pidfile = /var/run/postgresql/pgbouncer.pid": f"pidfile = {self.directory}/pgbouncer.pid",
        }))
        self.process = subprocess.Popen([*_as_server_user(), PGBOUNCER, str(self.directory / "pgbouncer.ini")],  # noqa: S603
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        cwd=tempfile.gettempdir())
        deadline = time.monotonic() + 30
        while _port_free(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "pgbouncer.log")
                raise RuntimeError(f"pgbouncer did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.1)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def show(self, what: str) -> list[dict[str, str]]:
        """A ``SHOW <what>`` of PgBouncer's admin console, as rows of named columns."""
        output = _run([str(binaries_directory() / "psql"), "-X", "-A", "-F", "\t", "-h", "127.0.0.1", "-p",
                       str(self.port), "-U", "postgres", "-d", "pgbouncer", "-c", f"SHOW {what}"])
        lines = [line for line in output.splitlines() if line and not line.startswith("(")]
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        port_release(self.port)


def application_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a zhili process on ``database_url`` (test mode, its own data directory)."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("DATABASE_", "ZHILI_REPLICA_", "ZHILI_PG_", "PYTEST_", "REDIS_URL"))}
    environment.update({"DATABASE_URL": database_url, "ZHILI_TESTING": "1", **extra})
    return environment


def zhili(arguments: list[str], environment: Mapping[str, str], *, timeout: float = 240) -> str:
    """``zhili <arguments>`` (the project's command) in ``environment``; its standard output."""
    command = [str(Path(sys.executable).with_name("zhili")), *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=dict(environment),  # noqa: S603
                               cwd=REPOSITORY_DIR, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"zhili {' '.join(arguments)} failed ({completed.returncode}):\n{completed.stdout}\n"
                           f"{completed.stderr[-4000:]}")
    return completed.stdout


def application(action: str, environment: Mapping[str, str], *, timeout: float = 240) -> dict[str, object]:
    """Run one action of application_script.py in ``environment``; the JSON object it prints last."""
    completed = subprocess.run([sys.executable, str(APPLICATION_SCRIPT), action], capture_output=True, text=True,  # noqa: S603
                               timeout=timeout, env=dict(environment), cwd=REPOSITORY_DIR, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"application_script {action} failed ({completed.returncode}):\n{completed.stdout}\n"
                           f"{completed.stderr[-4000:]}")
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result
