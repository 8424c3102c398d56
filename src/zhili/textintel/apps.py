from django.apps import AppConfig


class TextintelConfig(AppConfig):
    name = "zhili.textintel"
    label = "textintel"
    verbose_name = "文本智能"
