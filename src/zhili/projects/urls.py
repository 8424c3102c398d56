from django.urls import path

from zhili.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.dispatch, name="dispatch"),
    path("leaders/", views.leaders, name="leaders"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("oc4ids.json", views.export_oc4ids, name="export_oc4ids"),
    path("reports/", views.reports, name="reports"),
    path("reports/template.xlsx", views.report_template, name="report_template"),
    path("reports/import/", views.report_import, name="report_import"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/template.xlsx", views.statistics_template, name="statistics_template"),
    path("statistics/import/", views.statistics_import, name="statistics_import"),
    path("library/", views.library, name="library"),
    path("library/template.xlsx", views.library_template, name="library_template"),
    path("library/import/", views.library_import, name="library_import"),
    path("livelihood/", views.livelihood, name="livelihood"),
    path("p/<str:code>/", views.project_detail, name="project"),
    path("p/<str:code>/report/", views.report_file, name="report_file"),
    path("p/<str:code>/problems/", views.problem_raise, name="problem_raise"),
    path("p/<str:code>/nodes/", views.node_record, name="node_record"),
]
