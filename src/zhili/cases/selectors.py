"""Reads of the cases app: scoped lists, queues, the case file, reporter data, KPIs.

Every list a person sees starts from :func:`cases_visible_to`, which turns the permission scope
(area subtree, department, grids, own reports) into one SQL filter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Case as DatabaseCase
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, user_area_paths, user_can
from zhili.accounts.personal_data_policy import (
    Disclosure,
    PersonalField,
    personal_disclosure,
    personal_text_shown_to,
)
from zhili.accounts.roles import Role
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case, CaseAttachment, CaseEvent, Notification, Rating, SlaState
from zhili.cases.personal_data import personal_decrypt, phone_lookup_hash
from zhili.cases.rules.kpis import KpiCounts
from zhili.cases.states import OPEN_STATUSES, TRANSITIONS, CaseStatus
from zhili.core.errors import NotFoundError, PermissionDeniedError
from zhili.core.personal_data import id_number_mask, personal_text_mask
from zhili.geo.models import Area, AreaLevel
from zhili.textintel.hot_issues import HotIssueMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def _area_filter(paths: tuple[str, ...], *, include_unlocated: bool) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(area_path__startswith=path)
    if include_unlocated:
        condition |= Q(area_path="")
    return condition


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """Cases ``user`` may see: the same rule as ``user_can(user, CASE_VIEW, case)``, as a query."""
    if not user_can(user, Action.CASE_VIEW):
        return Case.objects.none()
    person: User = user  # type: ignore[assignment]
    cases = Case.objects.all()
    if person.role == Role.ADMIN:
        return cases
    if person.role == Role.CITIZEN:
        return cases.filter(reporter_user_id=person.pk)
    if person.role == Role.HANDLER:
        return cases.filter(department_id=person.department_id) if person.department_id else Case.objects.none()
    paths = user_area_paths(person)
    if person.role == Role.GRID_WORKER:
        return cases.filter(_area_filter(paths, include_unlocated=False)) if paths else Case.objects.none()
    if paths:
        return cases.filter(_area_filter(paths, include_unlocated=True))
    return cases


def case_visible_or_404(*, user: User | AnonymousUser, case_id: int | None = None, number: str | None = None) -> Case:
    query = cases_visible_to(user).select_related("grid", "category", "matter", "department", "master_case")
    case = query.filter(pk=case_id).first() if case_id is not None else query.filter(number=number or "").first()
    if case is None:
        raise NotFoundError("case_not_found", "工单不存在，或不在您的查看范围内。")
    return case


def case_list(*, user: User | AnonymousUser, case_filter: CaseFilter | None = None) -> QuerySet[Case]:
    """The cases ``user`` may see narrowed by ``case_filter``, newest first (the case list, its export, the API)."""
    cases = cases_visible_to(user).select_related("department", "category", "matter", "grid")
    return cases_filtered(cases, case_filter or CaseFilter()).order_by("-created_at", "-id")


# The one expression the trigram index of migration cases/0007 is built on (PostgreSQL): the planner
# uses the index only for this exact expression, upper-cased by ``icontains``.
_SEARCH_TEXT_SQL = ('"cases_case"."title" || \' \' || "cases_case"."description" || \' \' || '
                    '"cases_case"."address_text"')


def _text_matching(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Cases whose number is ``text`` or whose title, description or address contains it (any case).

    On PostgreSQL one ``UPPER(title || description || address) LIKE`` answered by the trigram index
    (three characters or more; a shorter text is matched by a scan that stops at the first page of
    matches, newest first). On SQLite three ``icontains``.
    """
    if not text:
        return cases
    if connection.vendor == "postgresql":
        # a constant expression over our own columns; the text is a bound parameter of the lookup
        search_text = RawSQL(_SEARCH_TEXT_SQL, (), output_field=TextField())  # noqa: S611
        return cases.alias(search_text=search_text).filter(
            Q(number=text) | Q(search_text__icontains=text))
    return cases.filter(Q(number=text) | Q(title__icontains=text) | Q(description__icontains=text)
                        | Q(address_text__icontains=text))


def triage_queue(*, user: User) -> QuerySet[Case]:
    """The dispatcher's queue: returned cases waiting for a decision (审定) on top, then new cases not
    dispatched automatically; urgent first within each."""
    returned_first = DatabaseCase(When(status=CaseStatus.RETURNED, then=Value(0)), default=Value(1),
                                  output_field=IntegerField())
    return (cases_visible_to(user).filter(status__in=[CaseStatus.RECEIVED, CaseStatus.RETURNED])
            .select_related("matter", "department", "category", "grid", "returned_by_department")
            .order_by(returned_first, "-priority", "stage_due_at", "created_at"))


