from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import JavaScriptCatalog

from zhili.accounts.views import admin_login
from zhili.config import operations
from zhili.config.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("zhili.core.urls")),
    path("readyz", operations.readiness, name="readiness"),
    path("metrics", operations.metrics, name="metrics"),
    # the JS strings' catalogue (gettext/interpolate for the scripts), before the language switch's include
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("zhili.accounts.urls")),
    path("geo/", include("zhili.geo.urls")),
    path("cases/", include("zhili.cases.urls")),
    path("textintel/", include("zhili.textintel.urls")),
    path("indicators/", include("zhili.indicators.urls")),
    path("enterprises/", include("zhili.enterprises.urls")),
    path("projects/", include("zhili.projects.urls")),
    path("dashboard/", include("zhili.dashboard.urls")),
    path("open311/v2/", include("zhili.cases.open311_urls")),
    path("api/v1/", api.urls),
    # before the admin's own: its sign-in form would skip the throttle and the TOTP code
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
