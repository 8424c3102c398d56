"""Where hot issues read the platform's cases: a source the cases app registers at start-up.

textintel lies below cases in the layer contract, so it never imports the case table; the cases
app registers (in ``CasesConfig.ready``) a function that returns the cases a user may see as
hot-issue messages, the same way apps register their scope resolvers with accounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from zhili.textintel.hot_issues import HotIssueMessage


class CaseMessageSource(Protocol):
    def __call__(self, *, user_id: int | None, since: dt.datetime, limit: int) -> list[HotIssueMessage]:
        """Cases created since ``since`` that user ``user_id`` may see (every case for ``None``: the
        demo loader, scripts), at most ``limit`` of them, as messages whose reporter is a hash, never a phone."""
        ...


_SOURCES: list[CaseMessageSource] = []


def case_source_register(source: CaseMessageSource) -> None:
    """Register the one source of the platform's cases (the cases app calls this when it is ready)."""
    if _SOURCES and _SOURCES[0] is not source:
        raise RuntimeError("a hot-issue case source is registered twice")
    _SOURCES[:] = [source]


def case_messages(*, user_id: int | None, since: dt.datetime, limit: int) -> list[HotIssueMessage]:
    if not _SOURCES:
        raise RuntimeError("no hot-issue case source is registered: is zhili.cases in INSTALLED_APPS?")
    return _SOURCES[0](user_id=user_id, since=since, limit=limit)
