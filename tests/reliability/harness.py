"""Real processes for the crash-safety tests and benches: a fresh database, gunicorn, huey workers, clients.

Nothing here imports Django: the parent process only starts, kills and talks to the server over HTTP,
and reads the server's database through :mod:`tests.reliability.server_script` in a subprocess.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

REPOSITORY_DIR = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
# a point in each harness grid (see server_script.GRID_CELLS)
GRID_POINTS = ((119.925, 31.725), (119.975, 31.725), (119.925, 31.775), (119.975, 31.775))
DESCRIPTIONS = ("小区门口垃圾堆放三天没有清运，气味很大", "路面坑洼破损，电动车经过容易摔倒",
                "晚上施工噪声扰民，影响休息", "垃圾桶满了溢出来，请尽快清运")
MATTER_FOR_DESCRIPTION = ("M001", "M002", "M003", "M001")
# Load generators are one address and a few keys: explicit limits far above what they send, so the
# rate limiter still counts every request (on the installation's own cache) but never refuses one.
GENEROUS_RATE_LIMITS = dict.fromkeys(("ZHILI_RATE_REPORTS", "ZHILI_RATE_TRACK", "ZHILI_RATE_OPEN311_ADDRESS", "ZHILI_RATE_OPEN311_KEY", "ZHILI_RATE_API_USER"), "1000000/m")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Deployment:
    """One throwaway installation: its data directory, database and environment."""

    data_dir: Path
    database_url: str  # "" for the embedded SQLite database
    redis_url: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    postgres_database: str = ""
    keys: dict[str, Any] = field(default_factory=dict)

    def seed(self, *, webhook_url: str = "") -> dict[str, Any]:
        """Reference data and API keys (see ``server_script.seed``); kept in :attr:`keys`."""
        # generous: on a machine shared by many test runs one Django start-up has taken over two minutes
        self.keys = self.run_script("seed", {"webhook_url": webhook_url}, timeout=600)
        return self.keys

    def run_script(self, command: str, argument: dict[str, Any] | None = None, timeout: float = 120) -> Any:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-m", "tests.reliability.server_script", command, json.dumps(argument or {})],
            cwd=REPOSITORY_DIR, env=self.environment, capture_output=True, text=True, timeout=timeout, check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"server_script {command} failed:\n{completed.stderr[-3000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def run_zhili(self, *arguments: str, timeout: float = 900) -> str:
        completed = subprocess.run(  # noqa: S603 - our own console script
            [str(BIN_DIR / "zhili"), *arguments], cwd=REPOSITORY_DIR, env=self.environment,
            capture_output=True, text=True, timeout=timeout, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"zhili {' '.join(arguments)} failed:\n{completed.stderr[-3000:]}")
        return completed.stdout


def _static_sources_fingerprint() -> str:
    """Changes when any file collectstatic would collect changes (app static files, vendor files)."""
    digest = hashlib.sha256()
    sources = sorted((REPOSITORY_DIR / "src" / "zhili").glob("*/static/**/*"))
    sources += [REPOSITORY_DIR / "node_modules" / "echarts" / "dist" / "echarts.min.js",
                REPOSITORY_DIR / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"]
    for path in sources:
        if path.is_file():
            status = path.stat()
            digest.update(f"{path}:{status.st_size}:{status.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def collected_static_root(environment: dict[str, str]) -> Path:
    """Static files collected as production collects them, once for all tests while the sources are unchanged."""
    parent = REPOSITORY_DIR / "var" / "test-static"
    parent.mkdir(parents=True, exist_ok=True)
    root = parent / _static_sources_fingerprint()
    with (parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "staticfiles.json").is_file():
            for stale in parent.iterdir():
                if stale.is_dir() and stale != root:
                    shutil.rmtree(stale, ignore_errors=True)
            completed = subprocess.run(  # noqa: S603 - our own console script
                [str(BIN_DIR / "zhili"), "collectstatic", "--noinput", "--verbosity", "0"], cwd=REPOSITORY_DIR,
                env={**environment, "ZHILI_STATIC_ROOT": str(root)}, capture_output=True, text=True, timeout=600,
                check=False)
            if completed.returncode != 0:
                raise RuntimeError(f"collectstatic failed:\n{completed.stderr[-3000:]}")
    return root


def production_keys() -> dict[str, str]:
    """Fresh keys for one installation, as ``zhili keys_generate`` makes them."""
    return {"ZHILI_SECRET_KEY": secrets.token_urlsafe(48),
            "ZHILI_PII_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"),
            "ZHILI_METRICS_TOKEN": secrets.token_urlsafe(32)}


def _postgres_admin_url(database_url: str) -> tuple[str, str]:
    """(URL of the maintenance database, base URL without a database name)."""
    base = database_url.rsplit("/", 1)[0]
    return f"{base}/postgres", base


@contextlib.contextmanager
def deployment(base_dir: Path, *, backend: str = "", redis_url: str = "",
               extra_environment: dict[str, str] | None = None) -> Iterator[Deployment]:
    """A migrated, empty installation; PostgreSQL when ``backend`` (or DATABASE_URL) names it.

    On PostgreSQL a fresh database of its own is created and dropped afterwards.
    """
    inherited_url = os.environ.get("DATABASE_URL", "")
    backend = backend or ("postgresql" if inherited_url.startswith("postgres") else "sqlite")
    data_dir = base_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"ZHILI_TESTING", "DATABASE_URL", "REDIS_URL", "ZHILI_TEST_DATABASE_NAME",
                                  "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"}}
    environment.update({"ZHILI_DATA_DIR": str(data_dir), "ZHILI_HUEY_IMMEDIATE": "0",
                        "DJANGO_SETTINGS_MODULE": "zhili.config.settings", "PYTHONPATH": str(REPOSITORY_DIR),
                        "ZHILI_LOG_LEVEL": "ERROR", "ZHILI_DEBUG": "0", "ZHILI_ALLOWED_HOSTS": "127.0.0.1,localhost",
                        "ZHILI_HTTPS": "0", **production_keys(), **GENEROUS_RATE_LIMITS})
    environment.update(extra_environment or {})
    environment.setdefault("ZHILI_STATIC_ROOT", str(collected_static_root(environment)))
    database_url = ""
    postgres_database = ""
    if backend == "postgresql":
        import psycopg

        admin_url, base = _postgres_admin_url(inherited_url or "postgres://postgres@127.0.0.1:5432/postgres")
        postgres_database = f"zhili_harness_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{postgres_database}"')
        database_url = f"{base}/{postgres_database}"
        environment["DATABASE_URL"] = database_url
    if redis_url:
        environment["REDIS_URL"] = redis_url
        environment["ZHILI_QUEUE_NAME"] = f"zhili-harness-{uuid.uuid4().hex[:8]}"
    installation = Deployment(data_dir=data_dir, database_url=database_url, redis_url=redis_url,
                              environment=environment, postgres_database=postgres_database)
    try:
        installation.run_zhili("migrate", "--verbosity", "0")
        yield installation
    finally:
        if redis_url:
            import redis

            queue = redis.Redis.from_url(redis_url)
            for key in queue.scan_iter(match=f"*{environment['ZHILI_QUEUE_NAME']}*"):
                queue.delete(key)
        if postgres_database:
            import psycopg

            admin_url, _base = _postgres_admin_url(inherited_url or "postgres://postgres@127.0.0.1:5432/postgres")
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{postgres_database}" WITH (FORCE)')


class ManagedProcess:
    """A process group we started; :meth:`kill` sends SIGKILL to the whole group (master and workers)."""

    def __init__(self, arguments: list[str], environment: dict[str, str], log_path: Path, *,
                 stop_signal: signal.Signals = signal.SIGTERM) -> None:
        self.arguments = arguments
        self.environment = environment
        self.log_path = log_path
        self.stop_signal = stop_signal  # the program's graceful stop (gunicorn: SIGTERM; Huey: SIGINT)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            self.arguments, cwd=REPOSITORY_DIR, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, self.stop_signal)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


def web_server(installation: Deployment, *, port: int, workers: int = 2, threads: int = 1) -> ManagedProcess:
    arguments = [str(BIN_DIR / "gunicorn"), "zhili.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
                 "--graceful-timeout", "2", "--log-level", "warning"]
    return ManagedProcess(arguments, installation.environment, installation.data_dir / "gunicorn.log")


def job_worker(installation: Deployment, *, name: str = "huey", workers: int = 1) -> ManagedProcess:
    arguments = [str(BIN_DIR / "zhili"), "run_huey", "--workers", str(workers), "--worker-type", "thread"]
    # SIGINT: Huey finishes the task at hand, then exits (SIGTERM would cut a delivery short after it
    # was sent and before it was marked, and the department would get it twice)
    return ManagedProcess(arguments, installation.environment, installation.data_dir / f"{name}.log",
                          stop_signal=signal.SIGINT)


def wait_until_healthy(base_url: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} did not become healthy in {timeout} s")


# -- intake clients ------------------------------------------------------------------------------

@dataclass
class IntakeLedger:
    """What the clients know: acknowledged keys (with the case number they were given) and the rest."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    abandoned: set[str] = field(default_factory=set)
    rejected: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    retries: int = 0
    server_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def intake_payload(key: str, sequence: int) -> dict[str, Any]:
    index = sequence % len(DESCRIPTIONS)
    longitude, latitude = GRID_POINTS[sequence % len(GRID_POINTS)]
    # spread points so most reports are not near-duplicates of one another
    jitter = (sequence * 7919 % 997) / 997 * 0.04 - 0.02
    return {"description": f"{DESCRIPTIONS[index]}（{key}）", "channel": "hotline",
            "longitude": longitude + jitter, "latitude": latitude - jitter / 2,
            "reporter_name": "王五", "reporter_phone": f"139{sequence % 10**8:08d}",
            "matter_code": MATTER_FOR_DESCRIPTION[index], "external_id": key}


