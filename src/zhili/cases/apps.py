from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from zhili.accounts.permissions import ObjectScope
    from zhili.cases.models import Case


def case_scope(case: Case) -> ObjectScope:
    """Where a case lies for permission checks: its grid's subtree, its current department, its reporter."""
    # deferred: models and other apps can be imported only once the app registry is ready
    from zhili.accounts.permissions import ObjectScope

    return ObjectScope(
        area_paths=(case.area_path,) if case.area_path else (),
        department_ids=frozenset({case.department_id}) if case.department_id else frozenset(),
        owner_user_id=case.reporter_user_id,
        confidential=case.is_confidential,
    )


class CasesConfig(AppConfig):
    name = "zhili.cases"
    label = "cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from zhili.accounts.permissions import register_scope_resolver
        from zhili.cases import (
            checks,  # noqa: F401 - registers the working-calendar check
            tasks,  # noqa: F401 - registers the app's jobs with zhili.core.jobs
        # deferred: models and other apps can be imported only once the app registry is ready
        )
        from zhili.cases.models import Case
        from zhili.cases.selectors import case_hot_issue_messages
        from zhili.textintel.case_source import case_source_register

        register_scope_resolver(Case, case_scope)
        case_source_register(case_hot_issue_messages)
