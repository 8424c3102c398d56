"""Demo users: one login per role, and one grid worker per demo grid."""

from __future__ import annotations

from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction

from zhili.accounts.models import GridAssignment, User
from zhili.accounts.roles import Role
from zhili.geo.models import Area, AreaLevel, Department
from zhili.geo.selectors import grid_for_point

DEMO_PASSWORD = "Zhili@2026demo"  # noqa: S105 - published demo credential, synthetic data only

# username, role, display name, department code (or None)
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("operator", Role.OPERATOR, "坐席·王敏", None),
    ("dispatcher", Role.DISPATCHER, "派单·李强", None),
    ("handler", Role.HANDLER, "城管局·张伟", "CG"),
    ("gridworker", Role.GRID_WORKER, "网格员·陈静", None),
    ("leader", Role.LEADER, "领导·刘洋", None),
    ("planner", Role.PLANNER, "规划科·赵磊", None),
    ("analyst", Role.ANALYST, "经发局·孙丽", None),
    ("reviewer", Role.ANALYST, "经发局·钱军（审核签发）", None),
    ("projectoffice", Role.PROJECT_OFFICE, "发改局项目办·何平", None),
    ("leader2", Role.LEADER, "领导·郑华", None),
    ("zjhandler", Role.HANDLER, "住建局·吴刚", "ZJ"),
    ("admin", Role.ADMIN, "管理员·周涛", None),
    ("citizen", Role.CITIZEN, "市民·吴芳", None),
)


def _grid_at_centre() -> Area | None:

    location = grid_for_point(longitude=119.98, latitude=31.78)
    if location is None:
        return Area.objects.filter(level=AreaLevel.GRID).order_by("code").first()
    return Area.objects.get(pk=location.grid_id)


@transaction.atomic
def load_demo(*, seed: int, stdout: TextIO) -> None:
    password_hash = make_password(DEMO_PASSWORD)
    district = Area.objects.filter(level=AreaLevel.DISTRICT).order_by("code").first()
    departments = {department.code: department for department in Department.objects.all()}
    for username, role, display_name, department_code in DEMO_USERS:
        User.objects.update_or_create(
            username=username,
            defaults={
                "role": role, "display_name": display_name, "password": password_hash,
                "scope_area": district if role not in (Role.CITIZEN, Role.ADMIN) else None,
                "department": departments.get(department_code) if department_code else None,
                "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN,
            },
        )
    centre_grid = _grid_at_centre()
    demo_worker = User.objects.get(username="gridworker")
    if centre_grid is not None:
        demo_worker.scope_area = centre_grid
        demo_worker.save(update_fields=["scope_area"])
        GridAssignment.objects.get_or_create(user=demo_worker, grid=centre_grid)
    # One full-time grid worker per grid (一支专职网格员队伍); they share the demo password.
    grids = list(Area.objects.filter(level=AreaLevel.GRID).order_by("code"))
    existing = set(User.objects.filter(username__startswith="gw-").values_list("username", flat=True))
    new_workers = [
        User(username=f"gw-{grid.code}", role=Role.GRID_WORKER, display_name=f"网格员·{grid.name}",
             password=password_hash, scope_area=grid)
        for grid in grids
        if f"gw-{grid.code}" not in existing and (centre_grid is None or grid.pk != centre_grid.pk)
    ]
    User.objects.bulk_create(new_workers, batch_size=500)
    workers = {user.username: user for user in User.objects.filter(username__startswith="gw-")}
    assigned = set(GridAssignment.objects.values_list("user_id", "grid_id"))
    GridAssignment.objects.bulk_create(
        [GridAssignment(user=workers[f"gw-{grid.code}"], grid=grid) for grid in grids
         if f"gw-{grid.code}" in workers and (workers[f"gw-{grid.code}"].pk, grid.pk) not in assigned],
        batch_size=500,
    )
    stdout.write(f"  {len(DEMO_USERS)} role logins, {len(workers)} grid workers")
