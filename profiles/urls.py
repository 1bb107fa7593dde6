from django.urls import path

from profiles.views import account, activity, consent, notifications, public, receipts, tokens

urlpatterns = [
    path("", consent.home, name="home"),
    path("privacy/", public.privacy, name="privacy"),
    path("consent/", consent.consent_centre, name="consent_centre"),
    path("consent/review/", consent.reconsent, name="reconsent"),
    path("consent/receipts/", receipts.consent_receipts, name="consent_receipts"),
    path("consent/receipts/<uuid:receipt_id>/", receipts.consent_receipt, name="consent_receipt"),
    path("consent/<slug:purpose>/", consent.consent_change, name="consent_change"),
    path("account/", account.account_settings, name="account_settings"),
    path("consent/scoring/withdraw/", consent.scoring_withdraw, name="scoring_withdraw"),
    path("account/export/", account.data_export, name="data_export"),
    path(
        "account/export/<uuid:export_id>/status/",
        account.data_export_status,
        name="data_export_status",
    ),
    path(
        "account/export/<uuid:export_id>/download/",
        account.data_export_file,
        name="data_export_download",
    ),
    path("account/delete/", account.account_delete, name="account_delete"),
    path("account/activity/", activity.account_activity, name="account_activity"),
    path("account/api-tokens/", tokens.api_tokens, name="api_tokens_page"),
    path(
        "account/api-tokens/<int:token_id>/revoke/",
        tokens.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("account/api-apps/<int:app_id>/revoke/", tokens.api_app_revoke, name="api_app_revoke"),
    path("receipts/verify/", receipts.receipt_verify_page, name="receipt_verify"),
    path(".well-known/jwks.json", receipts.jwks, name="jwks"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/email/", notifications.notifications_email, name="notifications_email"),
]
