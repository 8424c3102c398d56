from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "zhili.geo"
    label = "geo"
    verbose_name = _("网格与地址")

    def ready(self) -> None:
        # deferred: models and other apps can be imported only once the app registry is ready
        from zhili.accounts.permissions import ObjectScope, register_scope_resolver
        from zhili.geo.models import Address, Area, Component

        # An area lies in its own subtree; addresses and components lie in their grid.
        register_scope_resolver(Area, lambda area: ObjectScope(area_paths=(area.path,)))
        register_scope_resolver(Address, lambda address: ObjectScope(area_paths=(address.grid.path,)))
        register_scope_resolver(Component, lambda component: ObjectScope(area_paths=(component.grid.path,)))