def review_queue(*, user: User) -> QuerySet[Case]:
    """Replies waiting for the centre's review (审核), oldest deadline first."""
    return (cases_visible_to(user).filter(status=CaseStatus.REVIEWING).select_related("department", "matter")
            .order_by("stage_due_at", "created_at"))


def supervision_queue(*, user: User) -> QuerySet[Case]:
    """Open cases with a yellow or red light, reddest and oldest first (督办 candidates)."""
    return (cases_visible_to(user).filter(status__in=sorted(OPEN_STATUSES), sla_state__in=[SlaState.WARNING,
                                                                                           SlaState.OVERDUE])
            .select_related("department", "matter").order_by("-sla_state", "stage_due_at"))


def extension_requests(*, user: User) -> QuerySet[Case]:
    return cases_visible_to(user).filter(status=CaseStatus.HANDLING, extension_state="requested").select_related(
        "department", "matter").order_by("stage_due_at")


INBOX_TABS = ("pending", "handling", "warning", "overdue")


def department_inbox(*, user: User, tab: str) -> QuerySet[Case]:
    """A department's orders: 待签收 (pending), 办理中 (handling), 即将超期 (warning), 已超期 (overdue)."""
    cases = cases_visible_to(user).select_related("matter", "grid")
    if tab == "pending":
        cases = cases.filter(status=CaseStatus.DISPATCHED)
    elif tab == "handling":
        cases = cases.filter(status=CaseStatus.HANDLING)
    elif tab == "warning":
        cases = cases.filter(status__in=[CaseStatus.DISPATCHED, CaseStatus.HANDLING], sla_state=SlaState.WARNING)
    else:
        cases = cases.filter(status__in=[CaseStatus.DISPATCHED, CaseStatus.HANDLING], sla_state=SlaState.OVERDUE)
    return cases.order_by("stage_due_at", "created_at")


def follow_up_queue(*, user: User) -> QuerySet[Case]:
    """Finished cases waiting for the callback (回访), oldest deadline first."""
    return cases_visible_to(user).filter(status=CaseStatus.FINISHED).select_related("department").order_by(
        "follow_up_due_at")


def case_by_tracking_code(code: str) -> Case | None:
    """The case a citizen follows with their code (case-insensitive, spaces ignored)."""
    normalised = "".join((code or "").split()).upper()
    if not normalised:
        return None
    return Case.objects.select_related("category", "matter", "department", "master_case").filter(
        tracking_code=normalised).first()


@dataclass(frozen=True)
class ReporterView:
    name: str
    phone: str
    id_number: str
    masked: bool


def case_reporter_for(*, case: Case, user: User | AnonymousUser | None) -> ReporterView:
    """The reporter's details as the personal-data policy lets ``user`` see them: clear, masked or withheld."""
    disclosure = personal_disclosure(user, PersonalField.REPORTER_NAME, case)
    if disclosure == Disclosure.SHOW:
        return ReporterView(name=personal_decrypt(case.reporter_name_encrypted),
                            phone=personal_decrypt(case.reporter_phone_encrypted),
                            id_number=personal_decrypt(case.reporter_id_number_encrypted), masked=False)
    if disclosure == Disclosure.WITHHOLD:
        return ReporterView(name="", phone="", id_number="", masked=True)
    return ReporterView(name=case.reporter_name_masked, phone=case.reporter_phone_masked,
                        id_number=id_number_mask(personal_decrypt(case.reporter_id_number_encrypted)), masked=True)


def caller_history(*, user: User, phone: str, limit: int = 20) -> QuerySet[Case]:
    """Earlier cases of the same phone number (keyed-hash lookup, the number is never searched in clear)."""
    lookup = phone_lookup_hash(phone)
    if not lookup or not user_can(user, Action.CASE_VIEW_PERSONAL):
        return Case.objects.none()
    return cases_visible_to(user).filter(reporter_phone_hash=lookup).order_by("-created_at")[:limit]


@dataclass(frozen=True)
class CaseFile:
    """一案一档: the case, its timeline, attachments, merged duplicates and the actions open to the viewer."""

    case: Case
    events: list[CaseEvent]
    attachments: list[CaseAttachment]
    merged_cases: list[Case]
    reporter: ReporterView
    allowed_actions: list[str]
    shows_personal_text: bool = False

    def text(self, value: str | None) -> str:
        """Free text of this case as the viewer may read it (the personal-data policy, decided once)."""
        if not value:
            return ""
        return value if self.shows_personal_text else personal_text_mask(value)


