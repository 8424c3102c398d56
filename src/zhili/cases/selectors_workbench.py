"""Reads behind the role workbenches: the operator's intake assistant, filtered triage, countdowns,
the public map and the grid worker's tasks. Every list starts from :func:`selectors.cases_visible_to`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet

from zhili.accounts.models import GridAssignment
from zhili.cases import policy
from zhili.cases.classification import MatterProposal, matter_proposals
from zhili.cases.contracts import CaseFilter
from zhili.cases.hot_path import open_cases_near
from zhili.cases.models import Case
from zhili.cases.selectors import caller_history, cases_filtered, cases_visible_to, triage_queue
from zhili.cases.states import OPEN_STATUSES, CaseStatus
from zhili.cases.working_time import working_calendar_current, working_minutes_between
from zhili.core import clock
from zhili.geo.models import Area, AreaLevel, Department, MatterCategory
from zhili.geo.selectors import address_candidates, grid_for_point
from zhili.textintel.duplicates import distance_meters, duplicate_scores

if TYPE_CHECKING:
    from zhili.accounts.models import User

ADDRESS_PROPOSAL_LIMIT = 3
DUPLICATE_PROPOSAL_LIMIT = 5
HISTORY_LIMIT = 10


@dataclass(frozen=True)
class GridProposal:
    grid_id: int
    grid_name: str
    source: str  # "point" or "address"
    address_text: str
    longitude: float | None
    latitude: float | None
    score: float  # 1.0 for a point inside the grid


@dataclass(frozen=True)
class DepartmentProposal:
    matter_code: str
    matter_name: str
    category_name: str
    department_name: str
    confidence: float


@dataclass(frozen=True)
class DuplicateProposal:
    case: Case
    distance_meters: float | None
    similarity: float


@dataclass(frozen=True)
class IntakeAssist:
    grids: list[GridProposal]
    matters: list[DepartmentProposal]
    duplicates: list[DuplicateProposal]
    history: list[Case]


def _grid_names(grid_ids: set[int]) -> dict[int, str]:
    return dict(Area.objects.filter(pk__in=grid_ids).values_list("pk", "name"))


def _grid_proposals(*, address_text: str, longitude: float | None, latitude: float | None) -> list[GridProposal]:

    proposals: list[GridProposal] = []
    if longitude is not None and latitude is not None:
        location = grid_for_point(longitude=longitude, latitude=latitude)
        if location is not None:
            proposals.append(GridProposal(grid_id=location.grid_id, grid_name=location.grid_name, source="point",
                                          address_text="", longitude=longitude, latitude=latitude, score=1.0))
    if address_text.strip():
        candidates = address_candidates(address_text, limit=ADDRESS_PROPOSAL_LIMIT)
        names = _grid_names({candidate.grid_id for candidate in candidates})
        proposals.extend(
            GridProposal(grid_id=candidate.grid_id, grid_name=names.get(candidate.grid_id, candidate.grid_code),
                         source="address", address_text=candidate.full_text, longitude=candidate.longitude,
                         latitude=candidate.latitude, score=round(candidate.score, 3))
            for candidate in candidates)
    return proposals


def _department_proposals(proposals: list[MatterProposal]) -> list[DepartmentProposal]:
    names = dict(Department.objects.filter(pk__in={p.department_id for p in proposals}).values_list("pk", "name"))
    return [DepartmentProposal(matter_code=p.matter_code, matter_name=p.matter_name, category_name=p.category_name,
                               department_name=names.get(p.department_id, ""), confidence=round(p.confidence, 3))
            for p in proposals]


def _duplicate_proposals(*, user: User, description: str, grid: GridProposal | None,
                         category_code: str | None, at: dt.datetime) -> list[DuplicateProposal]:
    """Open cases near the place being typed: intake's own candidates (one query, ``hot_path``), scored
    as intake scores them but down to half its threshold (the operator wants near misses too), and
    only those the operator may see."""

    if grid is None or not description.strip():
        return []
    candidates, _key_used = open_cases_near(longitude=grid.longitude, latitude=grid.latitude,
                                            grid_id=grid.grid_id, at=at)
    if not candidates:
        return []
    # intake compares categories by id: the proposal's category code becomes its id
    category_id = (MatterCategory.objects.filter(code=category_code).values_list("pk", flat=True).first()
                   if category_code else None)
    scores = duplicate_scores(text=description, longitude=grid.longitude, latitude=grid.latitude,
                              category_code=str(category_id) if category_id is not None else None,
                              created_at=at, candidates=candidates, threshold=policy.duplicate_threshold() / 2)
    visible = cases_visible_to(user).filter(pk__in=[case_id for case_id, _score in scores]).select_related("category")
    by_id = {case.pk: case for case in visible}
    result: list[DuplicateProposal] = []
    for case_id, score in scores:
        case = by_id.get(case_id)
        if case is None:
            continue
        distance = None
        if (grid.longitude is not None and grid.latitude is not None
                and case.longitude is not None and case.latitude is not None):
            distance = round(distance_meters(grid.longitude, grid.latitude, case.longitude, case.latitude))
        result.append(DuplicateProposal(case=case, distance_meters=distance, similarity=round(score, 3)))
        if len(result) == DUPLICATE_PROPOSAL_LIMIT:
            break
    return result


def intake_assist(*, user: User, description: str, address_text: str, longitude: float | None,
                  latitude: float | None, phone: str, at: dt.datetime) -> IntakeAssist:
    """What the operator sees while typing: grid, matter → department, near duplicates, caller history."""
    grids = _grid_proposals(address_text=address_text, longitude=longitude, latitude=latitude)
    proposals = matter_proposals(description) if description.strip() else []
    best_grid = grids[0] if grids else None
    category_code = proposals[0].category_code if proposals else None
    return IntakeAssist(
        grids=grids, matters=_department_proposals(proposals),
        duplicates=_duplicate_proposals(user=user, description=description, grid=best_grid,
                                        category_code=category_code, at=at),
        history=list(caller_history(user=user, phone=phone, limit=HISTORY_LIMIT)) if phone.strip() else [],
    )


# -- dispatcher ----------------------------------------------------------------------------------

def triage_filtered(*, user: User, case_filter: CaseFilter) -> QuerySet[Case]:
    """The triage queue (received and returned cases) narrowed by the dispatcher's filters."""
    return cases_filtered(triage_queue(user=user).select_related("matter__department"), case_filter)


