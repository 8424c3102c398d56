
from zhili.indicators import views  # noqa: F401

app_name = "indicators"

urlpatterns: list[object] = []
