"""The import pages: new, in progress, done and refused; the format page and the sample."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from profiles.models import User
from signals.archive import read_archive
from signals.models import ImportJob, ImportStatus
from tests.browser import VIEWPORTS, check_page
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


def job_in(user: User, status: str, **fields: Any) -> ImportJob:
    finished = status in (ImportStatus.DONE, ImportStatus.FAILED)
    return ImportJob.objects.create(
        user=user,
        original_name="my-archive.jsonl",
        size=2048,
        bytes_done=1024 if status == ImportStatus.RUNNING else 2048,
        lines_done=12,
        status=status,
        finished_at=timezone.now() if finished else None,
        **fields,
    )


REFUSED = {
    "message": "The archive was refused; nothing was stored.",
    "errors": [{"line": 7, "reason": "not valid JSON"}, {"line": 0, "reason": "x"}],
}


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        (ImportStatus.QUEUED, "Waiting to import my-archive.jsonl"),
        (ImportStatus.RUNNING, "Importing my-archive.jsonl"),
        (ImportStatus.SCORING, "Imported my-archive.jsonl; scoring…"),
        (ImportStatus.DONE, "Imported my-archive.jsonl"),
        (ImportStatus.FAILED, "my-archive.jsonl was refused"),
    ],
)
def test_the_heading_follows_the_state(
    client: Client, alice: User, status: str, heading: str
) -> None:
    job = job_in(alice, status)
    client.force_login(alice)

    html = client.get(reverse("import_detail", args=[job.pk])).content.decode()

    assert f'<h1 id="import-heading">{heading}</h1>' in html
    assert "Importing" not in html or status == ImportStatus.RUNNING
    assert client.get(reverse("import_status", args=[job.pk])).json()["heading"] == heading


def test_a_refused_import_lists_its_problems_and_offers_try_again(
    client: Client, alice: User
) -> None:
    job = job_in(alice, ImportStatus.FAILED, **REFUSED)
    client.force_login(alice)

    html = client.get(reverse("import_detail", args=[job.pk])).content.decode()

    assert "Line 7: not valid JSON" in html and "The whole file: x" in html
    assert f'href="{reverse("import_new")}" id="try-again">Try again</a>' in html
    assert "banner banner--error" in html


def test_the_new_import_page_links_the_format_and_the_sample(client: Client, alice: User) -> None:
    client.force_login(alice)

    html = client.get(reverse("import_new")).content.decode()

    assert f'href="{reverse("import_format")}"' in html
    assert f'href="{reverse("import_sample")}" download' in html
    assert "500,000 distinct other accounts" in html


def test_the_format_page_is_the_format_doc_rendered(client: Client) -> None:
    html = client.get(reverse("import_format")).content.decode()

    assert '<h1 id="signal-archive-format-v1">Signal archive format (v1)</h1>' in html
    assert '<div class="table-wrap" tabindex="0"><table>' in html
    assert "more than 100 blank lines in a row" in html
    assert "<script" not in html.split("<main", 1)[1] and "style=" not in html


def test_the_sample_archive_downloads_and_is_a_valid_archive(client: Client) -> None:
    response = client.get(reverse("import_sample"))

    assert response["Content-Disposition"] == 'attachment; filename="sample-archive.jsonl"'
    archive = read_archive(io.BytesIO(response.content), secret=settings.HANDLE_HASH_KEY)
    assert archive.lines == 7 and archive.interactions == 3
    assert set(archive.account.network for _ in [0]) == {"mastodon"}


def test_a_second_upload_on_the_page_is_refused_with_a_link_to_the_first(
    client: Client, alice: User
) -> None:
    first = job_in(alice, ImportStatus.RUNNING)
    client.force_login(alice)

    response = client.post(
        reverse("import_new"),
        {"archive": SimpleUploadedFile("b.jsonl", archive_text().encode())},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "already have an import waiting or running" in html
    assert reverse("import_detail", args=[first.pk]) in html
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [first.pk]


# --- In Chromium, at desktop and phone widths -----------------------------------------


def sign_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_import_page_passes_axe_and_fits(
    page: Any, live_server: Any, alice: User, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_in(page, live_server, alice)

    page.goto(f"{live_server.url}{reverse('import_new')}")
    assert page.get_by_role("link", name="Read the archive format").is_visible()
    check_page(page, "import new")

    page.goto(f"{live_server.url}{reverse('import_format')}")
    check_page(page, "import format")

    running = job_in(alice, ImportStatus.RUNNING)
    page.goto(f"{live_server.url}{reverse('import_detail', args=[running.pk])}")
    assert page.get_by_role("heading", level=1).inner_text() == "Importing my-archive.jsonl"
    check_page(page, "import in progress")
    ImportJob.objects.filter(pk=running.pk).update(
        status=ImportStatus.DONE, message="Imported 16 interactions from 3 posts."
    )
    # The page polls, then reloads with the outcome: the heading follows the state.
    page.get_by_role("heading", name="Imported my-archive.jsonl").wait_for(timeout=15_000)
    check_page(page, "import done")

    refused = job_in(alice, ImportStatus.FAILED, **REFUSED)
    page.goto(f"{live_server.url}{reverse('import_detail', args=[refused.pk])}")
    assert page.get_by_role("heading", level=1).inner_text() == "my-archive.jsonl was refused"
    check_page(page, "import refused")
    page.get_by_role("link", name="Try again").click()
    page.wait_for_url(f"{live_server.url}{reverse('import_new')}")