def triage_confidence_below() -> float:
    """The "low confidence only" filter's bound: below the automatic dispatch threshold."""
    return policy.auto_dispatch_threshold()


def streets() -> QuerySet[Area]:
    return Area.objects.filter(level=AreaLevel.STREET).order_by("code")


# -- handler countdowns ----------------------------------------------------------------------------

def working_minutes_left(*, due_at: dt.datetime | None, at: dt.datetime, natural: bool) -> int | None:
    """Minutes left to ``due_at`` (office minutes unless ``natural``); negative when overdue."""
    if due_at is None:
        return None
    if natural:
        return int((due_at - at).total_seconds() // 60)
    calendar = working_calendar_current()
    if due_at >= at:
        return int(working_minutes_between(at, due_at, calendar))
    # past the deadline counts as overdue even when no office minute has passed since (a weekend)
    return -max(1, int(working_minutes_between(due_at, at, calendar)))


# -- public map ------------------------------------------------------------------------------------

PUBLIC_MAP_STATUSES = (CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED,
                       CaseStatus.FINISHED, CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED)
FIXED_STATUSES = (CaseStatus.FINISHED, CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED)
PUBLIC_MAP_LIMIT = 2000


def public_map_fixed_days() -> int:
    return int(getattr(settings, "ZHILI_PUBLIC_MAP_FIXED_DAYS", 30))


def public_map_points(*, at: dt.datetime) -> list[dict[str, Any]]:
    """Non-personal points for the public map: category, status, rough place (≈100 m), date.

    Open cases stay; fixed cases age off ``public_map_fixed_days()`` after they were finished.
    Never names, phones, descriptions or case numbers.
    """
    fixed_since = at - dt.timedelta(days=public_map_fixed_days())
    rows = (Case.objects.filter(longitude__isnull=False, latitude__isnull=False, status__in=PUBLIC_MAP_STATUSES)
            .filter(~Q(status__in=FIXED_STATUSES) | Q(finished_at__gte=fixed_since))
            .order_by("-created_at")
            .values_list("category__name", "status", "longitude", "latitude", "created_at")[:PUBLIC_MAP_LIMIT])
    labels = dict(CaseStatus.choices)
    return [{"category": category or "其他", "fixed": status in FIXED_STATUSES, "status": str(labels[status]),
             "longitude": round(longitude or 0.0, 3), "latitude": round(latitude or 0.0, 3),
             "date": created_at.astimezone(clock.CHINA_TIME_ZONE).date().isoformat()}
            for category, status, longitude, latitude, created_at in rows]


# -- grid worker ------------------------------------------------------------------------------------

def grid_worker_tasks(*, user: User) -> QuerySet[Case]:
    """Open cases in the grid worker's grids, urgent and oldest first."""
    return (cases_visible_to(user).filter(status__in=sorted(OPEN_STATUSES))
            .select_related("matter", "grid").order_by("-priority", "created_at"))


def grid_worker_grids(*, user: User) -> list[Area]:

    return [assignment.grid for assignment in
            GridAssignment.objects.filter(user=user).select_related("grid").order_by("grid__code")]
