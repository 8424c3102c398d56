from django.urls import path

from zhili.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("", views.home, name="home"),
    path("registry/", views.enterprise_list, name="enterprise_list"),
    path("registry/<str:credit_code>/", views.enterprise_profile, name="enterprise"),
    path("results/<int:result_id>/sheet.<str:file_format>", views.enterprise_sheet, name="enterprise_sheet"),
    path("results/<int:result_id>/objections/", views.objection_create, name="objection_create"),
    path("results/<int:result_id>/measures/", views.measure_create, name="measure_create"),
    path("objections/<int:objection_id>/resolve/", views.objection_resolve, name="objection_resolve"),
    path("measures/<int:measure_id>/follow-ups/", views.measure_follow_up, name="measure_follow_up"),
    path("import/", views.import_page, name="import"),
    path("import/demo-files.zip", views.demo_files, name="demo_files"),
    path("import/<int:batch_id>/", views.import_batch, name="import_batch"),
    path("import/<int:batch_id>/decide/", views.import_batch_decide, name="import_batch_decide"),
    path("schemes/", views.scheme_list, name="schemes"),
    path("runs/", views.run_list, name="runs"),
    path("runs/execute/", views.run_execute, name="run_execute"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/publish/", views.run_publish, name="run_publish"),
    path("runs/<int:run_id>/discard/", views.run_discard, name="run_discard"),
    path("runs/<int:run_id>/export.xlsx", views.run_export, name="run_export"),
    path("runs/<int:run_id>/map/", views.run_map, name="run_map"),
    path("runs/<int:run_id>/d-list/", views.d_list, name="d_list"),
    path("runs/<int:run_id>/d-list/tasks/", views.d_list_tasks, name="d_list_tasks"),
    path("runs/<int:run_id>/policy/", views.run_policy, name="run_policy"),
    path("runs/<int:run_id>/simulate/", views.run_simulate, name="run_simulate"),
    path("runs/<int:run_id>/migration/", views.run_migration, name="run_migration"),
    path("objections/", views.objection_list, name="objections"),
    path("policy/", views.policy_tables, name="policy"),
    path("sites/", views.site_list, name="sites"),
]
