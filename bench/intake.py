"""Sustained intake through the HTTP API, on SQLite and on PostgreSQL, against a bare-insert baseline.

For each backend: a fresh database is migrated and loaded with the synthetic demo district (grids,
addresses, matters, 3,000 cases, and the category model trained on those cases, active — so intake
classifies with the trained model and meets real duplicate candidates); a gunicorn server (gthread
workers) serves the real URLconf plus two bench-only routes that insert a bare case row:

* the baseline, ``bare_insert_per_s``: the same server stack as intake up to the business logic —
  gunicorn, Django's middleware, django-ninja with the same bearer-key check and the same request
  schema — then one bare row (no numbering, locating, classifying, duplicate check, events, audit);
* a plainer one reported beside it, ``plain_view_insert_per_s``: a bare Django view (no API
  framework, no key check).

N client threads (keep-alive connections of the standard library, the lightest load generator at
hand: it shares the two cores with the server) post real citizen messages
(../shared/data/citizen-messages) with random points in the district to ``POST /api/v1/cases/``
(locate + classify + duplicate check + audit), each with an ``Idempotency-Key``; a client retries
timeouts and errors with the same key, and a share of requests is deliberately sent twice (a "lost
response"). At the end the database is counted: ``lost`` = acknowledged or attempted submissions
without a case, ``duplicated`` = extra cases.

Prints one JSON line: {"sqlite": {...}, "postgresql": {...}, "clients": N, "seconds": D} with
``intakes_per_s``, ``p50_ms``, ``p99_ms``, ``bare_insert_per_s``, ``ratio``, ``lost``, ``duplicated``
(and ``plain_view_insert_per_s``, ``ratio_to_plain_view``, and where the CPU went per submission —
server, database backends, client threads — for intake and for the bare insert).

Usage: .venv/bin/python bench/intake.py [--clients 16] [--seconds 15] [--backends sqlite,postgresql]
       [--model demo|full]   (full: a production-sized model trained on ../shared's labelled messages)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
MESSAGES = REPOSITORY.parent / "shared" / "data" / "citizen-messages" / "dev_raw.csv"
PYTHON = sys.executable
ZHILI = str(Path(PYTHON).parent / "zhili")
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PG_ADMIN_URL = os.environ.get("ZHILI_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("ZHILI_BENCH_PG_DB", "zhili_bench_intake")  # one per concurrent run

# The bench-only settings and URLconf live in a temporary directory: the product never ships them.
BENCH_SETTINGS = """
from zhili.config.settings import *  # noqa: F403
ROOT_URLCONF = "intake_bench_urls"
DEBUG = False
"""
BENCH_URLS = '''
import secrets
from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema, Status

from zhili.cases.api import ApiKeyBearer
from zhili.cases.models import Case
from zhili.cases.schemas import CaseCreateIn
from zhili.config.urls import urlpatterns as product_urlpatterns
from zhili.core import clock


def insert_bare_row(description):
    now = clock.now()
    with transaction.atomic():
        return Case.objects.create(number="B" + secrets.token_hex(9), tracking_code=secrets.token_hex(8),
                                   channel="api", description=description[:4000], created_at=now,
                                   updated_at=now, is_synthetic=True)


# The baseline: the same API layer as intake (django-ninja, the same bearer-key check, the same
# request schema), then one bare row, no intake work (locate, classify, duplicates, audit, numbering).
bench_api = NinjaAPI(urls_namespace="bench", docs_url=None, openapi_url=None)


class BareOut(Schema):
    id: int
    number: str


@bench_api.post("/bare-insert/", auth=ApiKeyBearer(), response={201: BareOut})
def bare_insert(request, payload: CaseCreateIn):
    case = insert_bare_row(payload.description)
    return Status(201, {"id": case.pk, "number": case.number})


# A plainer baseline, reported beside it: a bare Django view (no API framework, no key check).
@csrf_exempt
def plain_insert(request):
    import json
    case = insert_bare_row(json.loads(request.body)["description"])
    return JsonResponse({"id": case.pk, "number": case.number}, status=201)


urlpatterns = [path("bench/api/", bench_api.urls), path("bench/plain-insert/", plain_insert), *product_urlpatterns]
'''


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_texts(limit: int = 800) -> list[str]:
    texts: list[str] = []
    if MESSAGES.exists():
        with MESSAGES.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = f"{row['title']}。{row['content']}".strip()
                if text:
                    texts.append(text[:600])
                if len(texts) >= limit:
                    break
    return texts or ["小区门口垃圾桶满了，垃圾堆放好几天没人清运", "晚上工地施工噪音扰民", "路面坑洼破损，车辆经过危险"]


PREPARE = """
import json, django
django.setup()
from django.core.management import call_command
import io
call_command("migrate", verbosity=0)
# the demo district, its 3,000 cases (duplicate candidates) and the category model trained on them:
# intake classifies with the trained model, as a deployment with history does
call_command("demo_load", only=["geo", "accounts", "cases", "textintel"], stdout=io.StringIO())
import os
from pathlib import Path
full_model_data = os.environ.get("ZHILI_BENCH_FULL_MODEL_DATA")
if full_model_data:
    # --model full: a model trained on real labelled messages (614,057 features) instead of the demo one
    from zhili.textintel.services import classifier_model_activate, classifier_model_train
    trained = classifier_model_train(name="bench-full", data=Path(full_model_data).read_bytes(),
                                     file_name="train_segmented.csv", text_columns=["text"], label_column="label")
    classifier_model_activate(model_id=trained.pk, actor_id=None, compared_with=None)
