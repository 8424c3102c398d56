from django.urls import path

from zhili.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("intake/", views.intake, name="intake"),
    path("intake/proposals/", views.proposals_fragment, name="proposals"),
    path("triage/", views.triage, name="triage"),
    path("inbox/", views.inbox, name="inbox"),
    path("grid-worker/", views.grid_worker, name="grid_worker"),
    path("report/", views.citizen_report, name="report"),
    path("track/", views.track, name="track"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:batch_id>/", views.import_batch, name="import_batch"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("media/<str:token>.jpg", views.public_photo, name="public_photo"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/action/<str:action>/", views.case_action, name="action"),
    path("<str:number>/export.<str:file_format>", views.case_export, name="export"),
]
