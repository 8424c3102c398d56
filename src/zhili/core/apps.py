from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhili.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from django.contrib.auth.signals import user_login_failed

        from zhili.core import (
            checks,  # noqa: F401 - registers the deployment checks
            tasks,  # noqa: F401 - registers the job ledger's entry point with zhili.core.jobs
        # deferred: models and other apps can be imported only once the app registry is ready
        )
        from zhili.core.metrics import login_failed_count

        # A metric, not a business rule: every failed sign-in (the site's form, the admin, a future
        # throttle library) goes through Django's authenticate(), which sends this signal.
        user_login_failed.connect(login_failed_count, dispatch_uid="zhili_login_failures_metric")
