from django.urls import path

from zhili.textintel import views

app_name = "textintel"

urlpatterns = [
    path("models/", views.models_page, name="models"),
    path("models/train/", views.model_train, name="model_train"),
    path("models/<int:model_id>/", views.model_detail, name="model_detail"),
    path("models/<int:model_id>/compare/", views.model_compare, name="model_compare"),
    path("models/<int:model_id>/activate/", views.model_activate, name="model_activate"),
    path("models/<int:model_id>/deactivate/", views.model_deactivate, name="model_deactivate"),
    path("hot-issues/", views.hot_issues_page, name="hot_issues"),
    path("hot-issues/<int:run_id>/export.xlsx", views.hot_issues_export, name="hot_issues_export"),
]