def case_file(*, case: Case, user: User | AnonymousUser) -> CaseFile:
    events = list(CaseEvent.objects.filter(case=case).select_related("actor", "department").order_by(
        "occurred_at", "id"))
    attachments = list(CaseAttachment.objects.filter(case=case).order_by("id"))
    merged = list(Case.objects.filter(master_case=case).order_by("created_at"))
    return CaseFile(case=case, events=events, attachments=attachments, merged_cases=merged,
                    reporter=case_reporter_for(case=case, user=user),
                    allowed_actions=case_actions_for(case=case, user=user),
                    shows_personal_text=personal_text_shown_to(user, case))


def case_actions_for(*, case: Case, user: User | AnonymousUser) -> list[str]:
    """Transitions the table allows from the case's status and the user may perform on it."""
    return [action for action, transition in TRANSITIONS.items()
            if case.status in transition.sources
            and any(user_can(user, permission, case) for permission in transition.permissions)]


def notifications_for_user(*, user: User, limit: int = 50) -> QuerySet[Notification]:
    condition = Q(recipient_id=user.pk)
    if user.department_id:
        condition |= Q(department_id=user.department_id, recipient__isnull=True)
    return Notification.objects.filter(condition, channel="in_app", delivered_at__isnull=False).select_related(
        "case").order_by("-id")[:limit]


# -- KPIs ----------------------------------------------------------------------------------------

def case_counter_aggregates() -> dict[str, Any]:
    """The aggregate expressions over ``Case`` that give the counters of :class:`KpiCounts` (the one
    definition of what each KPI counts; the dashboard's rollup stores these same counters)."""
    return {
        "created_count": Count("id"),
        "dispatched_count": Count("id", filter=Q(dispatched_at__isnull=False)),
        "accepted_count": Count("id", filter=Q(accepted_at__isnull=False)),
        "accept_judged_count": Count("id", filter=Q(accepted_on_time__isnull=False)),
        "accepted_on_time_count": Count("id", filter=Q(accepted_on_time=True)),
        "finished_count": Count("id", filter=Q(finished_at__isnull=False)),
        "ever_finished_count": Count("id", filter=Q(finished_at__isnull=False) | Q(reopen_count__gt=0)),
        "finished_on_time_count": Count("id", filter=Q(finished_on_time=True)),
        "self_handled_count": Count("id", filter=Q(self_handled=True)),
        "reopened_count": Count("id", filter=Q(reopen_count__gt=0)),
        "returned_count": Count("id", filter=Q(return_count__gt=0)),
        "extended_count": Count("id", filter=Q(extension_count__gt=0)),
        "merged_count": Count("id", filter=Q(status=CaseStatus.MERGED)),
        "cancelled_count": Count("id", filter=Q(status=CaseStatus.CANCELLED)),
        "rated_count": Count("id", filter=~Q(rating="")),
        "satisfied_count": Count("id", filter=Q(rating=Rating.SATISFIED)),
        "basically_satisfied_count": Count("id", filter=Q(rating=Rating.BASICALLY_SATISFIED)),
        "unsatisfied_count": Count("id", filter=Q(rating=Rating.UNSATISFIED)),
        "resolved_known_count": Count("id", filter=Q(resolved__isnull=False)),
        "resolved_count": Count("id", filter=Q(resolved=True)),
        "handling_seconds_sum": Coalesce(Sum("handling_seconds", filter=Q(finished_at__isnull=False)), Value(0)),
    }


def _path_condition(field_name: str, paths: tuple[str, ...]) -> Q:
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{field_name}__startswith": path})
    return condition


def rows_filtered(queryset: QuerySet[Any], case_filter: CaseFilter) -> QuerySet[Any]:
    """Any table with ``area_path``, ``department_id`` and ``category_id`` columns (cases, the
    dashboard's rollup) narrowed to ``case_filter``'s area subtrees, department and category."""
    if case_filter.area_paths:
        queryset = queryset.filter(_path_condition("area_path", case_filter.area_paths))
    if case_filter.department_id is not None:
        queryset = queryset.filter(department_id=case_filter.department_id)
    if case_filter.category_id is not None:
        queryset = queryset.filter(category_id=case_filter.category_id)
    return queryset


def cases_filtered(queryset: QuerySet[Case], case_filter: CaseFilter) -> QuerySet[Case]:
    """``queryset`` narrowed to every field of ``case_filter`` (see :class:`CaseFilter`)."""
    queryset = rows_filtered(queryset, case_filter)
    if case_filter.grid_id is not None:
        queryset = queryset.filter(grid_id=case_filter.grid_id)
    if case_filter.status:
        queryset = queryset.filter(status=case_filter.status)
    if case_filter.open_only:
        queryset = queryset.filter(status__in=sorted(OPEN_STATUSES))
    if case_filter.channel:
        queryset = queryset.filter(channel=case_filter.channel)
    if case_filter.sla_state:
        queryset = queryset.filter(sla_state=case_filter.sla_state)
    if case_filter.created_from is not None:
        queryset = queryset.filter(created_at__gte=case_filter.created_from)
    if case_filter.created_to is not None:
        queryset = queryset.filter(created_at__lt=case_filter.created_to)
    if case_filter.confidence_below is not None:
        queryset = queryset.filter(classification_confidence__lt=case_filter.confidence_below)
    if case_filter.text:
        queryset = _text_matching(queryset, case_filter.text.strip())
    return queryset


