from django.urls import path

from profiles.api import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="api_me"),
    path("me/consents", views.ConsentStateView.as_view(), name="api_consents"),
    path("me/consents/history", views.ConsentHistoryView.as_view(), name="api_consent_history"),
    path(
        "me/consents/receipts/<uuid:receipt_id>",
        views.ReceiptView.as_view(),
        name="api_consent_receipt",
    ),
    path(
        "me/consents/<slug:purpose>/grant",
        views.ConsentGrantView.as_view(),
        name="api_consent_grant",
    ),
    path(
        "me/consents/<slug:purpose>/withdraw",
        views.ConsentWithdrawView.as_view(),
        name="api_consent_withdraw",
    ),
    path("receipts/verify", views.ReceiptVerifyView.as_view(), name="api_receipt_verify"),
    path("me/tokens", views.TokenListView.as_view(), name="api_tokens"),
    path("me/tokens/<int:token_id>", views.TokenDetailView.as_view(), name="api_token"),
    path("me/apps", views.AppListView.as_view(), name="api_apps"),
    path("me/apps/<int:app_id>", views.AppDetailView.as_view(), name="api_app"),
    path("me/profile", views.ProfileView.as_view(), name="api_profile"),
    path("me/notifications", views.NotificationListView.as_view(), name="api_notifications"),
    path(
        "me/notifications/read",
        views.NotificationsReadView.as_view(),
        name="api_notifications_read",
    ),
    path(
        "me/notifications/<int:notification_id>/read",
        views.NotificationReadView.as_view(),
        name="api_notification_read",
    ),
    path(
        "me/notifications/email",
        views.NotificationEmailView.as_view(),
        name="api_notification_email",
    ),
    path("me/export", views.ExportListView.as_view(), name="api_exports"),
    path("me/export/<uuid:export_id>", views.ExportDetailView.as_view(), name="api_export"),
    path(
        "me/export/<uuid:export_id>/download",
        views.ExportDownloadView.as_view(),
        name="api_export_download",
    ),
]
