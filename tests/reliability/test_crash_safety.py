"""Crash safety, short form (the full form is ``bench/crash_safety.py``).

Real processes on a fresh database (SQLite, or PostgreSQL when DATABASE_URL names it): gunicorn
serving the JSON API, ``zhili run_huey`` delivering the outbox. Both are killed with SIGKILL (the
whole process group) while work is in flight and restarted; then the database is compared with what
the clients and the department system saw.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.reliability import harness

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability")]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, harness.WebhookLedger]]:
    with harness.webhook_receiver(delay_seconds=0.03) as (url, ledger):
        yield url, ledger


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory,
                 receiver: tuple[str, harness.WebhookLedger]) -> Iterator[harness.Deployment]:
    url, _ledger = receiver
    with harness.deployment(tmp_path_factory.mktemp("crash")) as deployed:
        deployed.seed(webhook_url=url)
        yield deployed


def _identity(row: list[object]) -> tuple[object, ...]:
    """What one notice is about: channel, kind, case, department, recipient."""
    return row[1], row[2], row[3], row[7], row[8]


@pytest.fixture(scope="module")
def intake_run(installation: harness.Deployment) -> tuple[harness.IntakeLedger, harness.IntakeCheck]:
    """Sustained intake with two server kills, once per module: both tests need its cases, in any order."""
    return harness.crash_intake_run(installation, clients=4, duration=8, kills=2)


def test_server_killed_mid_intake_loses_and_doubles_nothing(
        installation: harness.Deployment, intake_run: tuple[harness.IntakeLedger, harness.IntakeCheck]) -> None:
    ledger, check = intake_run

    assert check.acknowledged >= 20  # the run did real work across both kills
    assert ledger.retries >= 1  # the kills interrupted requests that the clients then retried
    assert check.lost == 0
    assert check.duplicated == 0
    assert check.abandoned_stored <= check.abandoned
    assert check.cases_total == check.acknowledged + check.abandoned_stored
    assert ledger.rejected == {}
    assert installation.run_zhili("audit_verify").strip() != ""


def test_job_worker_killed_mid_sweep_and_mid_delivery_loses_and_doubles_nothing(
        installation: harness.Deployment, receiver: tuple[str, harness.WebhookLedger],
        intake_run: tuple[harness.IntakeLedger, harness.IntakeCheck]) -> None:
    _url, ledger = receiver
    # the intake run left dispatch notices (in-app + webhook) in the outbox; now every case has waited
    # past its deadline: the SLA sweep, killed mid-run, must still notify exactly once
    aged = installation.run_script("age_cases", {"days": 60})["aged"]
    killed_sweeps = harness.killed_script_runs(installation, "sweep", {}, delays=(0.0, 0.005))
    assert killed_sweeps >= 1
    installation.run_script("sweep")  # whatever a killed run left undone (a sweep is one transaction)
    again = installation.run_script("sweep")
    assert again == {"warned": 0, "overdue": 0}

    assert aged > 0
    assert installation.run_script("sla_states")["states"] == {"overdue": aged}
    rows = installation.run_script("notifications")["notifications"]
    webhook_rows = [row for row in rows if row[1] == "webhook"]
    overdue_notices = Counter(_identity(row) for row in rows if row[2] == "sla_overdue")
    assert len(overdue_notices) > 0
    assert [identity for identity, count in overdue_notices.items() if count > 1] == []  # kills doubled nothing
    assert {row[1] for row in rows if row[2] == "sla_overdue"} == {"in_app", "webhook"}
    assert len(webhook_rows) >= 20

    worker = harness.job_worker(installation)
    worker.start()
    deadline = time.monotonic() + 120
    while len(ledger.received) < len(webhook_rows) // 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.kill()  # mid-delivery: the department system is answering slowly
    received_at_kill = len(ledger.received)
    assert 0 < received_at_kill < len(webhook_rows)
    worker.start()
    harness.wait_for_quiet(ledger, quiet_seconds=3, timeout=120)
    worker.stop()
    # rows a killed worker had claimed wait out their claim, then the periodic retry sends them
    installation.run_script("deliver_after_claims")

    rows = installation.run_script("notifications")["notifications"]
    assert [row for row in rows if not row[4]] == []  # none lost: every outbox row delivered
    identities = Counter(_identity(row) for row in rows)
    assert [identity for identity, count in identities.items() if count > 1] == []  # none doubled in the outbox
    # what one webhook is about: its case, or the case numbers of an SLA digest
    received = Counter((body["case_number"], body["kind"], tuple(body.get("case_numbers") or ()))
                       for body in ledger.received)
    assert len(received) == len(webhook_rows)  # every webhook reached the department
    assert {(row[3], row[2]) for row in webhook_rows if row[3]} <= {(case, kind) for case, kind, _ in received}
    # at-least-once over HTTP: only the delivery the kill interrupted may reach the department twice
    assert sum(count - 1 for count in received.values()) <= 1