def intake_client(*, base_url: str, api_key: str, client_id: str, ledger: IntakeLedger, stop: threading.Event,
                  give_up_at: float, abandon_share: float = 0.1, seed: int = 0,
                  arrival_interval: float = 0.0) -> None:
    """Send reports until ``stop``; retry each one with the same Idempotency-Key until acknowledged.

    A share of reports is abandoned at their first transport failure (a client that gives up):
    those are the unacknowledged ones that may exist at most once.
    """
    generator = random.Random(seed)
    sequence = 0
    with httpx.Client(base_url=base_url, timeout=15, headers={"Authorization": f"Bearer {api_key}"}) as client:
        while not stop.is_set():
            sequence += 1
            key = f"{client_id}-{sequence}"
            payload = intake_payload(key, sequence + seed * 1000)
            may_abandon = generator.random() < abandon_share
            attempt = 0
            while True:
                attempt += 1
                started = time.perf_counter()
                try:
                    response = client.post("/api/v1/cases/", json=payload, headers={"Idempotency-Key": key})
                except httpx.TransportError:
                    with ledger.lock:
                        ledger.attempts += 1
                        ledger.retries += 1
                    if may_abandon or time.monotonic() > give_up_at:
                        with ledger.lock:
                            ledger.abandoned.add(key)
                        time.sleep(0.2)  # a person who gave up does not call again at once
                        break
                    time.sleep(min(0.05 * 2 ** min(attempt, 5), 1.0))
                    continue
                elapsed_ms = (time.perf_counter() - started) * 1000
                with ledger.lock:
                    ledger.attempts += 1
                    if response.status_code == 201:
                        ledger.acknowledged[key] = response.json()["number"]
                        ledger.latencies_ms.append(elapsed_ms)
                    elif response.status_code >= 500:
                        ledger.server_errors += 1
                        ledger.retries += 1
                    else:
                        ledger.rejected[key] = response.status_code
                if response.status_code < 500:
                    break
                if time.monotonic() > give_up_at:
                    with ledger.lock:
                        ledger.abandoned.add(key)
                    break
                time.sleep(0.1)
            if arrival_interval:
                time.sleep(arrival_interval)


