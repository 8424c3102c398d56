from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "zhili.indicators"
    label = "indicators"
    verbose_name = _("规划指标")

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from zhili.accounts.permissions import ObjectScope, register_scope_resolver
        from zhili.indicators.case_metrics import register_case_metrics
        from zhili.indicators.models import Plan

        def plan_scope(plan: Plan) -> ObjectScope:
            return ObjectScope(area_paths=(plan.scope_area.path,) if plan.scope_area is not None else ())

        register_scope_resolver(Plan, plan_scope)
        register_case_metrics()
