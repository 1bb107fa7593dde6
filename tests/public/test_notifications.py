"""Notifications: one per event, on site with an unread count, marked read by their member
only, and emailed (text and HTML, naming the site from SITE_URL) only for chosen kinds."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from profiles.models import Notification, NotificationKind, User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from profiles.services.notifications import (
    notification_email_choices_set,
    notification_emails_send,
    notification_send,
)
from scoring.models import Topic, TopicStatus
from tests.conftest import WorkerProcess, private_queue, wait_for
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


def kinds_of(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def latest(user: User, kind: str) -> Notification:
    return Notification.objects.filter(user=user, kind=kind).latest("created_at", "id")


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


# --- One notification per event -----------------------------------------------------------


def test_a_consent_change_sends_its_receipt(alice: User) -> None:
    consent_withdraw(user=alice, purpose=Purpose.DISCOVERY)
    n = latest(alice, NotificationKind.CONSENT_RECEIPT)
    assert n.title == "You withdrew “Topic directory”: here is your receipt"
    record = alice.consent_records.latest("created_at", "id")
    assert n.url == reverse("consent_receipt", args=[record.receipt_id])


def test_signing_up_sends_one_notice_for_all_receipts(alice: User) -> None:
    assert kinds_of(alice) == [NotificationKind.CONSENT_RECEIPT]
    assert "consent receipts are ready" in latest(alice, NotificationKind.CONSENT_RECEIPT).title


def test_an_export_sends_export_ready(alice: User, media: Path) -> None:
    from profiles.services.exports import data_export_build, data_export_request

    export = data_export_request(user=alice)
    assert NotificationKind.EXPORT_READY not in kinds_of(alice)
    data_export_build(export_id=export.pk)
    assert latest(alice, NotificationKind.EXPORT_READY).url == reverse("data_export")


def test_a_refused_import_says_so(alice: User, media: Path) -> None:
    from signals.services.imports import archive_import_create, archive_import_run

    job = archive_import_create(
        user=alice, upload=SimpleUploadedFile("a.jsonl", b'{"type":"nope"}\n'), name="a.jsonl",
        enqueue=False,
    )  # fmt: skip
    archive_import_run(job_id=job.pk)
    n = latest(alice, NotificationKind.IMPORT_REFUSED)
    assert "refused" in n.title and n.url == reverse("import_detail", args=[job.pk])


def test_an_import_scored_sends_import_done_and_the_first_score(alice: User, media: Path):
    from scoring.services.runs import score_members_now
    from signals.services.imports import archive_import_create, archive_import_run

    job = archive_import_create(
        user=alice, upload=SimpleUploadedFile("a.jsonl", archive_text().encode()),
        name="a.jsonl", enqueue=False,
    )  # fmt: skip
    archive_import_run(job_id=job.pk)
    assert NotificationKind.IMPORT_DONE not in kinds_of(alice)
    score_members_now(user_ids=[alice.pk])
    assert latest(alice, NotificationKind.IMPORT_DONE).url == reverse(
        "import_detail", args=[job.pk]
    )
    assert latest(alice, NotificationKind.SCORE_FIRST).title.startswith("Your first score: ")
    # A rescore of the same data: no new import notice, no "first" again, no big change.
    score_members_now(user_ids=[alice.pk])
    assert kinds_of(alice).count(NotificationKind.IMPORT_DONE) == 1
    assert kinds_of(alice).count(NotificationKind.SCORE_FIRST) == 1
    assert NotificationKind.SCORE_CHANGED not in kinds_of(alice)


def test_a_score_change_notifies_only_beyond_the_set_amount(alice: User, settings) -> None:
    from scoring.services.notices import scores_written

    settings.NOTIFY_SCORE_CHANGE_POINTS = 5
    scores_written(before={alice.pk: Decimal("40.00")}, after={alice.pk: Decimal("44.00")})
    assert NotificationKind.SCORE_CHANGED not in kinds_of(alice)
    scores_written(before={alice.pk: Decimal("40.00")}, after={alice.pk: Decimal("45.50")})
    assert latest(alice, NotificationKind.SCORE_CHANGED).title == (
        "Your score rose from 40.00 to 45.50"
    )


def test_an_answered_dispute_notifies_with_the_answer(alice: User, mod: User) -> None:
    from moderation.services.disputes import dispute_open, dispute_resolve

    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution="Checked.")
    n = latest(alice, NotificationKind.DISPUTE_ANSWERED)
    assert n.title == "A moderator rejected your dispute" and n.body == "Checked."


def test_a_deny_listed_suggestion_notifies_its_members_only(
    alice: User, mallory: User, mod: User
) -> None:
    from moderation.services.deny_list import denied_topic_add

    Topic.objects.create(user=alice, label="crypto scams", status=TopicStatus.SUGGESTED)
    Topic.objects.create(user=mallory, label="python", status=TopicStatus.SUGGESTED)
    denied_topic_add(moderator=mod, label="Crypto Scams", reason="spam")
    assert "crypto scams" in latest(alice, NotificationKind.TOPIC_DENIED).title
    assert NotificationKind.TOPIC_DENIED not in kinds_of(mallory)


# --- Email only when chosen ---------------------------------------------------------------


def test_only_chosen_kinds_are_emailed(alice: User, settings, mailoutbox) -> None:
    settings.SITE_URL = "https://influence.example.org"
    notification_email_choices_set(member=alice, kinds=[NotificationKind.EXPORT_READY])
    quiet = notification_send(user_id=alice.pk, kind="consent_receipt", title="A receipt")
    loud = notification_send(
        user_id=alice.pk, kind="export_ready", title="Your data export is ready",
        body="For 24 hours.", url="/account/export/",
    )  # fmt: skip
    assert not quiet.email_wanted and loud.email_wanted
    assert notification_emails_send(notification_ids=[quiet.pk, loud.pk]) == 1
    assert notification_emails_send(notification_ids=[loud.pk]) == 0  # never twice
    [mail] = mailoutbox
    assert mail.to == [alice.email]
    assert mail.subject == "Your data export is ready · Influence (influence.example.org)"
    assert "https://influence.example.org/account/export/" in mail.body
    assert "127.0.0.1" not in mail.body
    html = mail.alternatives[0][0]
    assert mail.alternatives[0][1] == "text/html"
    assert '<a href="https://influence.example.org/account/export/">' in html
    assert "For 24 hours." in html and "influence.example.org" in html


def test_an_email_choice_withdrawn_before_sending_sends_nothing(alice: User, mailoutbox):
    notification_email_choices_set(member=alice, kinds=["export_ready"])
    n = notification_send(user_id=alice.pk, kind="export_ready", title="Ready")
    notification_email_choices_set(member=alice, kinds=[])
    assert notification_emails_send(notification_ids=[n.pk]) == 0 and not mailoutbox


def test_an_email_is_enqueued_only_after_commit(
    alice: User, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from influence.celery import app

    sent: list[tuple[str, list[object]]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args: sent.append((name, args)))
    notification_email_choices_set(member=alice, kinds=["consent_receipt"])
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(user=alice, purpose=Purpose.API_ACCESS)
        assert sent == []
    n = latest(alice, NotificationKind.CONSENT_RECEIPT)
    assert ("profiles.tasks.notification_emails_send", [[n.pk]]) in sent


# --- The pages ----------------------------------------------------------------------------


def test_the_list_shows_the_unread_count_and_marks_read(client, alice: User) -> None:
    n = notification_send(user_id=alice.pk, kind="score_first", title="Your first score: 42")
    client.force_login(alice)
    page = client.get(reverse("notifications")).content.decode()
    assert "2 unread" in page and "Your first score: 42" in page
    client.post(reverse("notifications_read"), {"id": n.pk})
    n.refresh_from_db()
    assert n.read_at is not None
    assert "1 unread" in client.get(reverse("notifications")).content.decode()
    client.post(reverse("notifications_read"))
    assert "All read" in client.get(reverse("notifications")).content.decode()


def test_mallory_cannot_mark_alices_notifications(client, alice: User, mallory: User) -> None:
    n = notification_send(user_id=alice.pk, kind="score_first", title="Yours")
    client.force_login(mallory)
    client.post(reverse("notifications_read"), {"id": n.pk})
    n.refresh_from_db()
    assert n.read_at is None
    assert "Yours" not in client.get(reverse("notifications")).content.decode()


def test_the_email_choices_are_saved_from_the_page(client, alice: User) -> None:
    client.force_login(alice)
    client.post(reverse("notifications_email"), {"kind": ["export_ready", "dispute_answered"]})
    page = client.get(reverse("notifications")).content.decode()
    assert 'value="export_ready" checked' in page and 'value="dispute_answered" checked' in page
    assert 'value="score_first" checked' not in page
    bad = client.post(reverse("notifications_email"), {"kind": ["export_ready", "spam"]})
    assert bad.status_code == 400
    page = client.get(reverse("notifications")).content.decode()
    assert 'value="dispute_answered" checked' in page  # nothing partial was stored


def test_the_header_link_shows_the_unread_count(alice: User, bob: User) -> None:
    request = RequestFactory().get("/")
    request.user = alice
    html = render_to_string("profiles/_nav_notifications.html", request=request)
    assert 'href="/notifications/"' in html and ">1<" in html
    request.user = bob
    notification_send(user_id=bob.pk, kind="score_first", title="x")
    Notification.objects.filter(user=bob).update(read_at=timezone.now())
    html = render_to_string("profiles/_nav_notifications.html", request=request)
    assert "Notifications" in html and "badge" not in html


# --- With a real worker -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_a_chosen_notification_after_commit(tmp_path: Path) -> None:
    from tests.conftest import make_member

    outbox = tmp_path / "mail"
    outbox.mkdir()
    member = make_member("erin@example.org", [Purpose.SCORING])
    notification_email_choices_set(member=member, kinds=[NotificationKind.CONSENT_RECEIPT])
    with private_queue() as queue:
        worker = WorkerProcess(
            extra_env={"EMAIL_URL": f"filemail:///{outbox}", "SITE_URL": "https://inf.example"},
            queue=queue,
        )
        try:
            consent_give(user=member, purpose=Purpose.DISCOVERY)
            files = wait_for(lambda: list(outbox.iterdir()), timeout=60, what="the email file")
        finally:
            worker.stop()
    raw = files[0].read_text().split("\n" + "-" * 79)[0]  # the file backend's separator
    mail = email.message_from_string(raw, policy=email.policy.default)
    assert mail["To"] == "erin@example.org"
    assert (
        mail["Subject"].strip()
        == "You gave “Topic directory”: here is your receipt · Influence (inf.example)"
    )
    plain, rich = mail.get_body(preferencelist=("plain",)), mail.get_body(("html",))
    assert plain is not None and rich is not None
    text, html = plain.get_content(), rich.get_content()
    assert "https://inf.example/consent/receipts/" in text and "https://inf.example/" in html
    n = latest(member, NotificationKind.CONSENT_RECEIPT)
    assert n.emailed_at is not None
