
from zhili.cases import views  # noqa: F401

app_name = "cases"

urlpatterns: list[object] = []
