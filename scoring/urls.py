from django.urls import path

from scoring import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<uuid:job_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:job_id>/status/", views.import_status, name="import_status"),
]
