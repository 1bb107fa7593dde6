from django.urls import path

from signals import views

urlpatterns = [
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/format/", views.import_format, name="import_format"),
    path("imports/sample.jsonl", views.import_sample, name="import_sample"),
    path("imports/<uuid:job_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:job_id>/status/", views.import_status, name="import_status"),
    path("sources/", views.sources, name="sources"),
    path("sources/connect/<slug:provider>/", views.source_connect, name="source_connect"),
    path("sources/connected/<slug:provider>/", views.source_connected, name="source_connected"),
    path("sources/accounts/<int:account_id>/use/", views.source_use, name="source_use"),
    path("sources/<int:source_id>/sync/", views.source_sync, name="source_sync"),
    path("sources/<int:source_id>/disconnect/", views.source_disconnect, name="source_disconnect"),
]
