
from zhili.dashboard import views  # noqa: F401

app_name = "dashboard"

urlpatterns: list[object] = []
