from django.urls import path

from moderation import views, views_console

urlpatterns = [
    path("disputes/", views.disputes, name="disputes"),
    path("moderation/", views_console.home, name="console"),
    path("moderation/disputes/", views_console.queue, name="console_queue"),
    path("moderation/disputes/assign/", views_console.queue_assign, name="console_queue_assign"),
    path(
        "moderation/disputes/<int:dispute_id>/",
        views_console.dispute_detail,
        name="console_dispute",
    ),
    path(
        "moderation/disputes/<int:dispute_id>/assign/",
        views_console.dispute_assign,
        name="console_dispute_assign",
    ),
    path(
        "moderation/disputes/<int:dispute_id>/resolve/",
        views_console.dispute_resolve,
        name="console_dispute_resolve",
    ),
    path("moderation/deny-list/", views_console.deny_list, name="console_deny_list"),
    path(
        "moderation/deny-list/<int:denied_id>/remove/",
        views_console.deny_list_remove,
        name="console_deny_list_remove",
    ),
    path("moderation/flags/", views_console.flags, name="console_flags"),
    path(
        "moderation/flags/<int:flag_id>/review/",
        views_console.flag_review_view,
        name="console_flag_review",
    ),
    path("moderation/freezes/", views_console.freezes, name="console_freezes"),
    path(
        "moderation/members/<int:member_id>/freeze/",
        views_console.member_freeze,
        name="console_member_freeze",
    ),
    path(
        "moderation/freezes/<int:freeze_id>/lift/",
        views_console.freeze_lift,
        name="console_freeze_lift",
    ),
    path("moderation/audit/", views_console.audit_log, name="console_audit"),
]
