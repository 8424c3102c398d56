"""Crash safety, full form (the short form runs in the test suite: tests/reliability/).

1. Sustained intake through gunicorn from several client threads that retry with the same
   Idempotency-Key; the whole server (master and workers) is SIGKILLed several times mid-run and
   restarted. Every acknowledged case must exist exactly once; no unacknowledged one twice.
2. The job worker (``zhili run_huey``) is SIGKILLed several times while it delivers the outbox to a
   slow department webhook, and the SLA sweep is SIGKILLed mid-run. No outbox row may be lost or
   doubled; every webhook must reach the department (at least once; a repeat only for a delivery
   a kill interrupted).

    .venv/bin/python bench/crash_safety.py [--clients 8] [--duration 60] [--kills 5] [--postgresql]

Prints one JSON line: acknowledged, lost, duplicated, kills, notification figures, and the
same-run baseline (intake rate of the same clients with no kill).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set

REPOSITORY_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY_DIR))
bench_environment_set()

from tests.reliability import harness  # noqa: E402


def log(message: str) -> None:
    print(f"[crash] {message}", file=sys.stderr, flush=True)


def baseline_rate(installation: harness.Deployment, *, clients: int, seconds: float) -> float:
    """Acknowledged intakes per second of the same clients against a server that is not killed."""
    port = harness.free_port()
    server = harness.web_server(installation, port=port)
    server.start()
    try:
        harness.wait_until_healthy(f"http://127.0.0.1:{port}", timeout=180)
        ledger = harness.IntakeLedger()
        stop = threading.Event()
        threads = [threading.Thread(target=harness.intake_client, kwargs={
            "base_url": f"http://127.0.0.1:{port}", "api_key": installation.keys["intake_key"],
            "client_id": f"base{number}", "ledger": ledger, "stop": stop, "give_up_at": time.monotonic() + 300,
            "abandon_share": 0.0, "seed": 100 + number}) for number in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        return len(ledger.acknowledged) / (time.monotonic() - started)
    finally:
        server.stop()


def worker_crashes(installation: harness.Deployment, ledger: harness.WebhookLedger, *, kills: int) -> dict[str, Any]:
    rows = installation.run_script("notifications")["notifications"]
    webhook_rows = [row for row in rows if row[1] == "webhook"]
    worker = harness.job_worker(installation)
    worker.start()
    for kill_number in range(kills):
        target = len(webhook_rows) * (kill_number + 1) // (kills + 1)
        deadline = time.monotonic() + 300
        while len(ledger.received) < target and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.kill()
        log(f"worker kill {kill_number + 1}: {len(ledger.received)} webhooks received")
        worker.start()
    harness.wait_for_quiet(ledger, quiet_seconds=5, timeout=300)
    worker.stop()
    installation.run_script("deliver_after_claims")
    # deliveries interrupted by the kills are retried once their claims expire
    installation.run_script("webhooks_off")
    aged = installation.run_script("age_cases", {"days": 60})["aged"]
    sweep_kills = harness.killed_script_runs(installation, "sweep", {}, delays=(0.0, 0.002, 0.005, 0.01, 0.02))
    installation.run_script("sweep")
    again = installation.run_script("sweep")
    worker.start()
    time.sleep(10)
    worker.stop()
    installation.run_script("deliver_after_claims")
    rows = installation.run_script("notifications")["notifications"]
    identities = Counter((row[1], row[2], row[3], row[7], row[8]) for row in rows)
    received = Counter((body["case_number"], body["kind"]) for body in ledger.received)
    expected = {(row[3], row[2]) for row in webhook_rows}
    return {
        "worker_kills": kills, "sweep_kills": sweep_kills, "notifications": len(rows),
        "notifications_lost": sum(1 for row in rows if not row[4]),
        "notifications_doubled": sum(count - 1 for count in identities.values() if count > 1),
        "webhooks_expected": len(expected), "webhooks_missing": len(expected - set(received)),
        "webhook_repeats_after_kill": sum(count - 1 for count in received.values()),
        "sla_overdue_notices": sum(1 for row in rows if row[2] == "sla_overdue"), "cases_aged": aged,
        "cases_overdue_after_sweeps": installation.run_script("sla_states")["states"].get("overdue", 0),
        "second_sweep_changes": again["warned"] + again["overdue"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--postgresql", action="store_true", help="PostgreSQL on 127.0.0.1:5432 (default SQLite)")
    arguments = parser.parse_args()
    if arguments.postgresql:
        os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory(prefix="zhili-crash-") as directory, \
            harness.webhook_receiver(delay_seconds=0.02) as (url, webhooks), \
            harness.deployment(Path(directory), backend="postgresql" if arguments.postgresql else "sqlite") as installation:
        installation.seed(webhook_url=url)
        log("baseline (no kills)")
        baseline = baseline_rate(installation, clients=arguments.clients, seconds=min(20.0, arguments.duration / 3))
        log(f"baseline {baseline:.1f} intakes/s; now {arguments.kills} server kills in {arguments.duration:.0f} s")
        ledger, check = harness.crash_intake_run(installation, clients=arguments.clients,
                                                 duration=arguments.duration, kills=arguments.kills, log=log)
        log(f"intake: {check}")
        worker = worker_crashes(installation, webhooks, kills=arguments.kills)
        audit = installation.run_zhili("audit_verify").strip().splitlines()[-1:]
    result = {
        "backend": "postgresql" if arguments.postgresql else "sqlite", "clients": arguments.clients,
        "duration_s": arguments.duration, "server_kills": arguments.kills,
        "acknowledged": check.acknowledged, "abandoned": check.abandoned,
        "abandoned_stored": check.abandoned_stored, "lost": check.lost, "duplicated": check.duplicated,
        "client_retries": ledger.retries, "server_errors_seen": ledger.server_errors,
        "intakes_per_s_with_kills": round(check.acknowledged / arguments.duration, 2),
        "baseline": {"intakes_per_s": round(baseline, 2)}, **worker, "audit_verify": audit,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
