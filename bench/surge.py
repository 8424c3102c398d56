"""Scale-out surge: several gunicorn workers + two ``zhili run_huey`` workers on PostgreSQL and Redis.

Replays a surge (a storm, a water outage): intake at a fixed arrival rate through the JSON API, with
concurrent dashboard reads (leader's command-center page and the case list) and dispatch actions
(the dispatcher dispatching what waits in triage). Afterwards it checks that every acknowledged
intake exists exactly once (lost/duplicated must be 0) and that the job workers drained the outbox.

A same-run baseline (one client, no surge) is measured first on the same deployment.

    .venv/bin/python bench/surge.py [--rate 20] [--duration 30] [--web-workers 4] [--sqlite]

Loopback only; bounded in count (rate × duration) and time. Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set

REPOSITORY_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY_DIR))
bench_environment_set()

import httpx  # noqa: E402
from tests.reliability import harness  # noqa: E402

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/7"
VAGUE_DESCRIPTIONS = ("这里有个情况想反映一下，请相关部门看看", "我们楼下有点问题，麻烦处理", "反映一个事情，希望尽快解决")


def log(message: str) -> None:
    print(f"[surge] {message}", file=sys.stderr, flush=True)


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def record(self, action: str, started: float, ok: bool) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self.lock:
            if ok:
                self.latencies[action].append(elapsed_ms)
            else:
                self.errors[action] += 1

    def summary(self) -> dict[str, dict[str, float | int]]:
        result: dict[str, dict[str, float | int]] = {}
        for action in sorted(set(self.latencies) | set(self.errors)):
            values = sorted(self.latencies[action])
            result[action] = {
                "count": len(values), "errors": self.errors[action],
                "p50_ms": round(statistics.median(values), 1) if values else 0.0,
                "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 1) if values else 0.0,
            }
        return result


def session_client(base_url: str, username: str) -> httpx.Client:
    """A browser-like session: GET the login page for the CSRF cookie, then sign in."""
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    page = client.get("/accounts/login/")
    token = client.cookies.get("csrftoken") or ""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    response = client.post("/accounts/login/", data={
        "username": username, "password": "Harness@2026pass", "csrfmiddlewaretoken": match.group(1) if match else token,
    }, headers={"Referer": f"{base_url}/accounts/login/"})
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {response.status_code}")
    return client


def intake_once(client: httpx.Client, recorder: Recorder, acknowledged: dict[str, str], key: str, sequence: int,
                vague: bool, give_up_at: float) -> None:
    payload = harness.intake_payload(key, sequence)
    if vague:
        payload["description"] = f"{VAGUE_DESCRIPTIONS[sequence % len(VAGUE_DESCRIPTIONS)]}（{key}）"
        payload["matter_code"] = ""
    started = time.perf_counter()
    while True:
        try:
            response = client.post("/api/v1/cases/", json=payload, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 201:
            recorder.record("intake", started, ok=True)
            acknowledged[key] = response.json()["number"]
            return
        if response is not None and response.status_code < 500:
            recorder.record("intake", started, ok=False)
            log(f"intake {key} refused: {response.status_code} {response.text[:200]}")
            return
        if time.monotonic() > give_up_at:
            recorder.record("intake", started, ok=False)
            return
        time.sleep(0.2)  # retry with the same Idempotency-Key


def intake_open_loop(base_url: str, api_key: str, *, rate: float, duration: float, recorder: Recorder,
                     acknowledged: dict[str, str], run_id: str, start_sequence: int = 0) -> int:
    """Send ``rate`` intakes per second for ``duration`` seconds, each at its scheduled time."""
    total = int(rate * duration)
    clients = [httpx.Client(base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {api_key}"})
               for _ in range(16)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for index in range(total):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sequence = start_sequence + index
            pool.submit(intake_once, clients[index % len(clients)], recorder, acknowledged, f"{run_id}-{sequence}",
                        sequence, sequence % 4 == 0, started + duration + 120)
    for client in clients:
        client.close()
    return total


def dashboard_reader(client: httpx.Client, api: httpx.Client, recorder: Recorder, stop: threading.Event) -> None:
    paths = (("dashboard_command_center", client, "/dashboard/"), ("case_list_api", api, "/api/v1/cases/?limit=50"))
    index = 0
    while not stop.is_set():
        action, session, path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        try:
            ok = session.get(path).status_code == 200
        except httpx.TransportError:
            ok = False
        recorder.record(action, started, ok)
        time.sleep(0.2)


def dispatcher(api: httpx.Client, recorder: Recorder, stop: threading.Event) -> None:
    """Dispatch what waits in triage to 城管局, one case at a time, like a dispatcher at a desk."""
    while not stop.is_set():
        try:
            waiting = api.get("/api/v1/cases/?status=received&limit=20").json().get("results", [])
        except (httpx.TransportError, ValueError):
            waiting = []
        if not waiting:
            time.sleep(0.3)
            continue
        for case in waiting:
            if stop.is_set():
                return
            started = time.perf_counter()
            try:
                response = api.post(f"/api/v1/cases/{case['number']}/transitions/dispatch",
                                     json={"department_code": "CG", "note": "批量派单"})
                ok = response.status_code == 200 or response.status_code == 409
            except httpx.TransportError:
                ok = False
            recorder.record("dispatch", started, ok)


def outbox_drained(installation: harness.Deployment, *, timeout: float) -> tuple[int, int]:
    """Wait for the job workers to deliver the outbox: (pending, total) at the end."""
    deadline = time.monotonic() + timeout
    while True:
        rows = installation.run_script("notifications")["notifications"]
        pending = sum(1 for row in rows if not row[4] and not row[5])
        if pending == 0 or time.monotonic() > deadline:
            return pending, len(rows)
        time.sleep(2)


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    backend = "sqlite" if arguments.sqlite else "postgresql"
    redis_url = "" if arguments.sqlite else arguments.redis_url
    if backend == "postgresql":
        os.environ["DATABASE_URL"] = arguments.postgres_url
    run_id = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="zhili-surge-") as directory, harness.deployment(
            Path(directory), backend=backend, redis_url=redis_url) as installation:
        log(f"deployment ready ({backend}{', redis' if redis_url else ''})")
        keys = installation.seed()
        port = harness.free_port()
        base_url = f"http://127.0.0.1:{port}"
        web = harness.web_server(installation, port=port, workers=arguments.web_workers, threads=2)
        workers = [harness.job_worker(installation, name=f"huey-{number}") for number in range(2)]
        web.start()
        for worker in workers:
            worker.start()
        try:
            harness.wait_until_healthy(base_url, timeout=180)
            log(f"gunicorn up with {arguments.web_workers} workers, 2 job workers")
            acknowledged: dict[str, str] = {}
            # same-run baseline: one client, one request at a time, no surge
            baseline = Recorder()
            with httpx.Client(base_url=base_url, timeout=60,
                              headers={"Authorization": f"Bearer {keys['intake_key']}"}) as client:
                for sequence in range(20):
                    intake_once(client, baseline, acknowledged, f"{run_id}-b{sequence}", 10_000 + sequence,
                                vague=False, give_up_at=time.monotonic() + 60)
            log(f"baseline intake p50 {baseline.summary()['intake']['p50_ms']} ms")
            recorder = Recorder()
            stop = threading.Event()
            leader = session_client(base_url, "h-leader")
            leader_api = httpx.Client(base_url=base_url, timeout=60,
                                      headers={"Authorization": f"Bearer {keys['leader_key']}"})
            dispatcher_api = httpx.Client(base_url=base_url, timeout=60,
                                          headers={"Authorization": f"Bearer {keys['dispatcher_key']}"})
            helpers = [threading.Thread(target=dashboard_reader, args=(leader, leader_api, recorder, stop)),
                       threading.Thread(target=dispatcher, args=(dispatcher_api, recorder, stop))]
            for helper in helpers:
                helper.start()
            started = time.monotonic()
            sent = intake_open_loop(base_url, keys["intake_key"], rate=arguments.rate, duration=arguments.duration,
                                    recorder=recorder, acknowledged=acknowledged, run_id=run_id)
            elapsed = time.monotonic() - started
            stop.set()
            for helper in helpers:
                helper.join(timeout=60)
            log(f"surge done: {sent} sent in {elapsed:.1f} s")
            pending, notifications = outbox_drained(installation, timeout=120)
            ledger = harness.IntakeLedger(acknowledged=acknowledged)
            check = harness.intake_check(installation, ledger)
            summary = recorder.summary()
            errors = sum(action["errors"] for action in summary.values())
            intake = summary.get("intake", {"count": 0})
        finally:
            for worker in workers:
                worker.stop()
            web.stop()
    return {
        "backend": backend, "queue": "redis" if redis_url else "sqlite", "web_workers": arguments.web_workers,
        "job_workers": 2, "arrival_rate_per_s": arguments.rate, "duration_s": arguments.duration,
        "intakes_sent": sent, "intakes_acknowledged": int(intake["count"]),
        "intakes_per_s": round(int(intake["count"]) / elapsed, 2), "errors": errors, "lost": check.lost,
        "duplicated": check.duplicated, "notifications": notifications, "notifications_pending": pending,
        "actions": summary, "baseline": {"intake": baseline.summary()["intake"]},
        "cpu_count": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0, help="intakes per second (open loop)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of surge")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="maintenance database URL")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--sqlite", action="store_true", help="embedded SQLite and queue instead")
    arguments = parser.parse_args()
    if arguments.rate * arguments.duration > 20_000 or arguments.duration > 600:
        parser.error("bounded: at most 20 000 intakes and 600 s")
    result = run(arguments)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
