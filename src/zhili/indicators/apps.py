from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "zhili.indicators"
    label = "indicators"
    verbose_name = "规划指标"
