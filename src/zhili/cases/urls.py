from django.urls import path

from zhili.cases import views, views_calendar, views_import, views_workbench

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("intake/", views.intake, name="intake"),
    path("intake/proposals/", views.proposals_fragment, name="proposals"),
    path("intake/assist/", views_workbench.intake_assist, name="intake_assist"),
    path("triage/", views_workbench.triage, name="triage"),
    path("triage/bulk-dispatch/", views_workbench.triage_bulk_dispatch, name="bulk_dispatch"),
    path("merge/", views_workbench.merge_compare, name="merge"),
    path("inbox/", views_workbench.inbox, name="inbox"),
    path("grid-worker/", views_workbench.grid_worker_home, name="grid_worker"),
    path("map/", views_workbench.public_map, name="public_map"),
    path("export.xlsx", views_workbench.case_list_export, name="list_export"),
    path("exports/<str:job_id>/", views_workbench.export_job, name="export_job"),
    path("exports/<str:job_id>/file/", views_workbench.export_download, name="export_download"),
    path("report/", views.citizen_report, name="report"),
    path("track/", views.track, name="track"),
    path("calendar/", views_calendar.calendar_page, name="calendar"),
    path("import/", views_import.import_upload, name="import"),
    path("import/<int:batch_id>/", views_import.import_batch, name="import_batch"),
    path("import/<int:batch_id>/set-aside.xlsx", views_import.import_set_aside_download, name="import_set_aside"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("media/<str:token>.jpg", views.public_photo, name="public_photo"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/action/<str:action>/", views.case_action, name="action"),
    path("<str:number>/export.<str:file_format>", views.case_export, name="export"),
]
