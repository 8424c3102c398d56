"""Django-side steps of the crash and surge harnesses, run in a subprocess against the server's database.

``python -m tests.reliability.server_script <command> [json-argument]`` prints one JSON line.
The parent (the test or the bench) never opens the server's database itself, so the same steps work
for SQLite and PostgreSQL and the test process keeps its own test database untouched.

Commands:
    seed                 minimal reference data (district → street → community → 4 grids, 2 departments,
                         matters, users per role) and two API keys; argument {"webhook_url": "..."}
    cases                every case's external id, number and status, to compare with what clients saw
    notifications        the outbox rows (id, channel, kind, case number, delivered, failed, attempts,
                         department id, recipient id)
    sla_states           how many cases (with a stage deadline) are in each SLA light
    deliver_after_claims deliver pending rows as the minute-periodic retry would after the claims of a
                         killed worker have expired (clock moved past the claim window)
    age_cases            move every stage deadline some days into the past; argument {"days": n}
    webhooks_off         departments keep in-app notices only
    sweep                one SLA sweep now
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.config.settings")

# The district of the harness: 4 grids of 0.05° in a 2 × 2 block around 119.95 E, 31.75 N.
DISTRICT_BOUNDS = (119.90, 31.70, 120.00, 31.80)
GRID_CELLS = {
    "HG1": (119.90, 31.70, 119.95, 31.75),
    "HG2": (119.95, 31.70, 120.00, 31.75),
    "HG3": (119.90, 31.75, 119.95, 31.80),
    "HG4": (119.95, 31.75, 120.00, 31.80),
}
PASSWORD = "Harness@2026pass"


def _area(code: str, name: str, level: str, parent: Any, bounds: tuple[float, float, float, float]) -> Any:
    from shapely.geometry import box

    from zhili.geo.geometry import area_geometry_fields
    from zhili.geo.models import Area

    return Area.objects.create(code=code, name=name, level=level, parent=parent,
                               path=f"{parent.path if parent else '/'}{code}/", population=10000,
                               **area_geometry_fields(box(*bounds)))


def seed(argument: dict[str, Any]) -> dict[str, Any]:
    from zhili.accounts.models import GridAssignment, User
    from zhili.accounts.roles import Role
    from zhili.cases.services.api_keys import api_key_issue
    from zhili.geo.data_version import geo_data_version_bump
    from zhili.geo.models import AreaLevel, Department, Matter, MatterCategory

    webhook_url = str(argument.get("webhook_url", ""))
    district = _area("H1", "压测区", AreaLevel.DISTRICT, None, DISTRICT_BOUNDS)
    street_west = _area("H1W", "西街道", AreaLevel.STREET, district, (119.90, 31.70, 119.95, 31.80))
    street_east = _area("H1E", "东街道", AreaLevel.STREET, district, (119.95, 31.70, 120.00, 31.80))
    community_west = _area("H1WC", "西社区", AreaLevel.COMMUNITY, street_west, (119.90, 31.70, 119.95, 31.80))
    community_east = _area("H1EC", "东社区", AreaLevel.COMMUNITY, street_east, (119.95, 31.70, 120.00, 31.80))
    grids = {}
    for code, bounds in GRID_CELLS.items():
        parent = community_west if bounds[0] < 119.95 else community_east
        grids[code] = _area(code, f"网格{code[-1]}", AreaLevel.GRID, parent, bounds)
    geo_data_version_bump()
    city = Department.objects.create(code="CG", name="城管局", area=district, webhook_url=webhook_url)
    environment = Department.objects.create(code="HB", name="生态环境局", area=district, webhook_url=webhook_url)
    category = MatterCategory.objects.create(code="CXJS", name="城乡建设")
    Matter.objects.create(code="M001", name="垃圾清运", category=category, department=city,
                          keywords="垃圾,清运,垃圾桶,堆放", grid_self_handling_allowed=True)
    Matter.objects.create(code="M002", name="道路破损", category=category, department=city, keywords="路面,坑洼,破损")
    Matter.objects.create(code="M003", name="噪声扰民", category=category, department=environment,
                          keywords="噪音,噪声,扰民")
    users = {}
    for role in (Role.OPERATOR, Role.DISPATCHER, Role.LEADER, Role.ADMIN):
        users[role] = User.objects.create_user(username=f"h-{role}", password=PASSWORD, role=role,
                                               scope_area=district if role != Role.ADMIN else None)
    users[Role.HANDLER] = User.objects.create_user(username="h-handler", password=PASSWORD, role=Role.HANDLER,
                                                   department=city)
    grid_worker = User.objects.create_user(username="h-grid_worker", password=PASSWORD, role=Role.GRID_WORKER,
                                           scope_area=grids["HG1"])
    GridAssignment.objects.create(user=grid_worker, grid=grids["HG1"])
    intake_key = api_key_issue(name="harness intake")
    dispatcher_key = api_key_issue(name="harness dispatcher", user=users[Role.DISPATCHER])
    leader_key = api_key_issue(name="harness leader", user=users[Role.LEADER])
    return {"intake_key": intake_key.raw_key, "dispatcher_key": dispatcher_key.raw_key,
            "leader_key": leader_key.raw_key, "department_ids": [city.pk, environment.pk]}


def cases(argument: dict[str, Any]) -> dict[str, Any]:
    from zhili.cases.models import Case

    rows = list(Case.objects.order_by("id").values_list("external_id", "number", "status", "intake_key"))
    return {"cases": [list(row) for row in rows]}


def notifications(argument: dict[str, Any]) -> dict[str, Any]:
    from zhili.cases.models import Notification

    rows = Notification.objects.order_by("id").values_list(
        "id", "channel", "kind", "case__number", "delivered_at", "failed_at", "attempts", "department_id",
        "recipient_id")
    return {"notifications": [
        [row[0], row[1], row[2], row[3], row[4] is not None, row[5] is not None, row[6], row[7], row[8]]
        for row in rows]}


def sla_states(argument: dict[str, Any]) -> dict[str, Any]:
    from django.db.models import Count

    from zhili.cases.models import Case

    return {"states": dict(Case.objects.filter(stage_due_at__isnull=False).values_list("sla_state")
                           .annotate(count=Count("id")).values_list("sla_state", "count"))}


def deliver_after_claims(argument: dict[str, Any]) -> dict[str, Any]:
    from zhili.cases.services.notifications import CLAIM_SECONDS, notifications_deliver_pending
    from zhili.core import clock

    # what the minute-periodic retry does once the claims a killed worker held have run out
    with clock.frozen(clock.now() + dt.timedelta(seconds=CLAIM_SECONDS + 1)):
        delivered = notifications_deliver_pending()
    return {"delivered": delivered}


def sweep(argument: dict[str, Any]) -> dict[str, Any]:
    from zhili.cases.services.sla import case_sla_sweep

    if argument.get("announce"):
        # tells a killer that Django is up and the sweep itself starts now
        sys.stdout.write("sweeping\n")
        sys.stdout.flush()
    result = case_sla_sweep()
    return {"warned": result.warned, "overdue": result.overdue}


def webhooks_off(argument: dict[str, Any]) -> dict[str, Any]:
    """Departments stop receiving webhooks (in-app notices only from now on)."""
    from zhili.geo.models import Department

    return {"departments": Department.objects.update(webhook_url="")}


def age_cases(argument: dict[str, Any]) -> dict[str, Any]:
    """Move every stage deadline ``days`` into the past, as if the cases had waited that long."""
    from django.db.models import F

    from zhili.cases.models import Case

    shift = dt.timedelta(days=int(argument["days"]))
    aged = Case.objects.filter(stage_due_at__isnull=False).update(
        stage_due_at=F("stage_due_at") - shift, stage_warn_at=F("stage_warn_at") - shift)
    return {"aged": aged}


COMMANDS = {"seed": seed, "cases": cases, "notifications": notifications,
            "deliver_after_claims": deliver_after_claims, "sweep": sweep, "age_cases": age_cases, "sla_states": sla_states,
            "webhooks_off": webhooks_off}


def main(argv: list[str]) -> None:
    import django

    django.setup()
    argument = json.loads(argv[2]) if len(argv) > 2 else {}
    result = COMMANDS[argv[1]](argument)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv)
