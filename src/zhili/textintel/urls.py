
from zhili.textintel import views  # noqa: F401

app_name = "textintel"

urlpatterns: list[object] = []
