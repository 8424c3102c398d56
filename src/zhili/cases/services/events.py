"""The timeline rows of a case (``CaseEvent``), built in one place.

Every service that writes a case's history builds its rows here and saves them itself (the
transition in its transaction, intake in its one linked insert, the history import in bulk).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhili.cases.models import Case, CaseEvent
from zhili.cases.states import CaseAction, CaseStatus


def case_event_new(*, case: Case, action: str, from_status: str, to_status: str, department_id: int | None,
                   actor_id: int | None, actor_label: str, at: dt.datetime, note: str = "",
                   data: dict[str, Any] | None = None) -> CaseEvent:
    """An unsaved timeline row with every field given (the history import's reconstructed steps)."""
    return CaseEvent(case=case, action=action, from_status=from_status, to_status=to_status, actor_id=actor_id,
                     actor_label=actor_label, department_id=department_id, note=note, data=data or {},
                     occurred_at=at)


def case_event_for_creation(*, case: Case, actor_id: int | None, actor_label: str, at: dt.datetime,
                            note: str = "", data: dict[str, Any] | None = None) -> CaseEvent:
    """The first row of every case: created (受理) into the triage queue, no department yet."""
    return case_event_new(case=case, action=CaseAction.CREATE, from_status="", to_status=CaseStatus.RECEIVED,
                          department_id=None, actor_id=actor_id, actor_label=actor_label, at=at, note=note,
                          data=data)


def case_event_for_transition(*, case: Case, action: str, from_status: str, actor_id: int | None,
                              actor_label: str, at: dt.datetime, note: str = "",
                              data: dict[str, Any] | None = None) -> CaseEvent:
    """The row of a transition just applied to ``case``: its new status and its department now."""
    return case_event_new(case=case, action=action, from_status=from_status, to_status=case.status,
                          department_id=case.department_id, actor_id=actor_id, actor_label=actor_label, at=at,
                          note=note, data=data)


def case_event_for_merged_in(*, master: Case, duplicate: Case, actor_id: int | None, actor_label: str,
                             at: dt.datetime, note: str = "") -> CaseEvent:
    """The master's row saying a duplicate was merged into it (its status does not change)."""
    return case_event_new(case=master, action=CaseAction.MERGED_IN, from_status=master.status,
                          to_status=master.status, department_id=master.department_id, actor_id=actor_id,
                          actor_label=actor_label, at=at, note=note, data={"duplicate_case": duplicate.number})
