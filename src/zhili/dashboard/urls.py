from django.urls import path

from zhili.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.command_center, name="command_center"),
    path("areas.geojson", views.area_geojson, name="geojson"),
    path("leader/", views.leader, name="leader"),
    path("leader/export.xlsx", views.leader_export, name="leader_export"),
    path("leader/report/", views.leader_report, name="leader_report"),
    path("leader/report.xlsx", views.leader_report_export, name="leader_report_export"),
]
