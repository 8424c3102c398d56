from django.apps import AppConfig


class TextintelConfig(AppConfig):
    name = "zhili.textintel"
    label = "textintel"
    verbose_name = "文本智能"

    def ready(self) -> None:
        from zhili.textintel import tasks  # noqa: F401 - registers the app's jobs with zhili.core.jobs
