from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "zhili.enterprises"
    label = "enterprises"
    verbose_name = _("亩均评价")

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from zhili.accounts.permissions import ObjectScope, register_scope_resolver
        from zhili.enterprises.models import Enterprise, EvaluationResult

        def enterprise_scope(enterprise: Enterprise) -> ObjectScope:
            return ObjectScope(area_paths=(enterprise.area_path,) if enterprise.area_path else ())

        def result_scope(result: EvaluationResult) -> ObjectScope:
            return enterprise_scope(result.enterprise)

        register_scope_resolver(Enterprise, enterprise_scope)
        register_scope_resolver(EvaluationResult, result_scope)
