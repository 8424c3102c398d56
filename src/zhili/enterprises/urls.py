
from zhili.enterprises import views  # noqa: F401

app_name = "enterprises"

urlpatterns: list[object] = []
