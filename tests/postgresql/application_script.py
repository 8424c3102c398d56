"""What the tests of this folder ask the application to do, run as its own process.

``python tests/postgresql/application_script.py <action>`` with ``DATABASE_URL`` (and for the replica
actions ``DATABASE_REPLICA_URL``) in the environment; prints one JSON object as its last line. The
settings are read once per process, so each server layout gets its own process.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.config.settings")
django.setup()

# after django.setup(): these import models
from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from zhili.accounts.models import User  # noqa: E402
from zhili.accounts.roles import Role  # noqa: E402
from zhili.cases.contracts import CaseFilter  # noqa: E402
from zhili.cases.models import Case  # noqa: E402
from zhili.cases.services.workbench import case_list_export_start, export_progress  # noqa: E402
from zhili.cases.tests.factories import case_create, user_create, world_create  # noqa: E402
from zhili.core.replica import REPLICA_ALIAS, replica_health_forget, replica_reads  # noqa: E402
from zhili.geo.models import Area  # noqa: E402

LEADER_PAGE = "/dashboard/leader/"
# tables of the figures a leader page reads (sessions and accounts are read before the view routes)
_FIGURE_TABLES = ('"cases_', '"dashboard_')


def _world_leader() -> User:
    """The tiny test district (created once per database) and a leader over it."""
    if not Area.objects.filter(code="T320402").exists():
        world = world_create()
        user_create(Role.LEADER, username="test-leader", scope_area=world.district)
        user_create(Role.ADMIN, username="test-admin")
    return User.objects.get(username="test-leader")


def _cases_write(count: int, marker: str) -> list[str]:
    return [case_create(description=f"{marker} 第{index}件：小区门口垃圾堆放，请来清运").number
            for index in range(count)]


def _in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return bool(cursor.fetchone()[0])


def _leader_page(client: Client) -> dict[str, Any]:
    """GET the leader page; how many of its figure queries each server ran."""
    figures = {"default": 0, REPLICA_ALIAS: 0}

    def recorder(alias: str) -> Callable[..., Any]:
        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            figures[alias] += any(table in sql for table in _FIGURE_TABLES)
            return execute(sql, params, many, context)
        return record

    # execute wrappers, not CaptureQueriesContext: that one connects first, and a stopped replica refuses
    with connections["default"].execute_wrapper(recorder("default")), \
            connections[REPLICA_ALIAS].execute_wrapper(recorder(REPLICA_ALIAS)):
        response = client.get(LEADER_PAGE)
    return {"status": response.status_code, "figure_queries_on_primary": figures["default"],
            "figure_queries_on_replica": figures[REPLICA_ALIAS]}


def _readiness(client: Client) -> dict[str, Any]:
    replica: dict[str, Any] = client.get("/readyz").json()["checks"]["replica"]
    return replica


def _replica_catch_up(numbers: list[str]) -> None:
    deadline = time.monotonic() + 30
    while Case.objects.using(REPLICA_ALIAS).filter(number__in=numbers).count() < len(numbers):
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not receive the new cases within 30 s")
        time.sleep(0.1)


def replica_routing() -> dict[str, Any]:
    """Routed reads, reads inside a write, sticky-after-write, and lag beyond the limit."""
    setup_test_environment()
    leader = _world_leader()
    numbers = _cases_write(3, "副本")
    _replica_catch_up(numbers)
    client = Client()
    client.force_login(leader)
    result: dict[str, Any] = {"case_count_on_primary": Case.objects.count()}
    with replica_reads():
        serving = Case.objects.all().db
        result["routed_alias"] = serving
        result["routed_in_recovery"] = _in_recovery(serving)
        result["routed_case_count"] = Case.objects.count()
        with transaction.atomic():
            inside_write = Case.objects.all().db
            result["alias_inside_atomic"] = inside_write
            result["inside_atomic_in_recovery"] = _in_recovery(inside_write)
    result["alias_outside_replica_reads"] = Case.objects.all().db
    result["primary_in_recovery"] = _in_recovery("default")
    result["page"] = _leader_page(client)
    result["ready_replica"] = _readiness(client)

    # a change (any POST) keeps this browser on the primary for ZHILI_REPLICA_STICKY_SECONDS
    result["post_status"] = client.post(LEADER_PAGE).status_code
    result["sticky_cookie_set"] = "zhili_primary" in client.cookies
    result["page_after_post"] = _leader_page(client)
    time.sleep(int(os.environ["ZHILI_REPLICA_STICKY_SECONDS"]) + 0.5)
    result["page_after_sticky_period"] = _leader_page(client)

    # replay paused: the replica falls behind; past ZHILI_REPLICA_MAX_LAG_SECONDS reads leave it
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    _cases_write(1, "滞后")
    time.sleep(int(os.environ["ZHILI_REPLICA_MAX_LAG_SECONDS"]) + 1)
    replica_health_forget()
    result["page_while_lagging"] = _leader_page(client)
    result["ready_replica_while_lagging"] = _readiness(client)
    with connections[REPLICA_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 30
    while _readiness(client)["status"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    result["page_after_catch_up"] = _leader_page(client)
    return result


def replica_down() -> dict[str, Any]:
    """The replica's server is stopped: pages still answer, from the primary, and /readyz warns."""
    setup_test_environment()
    client = Client()
    client.force_login(_world_leader())
    with replica_reads():
        serving = Case.objects.all().db
    return {"routed_alias": serving, "page": _leader_page(client), "ready_replica": _readiness(client),
            "ready_status": client.get("/readyz").json()["status"]}


def _server_value(sql: str) -> Any:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def recovery_writes() -> dict[str, Any]:
    """Cases, a recorded server time, more cases; then the WAL segment is closed so it is archived."""
    _world_leader()
    before = _cases_write(2, "恢复点之前")
    time.sleep(0.3)  # commits strictly before the target time, the later ones strictly after
    target_time = _server_value("SELECT clock_timestamp()::text")
    numbers_at_target = sorted(Case.objects.values_list("number", flat=True))
    time.sleep(0.3)
    after = _cases_write(2, "恢复点之后")
    last_segment = _server_value("SELECT pg_walfile_name(pg_current_wal_lsn())")
    _server_value("SELECT pg_switch_wal()")
    return {"target_time": target_time, "written_before": before, "numbers_at_target": numbers_at_target,
            "written_after": after, "last_segment": last_segment}


def pooled() -> dict[str, Any]:
    """Intake, a page, an export (a chunked read) through whatever DATABASE_URL points at."""
    setup_test_environment()
    leader = _world_leader()
    numbers = _cases_write(3, "连接池")
    client = Client()
    client.force_login(leader)
    page = client.get(LEADER_PAGE)
    admin = User.objects.get(username="test-admin")
    job_id = case_list_export_start(user=admin, filters=CaseFilter())  # the test queue runs it at once
    progress = export_progress(job_id)
    return {"numbers": numbers, "case_count": Case.objects.count(), "page_status": page.status_code,
            "export_state": progress["state"], "export_rows": progress["done"],
            "options": connections["default"].settings_dict["OPTIONS"],
            "server_side_cursors_disabled": connections["default"].settings_dict["DISABLE_SERVER_SIDE_CURSORS"]}


ACTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "replica_routing": replica_routing, "replica_down": replica_down, "recovery_writes": recovery_writes,
    "pooled": pooled,
}

if __name__ == "__main__":
    print(json.dumps(ACTIONS[sys.argv[1]](), ensure_ascii=False))  # noqa: T201
