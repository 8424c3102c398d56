from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "zhili.geo"
    label = "geo"
    verbose_name = "网格与地址"
