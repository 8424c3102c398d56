from django.urls import path

from zhili.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/template.xlsx", views.plan_template, name="plan_template"),
    path("plans/<int:plan_id>/upload/", views.plan_upload, name="plan_upload"),
    path("plans/<int:plan_id>/paste/", views.plan_paste, name="plan_paste"),
    path("plans/<int:plan_id>/drafts/", views.plan_drafts, name="plan_drafts"),
    path("plans/<int:plan_id>/report/", views.plan_report, name="plan_report"),
    path("plans/<int:plan_id>/reports/", views.report_workspace, name="report_workspace"),
    path("plans/<int:plan_id>/departments/", views.plan_departments, name="plan_departments"),
    path("reports/<int:report_id>/download.<str:file_format>", views.report_download, name="report_download"),
    path("indicators/<int:indicator_id>/target-revisions/", views.target_revise, name="target_revise"),
    path("drafts/<int:draft_id>/decide/", views.draft_decide, name="draft_decide"),
    path("indicators/<int:indicator_id>/", views.indicator_detail, name="indicator_detail"),
    path("indicators/<int:indicator_id>/observations/", views.observation_add, name="observation_add"),
    path("indicators/<int:indicator_id>/platform-metric/", views.indicator_bind_metric, name="indicator_bind_metric"),
]
