from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "zhili.enterprises"
    label = "enterprises"
    verbose_name = "亩均评价"