def _received_between(case_filter: CaseFilter, start: dt.datetime, end: dt.datetime) -> QuerySet[Case]:
    return cases_filtered(Case.objects.filter(created_at__gte=start, created_at__lt=end), case_filter)


def kpi_area_path_for(*, user: User, area_path: str) -> str:
    """The area subtree a KPI request of ``user`` covers: the one asked for, which must lie inside the
    user's own scope, or the user's scope when none is asked (a street leader gets their street)."""
    allowed = user_area_paths(user)
    if not area_path:
        if len(allowed) > 1:
            raise PermissionDeniedError("area_required", _("请指定要统计的区域（area_path）。"))
        return allowed[0] if allowed else ""
    if allowed and not any(area_path.startswith(path) for path in allowed):
        raise PermissionDeniedError("area_out_of_scope", _(
            "区域「%(path)s」不在您的管辖范围内，只能查看本辖区的考核指标。") % {"path": area_path})
    return area_path


def case_kpis(*, case_filter: CaseFilter, start: dt.datetime, end: dt.datetime) -> KpiCounts:
    """The KPIs of the cases received in [start, end) within ``case_filter`` (one aggregate query, read
    from the case table; the dashboard answers the same figures from its rollup).

    Definitions: :mod:`zhili.cases.rules.kpis` and docs/cases.md; a rate whose denominator is zero is
    ``None``.
    """
    counts = KpiCounts()
    counts.add_row(_received_between(case_filter, start, end).aggregate(**case_counter_aggregates()))
    return counts


KPI_GROUPS = {"department": "department__name", "category": "category__name", "grid": "grid__name"}


def case_kpis_by(*, group: str, case_filter: CaseFilter, start: dt.datetime,
                 end: dt.datetime) -> list[tuple[str, KpiCounts]]:
    """KPIs per department, category, grid or street (one GROUP BY query), largest groups first."""
    cases = _received_between(case_filter, start, end)
    rows: list[tuple[str, KpiCounts]] = []
    if group == "street":
        for path, name in Area.objects.filter(level=AreaLevel.STREET).values_list("path", "name"):
            counts = KpiCounts()
            counts.add_row(cases.filter(area_path__startswith=path).aggregate(**case_counter_aggregates()))
            if counts.created_count:
                rows.append((name, counts))
    else:
        grouped: Any = cases.values(label=F(KPI_GROUPS[group])).annotate(**case_counter_aggregates())
        for row in grouped:
            counts = KpiCounts()
            counts.add_row(dict(row))
            rows.append((row["label"] or "未分配", counts))
    rows.sort(key=lambda item: -item[1].created_count)
    return rows


def case_hot_issue_messages(*, user_id: int | None, since: dt.datetime, limit: int) -> list[HotIssueMessage]:
    """The cases created since ``since`` that user ``user_id`` may see (all for ``None``), newest first, at
    most ``limit``, as hot-issue messages: the topic is the case's matter (else its category), the place
    its address (else its grid), the reporter a hash of the phone (never the phone). Registered with
    :mod:`zhili.textintel.case_source` when the app is ready."""
    if user_id is None:
        cases = Case.objects.all()
    else:
        viewer = User.objects.filter(pk=user_id, is_active=True).select_related("scope_area").first()
        cases = cases_visible_to(viewer) if viewer is not None else Case.objects.none()
    rows = (cases.filter(created_at__gte=since).order_by("-created_at", "-id")
            .values_list("id", "number", "title", "description", "created_at", "reporter_phone_hash",
                         "reporter_user_id", "address_text", "grid__name", "matter__code", "category__code")[:limit])
    return [
        HotIssueMessage(
            message_id=str(number), reporter=phone_hash or (f"user:{reporter_id}" if reporter_id else f"case:{case_id}"),
            title=title or "", text=f"{address_text} {description}".strip(), created_at=created_at, likes=0,
            topic=matter_code or category_code or "", place=address_text or grid_name or "",
        )
        for (case_id, number, title, description, created_at, phone_hash, reporter_id, address_text, grid_name,
             matter_code, category_code) in rows
    ]