@dataclass
class IntakeCheck:
    acknowledged: int
    abandoned: int
    lost: int  # acknowledged but missing (or with another number)
    duplicated: int  # a key stored more than once
    abandoned_stored: int  # unacknowledged keys that were stored anyway (allowed, once)
    cases_total: int


def intake_check(installation: Deployment, ledger: IntakeLedger) -> IntakeCheck:
    rows = installation.run_script("cases")["cases"]
    stored: dict[str, list[str]] = {}
    for external_id, number, _status, _intake_key in rows:
        stored.setdefault(external_id, []).append(number)
    lost = sum(1 for key, number in ledger.acknowledged.items() if stored.get(key) != [number])
    duplicated = sum(1 for numbers in stored.values() if len(numbers) > 1)
    abandoned_stored = sum(1 for key in ledger.abandoned if key in stored)
    return IntakeCheck(acknowledged=len(ledger.acknowledged), abandoned=len(ledger.abandoned), lost=lost,
                       duplicated=duplicated, abandoned_stored=abandoned_stored, cases_total=len(rows))


def crash_intake_run(installation: Deployment, *, clients: int, duration: float, kills: int, workers: int = 2,
                     log: Any = None) -> tuple[IntakeLedger, IntakeCheck]:
    """Sustained intake from ``clients`` threads; SIGKILL the whole server ``kills`` times; verify."""
    keys = installation.keys or installation.seed()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = web_server(installation, port=port, workers=workers)
    server.start()
    wait_until_healthy(base_url)
    ledger = IntakeLedger()
    stop = threading.Event()
    started = time.monotonic()
    give_up_at = started + duration + 60
    threads = [threading.Thread(target=intake_client, kwargs={
        "base_url": base_url, "api_key": keys["intake_key"], "client_id": f"c{number}", "ledger": ledger,
        "stop": stop, "give_up_at": give_up_at, "seed": number}, daemon=True) for number in range(clients)]
    for thread in threads:
        thread.start()
    try:
        for kill_number in range(kills):
            # kill at evenly spread moments, while requests are in flight
            time.sleep(duration / (kills + 1) * (0.7 + 0.6 * random.random()))
            acknowledged_before = len(ledger.acknowledged)
            server.kill()
            if log is not None:
                log(f"kill {kill_number + 1}: SIGKILL after {acknowledged_before} acknowledged")
            time.sleep(0.5)
            server.start()
            wait_until_healthy(base_url)
        time.sleep(max(0.0, started + duration - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        stop.set()
        server.stop()
    return ledger, intake_check(installation, ledger)


def killed_script_runs(installation: Deployment, command: str, argument: dict[str, Any], *,
                       delays: tuple[float, ...]) -> int:
    """Start ``server_script command`` and SIGKILL it ``delay`` seconds after it announces its work.

    The command prints one line when Django is ready and the work begins (``{"announce": true}``), so
    the kill lands in the work itself rather than in the interpreter's start-up. Returns how many runs
    were killed before finishing on their own.
    """
    killed = 0
    for delay in delays:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-m", "tests.reliability.server_script", command,
             json.dumps({**argument, "announce": True})],
            cwd=REPOSITORY_DIR, env=installation.environment, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        assert process.stdout is not None
        process.stdout.readline()
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            killed += 1
        process.wait(timeout=30)
        process.stdout.close()
    return killed


# -- webhook receiver for the job-worker test -----------------------------------------------------

@dataclass
class WebhookLedger:
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextlib.contextmanager
def webhook_receiver(*, delay_seconds: float = 0.0) -> Iterator[tuple[str, WebhookLedger]]:
    """A department system on 127.0.0.1 that records every notification it is sent."""
    ledger = WebhookLedger()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            body["_idempotency_key"] = self.headers.get("Idempotency-Key", "")
            with ledger.lock:
                ledger.received.append(body)
            time.sleep(delay_seconds)  # a slow department system: the worker is killed mid-delivery
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", ledger
    finally:
        server.shutdown()
        server.server_close()


def wait_for_quiet(ledger: WebhookLedger, *, quiet_seconds: float, timeout: float) -> None:
    """Wait until the receiver got nothing new for ``quiet_seconds``."""
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(ledger.received)
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif time.monotonic() - last_change >= quiet_seconds:
            return
        time.sleep(0.1)
