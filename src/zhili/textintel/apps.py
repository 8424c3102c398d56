from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TextintelConfig(AppConfig):
    name = "zhili.textintel"
    label = "textintel"
    verbose_name = _("文本智能")

    def ready(self) -> None:
        from zhili.textintel import tasks  # noqa: F401 - registers the app's jobs with zhili.core.jobs