from zhili.textintel.selectors import active_category_classifier
assert active_category_classifier() is not None, "the bench needs an active category model"
from zhili.cases.services.api_keys import api_key_issue
from zhili.geo.models import Area, AreaLevel
district = Area.objects.filter(level=AreaLevel.DISTRICT).first()
grids = list(Area.objects.filter(level=AreaLevel.GRID).values_list("centroid_longitude", "centroid_latitude"))
print(json.dumps({"key": api_key_issue(name="bench").raw_key, "grid_points": grids}))
"""

COUNT = """
import json, sys, django
django.setup()
from zhili.cases.models import Case
run = json.load(open(sys.argv[1]))
after_id = int(sys.argv[2])
created = Case.objects.filter(pk__gt=after_id).exclude(number__startswith="B")
by_key = {key.rsplit(":", 1)[1]: number for key, number in created.values_list("intake_key", "number")}
missing = [key for key, number in run["acknowledged"].items() if by_key.get(key) != number]
failed_stored = sum(1 for key in run["failed"] if key in by_key)
print(json.dumps({"created": created.count(), "missing": missing, "failed_stored": failed_stored}))
"""

MARK = """
import json, django
django.setup()
from django.db.models import Max
from zhili.cases.models import Case
print(json.dumps({"max_id": Case.objects.aggregate(value=Max("id"))["value"] or 0}))
"""


def run_django(script: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    result = subprocess.run([PYTHON, "-c", script, *args], env=env, capture_output=True, text=True, check=False,
                            cwd=REPOSITORY)
    if result.returncode != 0:
        log(result.stderr[-3000:])
        raise SystemExit("bench setup failed")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fresh_postgresql(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.acknowledged: dict[str, str] = {}
        self.failed: list[str] = []
        self.mismatched = 0
        self.completed = 0
        self.rejected = 0


def client_loop(base: str, key: str, texts: list[str], points: list[tuple[float, float]], stop_at: float,
                results: Results, *, full: bool, path: str, seed: int, resend_share: float) -> None:
    """One client: a keep-alive connection (the standard library's, the lightest load generator at hand:
    the clients share the machine's two cores with the server)."""
    import http.client

    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    headers_base = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(host, int(port), timeout=10.0)

    def post(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        nonlocal connection
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=10.0)
            raise
        return response.status, (json.loads(payload) if payload else {})

    while time.monotonic() < stop_at:
        longitude, latitude = rng.choice(points)
        # near a grid's centre, so every report lies inside the district (points outside are refused)
        body = json.dumps({"description": rng.choice(texts), "longitude": longitude + rng.uniform(-0.0003, 0.0003),
                           "latitude": latitude + rng.uniform(-0.0003, 0.0003), "reporter_name": "测试",
                           "reporter_phone": f"139{rng.randrange(10**8):08d}"}, ensure_ascii=False).encode()
        idempotency_key = uuid.uuid4().hex
        headers = {**headers_base, "Idempotency-Key": idempotency_key}
        number = None
        rejected = False
        started = time.perf_counter()
        for attempt in range(12):  # a patient client: about 15 s of retries with the same key
            try:
                status, answer = post(body, headers)
                if status == 201:
                    number = str(answer.get("number", answer.get("id")))
                    break
                if 400 <= status < 500 and status not in (408, 409, 429):
                    rejected = True  # a clear refusal of this input: retrying cannot help
                    break
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(min(2.0, 0.05 * (2 ** attempt)))
        elapsed = time.perf_counter() - started
        with results.lock:
            results.completed += 1
            if rejected:
                results.rejected += 1
                continue
            if number is None:
                results.failed.append(idempotency_key)
                continue
            results.latencies.append(elapsed)
            if full:
                results.acknowledged[idempotency_key] = number
        if full and rng.random() < resend_share:
            # the client "lost" the response and retries: it must get the same case back
            try:
                status, answer = post(body, headers)
                if status != 201 or answer.get("number") != number:
                    with results.lock:
                        results.mismatched += 1
            except (OSError, http.client.HTTPException, ValueError):
                pass
    connection.close()


INTAKE_PATH = "/api/v1/cases/"
BARE_PATH = "/bench/api/bare-insert/"
PLAIN_PATH = "/bench/plain-insert/"


def drive(base: str, key: str, texts: list[str], points: list[tuple[float, float]], *, clients: int,
          seconds: float, path: str) -> tuple[Results, float]:
    results = Results()
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=client_loop, args=(base, key, texts, points, stop_at, results),
                                kwargs={"full": path == INTAKE_PATH, "path": path, "seed": index,
                                       "resend_share": 0.05})
               for index in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class CpuMeter:
    """CPU seconds used during a phase by the server (gunicorn and its workers), the database backends of
    the bench database (PostgreSQL) and this process's client threads (Linux /proc; nothing elsewhere).

    /proc is read every second so that a backend that exits during the phase (an expired
    persistent connection) still counts with what it had used when last seen."""

    def __init__(self, server_pid: int, database: str | None) -> None:
        self.server_pid, self.database = server_pid, database
        self.enabled = Path("/proc").is_dir()
        self.start: dict[int, tuple[str, float]] = {}
        self.seen: dict[int, tuple[str, float]] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.clients_start = self.clients = 0.0

    def _read(self) -> dict[int, tuple[str, float]]:
        found: dict[int, tuple[str, float]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if int(entry.name) == self.server_pid or int(fields[1]) == self.server_pid:
                role = "server"
            elif self.database is not None and command.startswith("postgres:") and f" {self.database} " in command:
                role = "database"
            else:
                continue
            found[int(entry.name)] = (role, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
        return found

    def __enter__(self) -> CpuMeter:
        self.clients_start = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        if self.enabled:
            self.start = self._read()
            self.seen = dict(self.start)
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.stopping.wait(1.0):
            self.seen.update(self._read())

    def __exit__(self, *exc: object) -> None:
        self.clients = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - self.clients_start
        if self.thread is not None:
            self.stopping.set()
            self.thread.join()
            self.seen.update(self._read())

    def ms_per_request(self, requests: int) -> dict[str, float]:
        if not self.enabled or not requests:
            return {}
        totals = {"server": 0.0, "database": 0.0, "clients": self.clients}
        for pid, (role, seconds) in self.seen.items():
            totals[role] += seconds - self.start.get(pid, (role, 0.0))[1]
        return {role: round(total / requests * 1000, 2) for role, total in totals.items()}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def bench_backend(backend: str, *, clients: int, seconds: float, workers: int, threads: int) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix=f"zhili-bench-intake-{backend}-")
    bench_dir = Path(data_dir) / "benchmodules"
    bench_dir.mkdir()
    (bench_dir / "intake_bench_settings.py").write_text(BENCH_SETTINGS, encoding="utf-8")
    (bench_dir / "intake_bench_urls.py").write_text(BENCH_URLS, encoding="utf-8")
    env = {**os.environ, "ZHILI_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "intake_bench_settings",
           "PYTHONPATH": f"{bench_dir}{os.pathsep}{REPOSITORY / 'src'}", "ZHILI_HUEY_IMMEDIATE": "0",
           "ZHILI_TESTING": "0", "ZHILI_LOG_LEVEL": "ERROR", "ZHILI_DEBUG": "0",
           "ZHILI_ALLOWED_HOSTS": "127.0.0.1,localhost", "ZHILI_HTTPS": "0"}
    sys.path.insert(0, str(REPOSITORY))
    from tests.reliability.harness import GENEROUS_RATE_LIMITS, collected_static_root, production_keys

    env.update(production_keys())
    env.update(GENEROUS_RATE_LIMITS)  # one load generator, one key: counted per request, never refused
    env["ZHILI_STATIC_ROOT"] = str(collected_static_root({**env, "DJANGO_SETTINGS_MODULE": "zhili.config.settings",
                                                          "PYTHONPATH": str(REPOSITORY / "src")}))
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        fresh_postgresql(env)
    log(f"[{backend}] migrating a fresh database and loading the demo district …")
    prepared = run_django(PREPARE, env)
    points = [(float(x), float(y)) for x, y in prepared["grid_points"] if x is not None]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (Path(data_dir) / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [GUNICORN, "zhili.config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning", "--timeout", "60"],
        env=env, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=server_log,
    )
    try:
        wait_ready(base, process)
        texts = load_texts()
        log(f"[{backend}] warming up …")
        # every worker process builds its grid index, address matcher and text tools on first use
        drive(base, prepared["key"], texts, points, clients=clients, seconds=15, path=INTAKE_PATH)
        drive(base, prepared["key"], texts, points, clients=clients, seconds=1, path=BARE_PATH)
        drive(base, prepared["key"], texts, points, clients=clients, seconds=1, path=PLAIN_PATH)
        database = PG_BENCH_DB if backend == "postgresql" else None
        log(f"[{backend}] bare-insert baseline (same API layer), {clients} clients, {seconds:.0f} s …")
        with CpuMeter(process.pid, database) as bare_meter:
            bare, bare_elapsed = drive(base, prepared["key"], texts, points, clients=clients, seconds=seconds,
                                       path=BARE_PATH)
        bare_cpu = bare_meter.ms_per_request(bare.completed)
        log(f"[{backend}] plain-view insert, {clients} clients, {seconds:.0f} s …")
        plain, plain_elapsed = drive(base, prepared["key"], texts, points, clients=clients, seconds=seconds,
                                     path=PLAIN_PATH)
        marker = run_django(MARK, env)["max_id"]
        log(f"[{backend}] full intake, {clients} clients, {seconds:.0f} s …")
        with CpuMeter(process.pid, database) as full_meter:
            full, full_elapsed = drive(base, prepared["key"], texts, points, clients=clients, seconds=seconds,
                                       path=INTAKE_PATH)
        full_cpu = full_meter.ms_per_request(full.completed)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        server_log.close()
        errors = (Path(data_dir) / "gunicorn.log").read_text(encoding="utf-8", errors="replace")
        if errors.strip():
            log(f"[{backend}] server log (last lines):\n{errors[-1500:]}")
    keys_file = Path(data_dir) / "acknowledged.json"
    keys_file.write_text(json.dumps({"acknowledged": full.acknowledged, "failed": full.failed}), encoding="utf-8")
    counted = run_django(COUNT, env, str(keys_file), str(marker))
    intakes_per_s = len(full.latencies) / full_elapsed
    bare_per_s = len(bare.latencies) / bare_elapsed
    plain_per_s = len(plain.latencies) / plain_elapsed
    # every case created in the full phase must belong to exactly one submission (acknowledged, or given up
    # by the client after retries but stored anyway): anything beyond that is a duplicate
    extra = max(0, counted["created"] - len(full.acknowledged) - counted["failed_stored"])
    result = {
        "intakes_per_s": round(intakes_per_s, 1),
        "p50_ms": round(percentile(full.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(full.latencies, 0.99) * 1000, 1),
        "p90_ms": round(percentile(full.latencies, 0.90) * 1000, 1),
        "max_ms": round(max(full.latencies, default=0.0) * 1000, 1),
        "bare_insert_per_s": round(bare_per_s, 1),
        "ratio": round(intakes_per_s / bare_per_s, 3) if bare_per_s else None,
        # the plainer baseline (a bare Django view: no API framework, no key check), for comparison
        "plain_view_insert_per_s": round(plain_per_s, 1),
        "ratio_to_plain_view": round(intakes_per_s / plain_per_s, 3) if plain_per_s else None,
        # acknowledged submissions without their case, plus submissions the client gave up on and never stored
        "lost": len(counted["missing"]) + len(full.failed) - counted["failed_stored"],
        "duplicated": extra + full.mismatched,
        "requests_acknowledged": len(full.acknowledged),
        "cases_created": counted["created"],
        "client_gave_up": len(full.failed),
        "rejected_4xx": full.rejected,
        # where the machine's CPU went, per submission (SQLite runs inside the server processes); an
        # intake submission includes its share of the 5 % deliberately sent twice
        "intake_cpu_ms_per_request": full_cpu,
        "bare_cpu_ms_per_request": bare_cpu,
    }
    log(f"[{backend}] {json.dumps(result)}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--model", choices=["demo", "full"], default="demo",
                        help="the active category model: the demo one (trained on the 3,000 synthetic demo cases) "
                             "or one trained on ../shared's labelled messages (production-sized)")
    options = parser.parse_args()
    if options.model == "full":
        os.environ["ZHILI_BENCH_FULL_MODEL_DATA"] = str(MESSAGES.parent / "train_segmented.csv")
    output: dict[str, Any] = {"clients": options.clients, "seconds": options.seconds, "workers": options.workers,
                              "threads": options.threads, "model": options.model}
    for backend in options.backends.split(","):
        output[backend] = bench_backend(backend, clients=options.clients, seconds=options.seconds,
                                        workers=options.workers, threads=options.threads)
    print(json.dumps(output, ensure_ascii=False))


if __name__ == "__main__":
    main()
