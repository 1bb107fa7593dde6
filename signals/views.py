"""Pages for what members bring in: archive imports and connected sources."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import markdown
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from profiles.http import request_member
from profiles.purposes import Purpose
from profiles.selectors import consent_states_of_request, has_active_consent
from signals import selectors
from signals.connectors.errors import ConnectorError
from signals.forms import ArchiveUploadForm
from signals.models import ImportJob, ImportStatus, SyncStatus
from signals.providers.mastodon.forms import InstanceForm
from signals.providers.mastodon.views import mastodon_login_start
from signals.services import sources as source_services
from signals.services.imports import (
    ImportRefused,
    _too_large_message,
    archive_import_create,
    import_pending,
)


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    consent = consent_states_of_request(member=member)[Purpose.SCORING].active
    form = ArchiveUploadForm()
    error = ""
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.IMPORT_MAX_BYTES + 64 * 1024:
            error = _too_large_message()  # refused before the body is read at all
        else:
            form = ArchiveUploadForm(request.POST, request.FILES)
            if getattr(request, "upload_too_large", False):
                form, error = ArchiveUploadForm(), _too_large_message()
            elif form.is_valid():
                upload = form.cleaned_data["archive"]
                try:
                    job = archive_import_create(user=member, upload=upload, name=upload.name)
                except ImportRefused as exc:
                    error = str(exc)
                else:
                    return redirect("import_detail", job_id=job.pk)
    return render(
        request,
        "signals/import_new.html",
        {
            "form": form,
            "error": error,
            "consent": consent,
            "pending": import_pending(user=member),
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
            "max_counterparts": f"{settings.IMPORT_MAX_COUNTERPARTS:,}",
        },
        status=400 if error else 200,
    )


def import_heading(job: ImportJob) -> str:
    """The import page's heading, which follows the job's state."""
    name = job.original_name
    return {
        ImportStatus.QUEUED: f"Waiting to import {name}",
        ImportStatus.RUNNING: f"Importing {name}",
        ImportStatus.SCORING: f"Imported {name}; scoring…",
        ImportStatus.DONE: f"Imported {name}",
        ImportStatus.FAILED: f"{name} was refused",
    }.get(ImportStatus(job.status), name)


@login_required
def import_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.import_job_for_member(member=request_member(request), job_id=job_id)
    return render(
        request,
        "signals/import_detail.html",
        {"job": job, "heading": import_heading(job), "refused": job.status == ImportStatus.FAILED},
    )


@never_cache
@login_required
def import_status(request: HttpRequest, job_id: str) -> JsonResponse:
    job = selectors.import_job_for_member(member=request_member(request), job_id=job_id)
    return JsonResponse(
        {
            "status": job.status,
            "heading": import_heading(job),
            "label": job.get_status_display(),
            "finished": job.finished,
            "percent": job.percent,
            "bytes_done": job.bytes_done,
            "size": job.size,
            "lines_done": job.lines_done,
            "message": job.message,
            "errors": job.errors,
        }
    )


# --- The archive format, rendered from docs/archive-format.md, and a sample archive ------

FORMAT_DOC = Path(settings.BASE_DIR) / "docs" / "archive-format.md"
SAMPLE_ARCHIVE = (
    b'{"type":"account","network":"mastodon","handle":"you@example.social","followers":1200,'
    b'"following":310,"created_at":"2019-04-01T00:00:00Z"}\n'
    b'{"type":"post","id":"p1","at":"2026-10-01T12:00:00Z","tags":["privacy","python"],'
    b'"text":"Notes on privacy engineering; used for topics, then discarded"}\n'
    b'{"type":"interaction","kind":"like","by":"bob@other.social","post":"p1",'
    b'"at":"2026-10-01T12:05:00Z"}\n'
    b'{"type":"interaction","kind":"reply","by":"carol@x.social","post":"p1",'
    b'"at":"2026-10-01T13:00:00Z"}\n'
    b'{"type":"interaction","kind":"reshare","to":"dave@y.social","at":"2026-10-02T08:00:00Z"}\n'
    b'{"type":"follower","by":"carol@x.social","at":"2026-09-01T00:00:00Z"}\n'
    b'{"type":"following","of":"dave@y.social","at":"2026-08-01T00:00:00Z"}\n'
)


@lru_cache(maxsize=1)
def _format_html(mtime: float) -> str:
    """docs/archive-format.md as HTML: tables and code blocks in focusable scroll boxes."""
    text = FORMAT_DOC.read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    html = html.replace("<table>", '<div class="table-wrap" tabindex="0"><table>')
    html = html.replace("</table>", "</table></div>")
    return html.replace("<pre>", '<pre tabindex="0">')


def import_format(request: HttpRequest) -> HttpResponse:
    """The archive format page: public, so it can be read before signing up."""
    html = _format_html(FORMAT_DOC.stat().st_mtime)
    return render(request, "signals/import_format.html", {"format_html": mark_safe(html)})  # noqa: S308 - our own docs


def import_sample(request: HttpRequest) -> HttpResponse:
    """A small valid archive to start from: every line type once."""
    response = HttpResponse(SAMPLE_ARCHIVE, content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sample-archive.jsonl"'
    return response


# --- Sources: connected accounts (verified) and imported archives (self-reported) --------

CONNECT_SESSION_KEY = "source_connect"
PROVIDER_LABELS = {"github": "GitHub", "mastodon": "Mastodon"}


def _github_provider(request: HttpRequest) -> Any | None:
    try:
        return get_adapter(request).get_provider(request, "github")
    except SocialApp.DoesNotExist:
        return None


def _sources_page(
    request: HttpRequest, *, mastodon_form: InstanceForm | None = None, status: int = 200
) -> HttpResponse:
    member = request_member(request)
    return render(
        request,
        "signals/sources.html",
        {
            "sources": selectors.member_sources(member=member).select_related("social_account"),
            "unused_accounts": selectors.member_unused_accounts(member=member),
            "scoring_consent": has_active_consent(user_id=member.pk, purpose=Purpose.SCORING),
            "github_enabled": _github_provider(request) is not None,
            "mastodon_form": mastodon_form or InstanceForm(),
            "error_status": SyncStatus.ERROR,
            "retrying_status": SyncStatus.RETRYING,
        },
        status=status,
    )


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    return _sources_page(request)


@login_required
@require_POST
def source_connect(request: HttpRequest, provider: str) -> HttpResponse:
    """Start connecting GitHub or Mastodon: consent first, then the provider's OAuth flow."""
    if provider not in PROVIDER_LABELS:
        raise Http404("No such provider.")
    member = request_member(request)
    if not has_active_consent(user_id=member.pk, purpose=Purpose.SCORING):
        messages.error(
            request,
            "Connecting an account for scoring needs your consent to “Score my activity”. "
            "Grant it in the consent centre first.",
        )
        return redirect("sources")
    # The finish view only acts on a connection this member started here, just now.
    request.session[CONNECT_SESSION_KEY] = {"provider": provider, "at": time.time()}
    finish = reverse("source_connected", args=[provider])
    if provider == "github":
        github = _github_provider(request)
        if github is None:
            messages.error(request, "GitHub connections aren't set up on this server yet.")
            return redirect("sources")
        response: HttpResponse = github.redirect(request, AuthProcess.CONNECT, next_url=finish)
        return response
    form = InstanceForm(request.POST)
    if form.is_valid():
        try:
            return mastodon_login_start(
                request,
                instance=form.cleaned_data["instance"],
                process=AuthProcess.CONNECT,
                next_url=finish,
            )
        except ValueError as exc:
            form.add_error("instance", str(exc))
        except ConnectorError as exc:
            form.add_error("instance", exc.user_message)
    return _sources_page(request, mastodon_form=form, status=400)


@login_required
def source_connected(request: HttpRequest, provider: str) -> HttpResponse:
    """Where allauth returns after connecting: make the account a verified source."""
    member = request_member(request)
    started = request.session.pop(CONNECT_SESSION_KEY, None)
    if not isinstance(started, dict) or started.get("provider") != provider:
        return redirect("sources")
    since = datetime.fromtimestamp(float(started.get("at", 0)), tz=UTC) - timedelta(seconds=5)
    account = selectors.account_just_connected(member=member, provider=provider, since=since)
    if account is None:
        return redirect("sources")  # cancelled or refused; allauth said why
    try:
        source = source_services.source_connect(
            user_id=member.pk, social_account_id=account.pk, discard_on_refusal=True
        )
    except source_services.SourceRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{PROVIDER_LABELS[provider]} account {source.handle} is connected; "
            "the first sync has started.",
        )
    return redirect("sources")


@login_required
@require_POST
def source_use(request: HttpRequest, account_id: int) -> HttpResponse:
    """Use an account the member signs in with as a scoring source too."""
    member = request_member(request)
    account = selectors.social_account_for_member(member=member, account_id=account_id)
    try:
        source = source_services.source_connect(user_id=member.pk, social_account_id=account.pk)
    except source_services.SourceRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{source.handle} is now a source; the first sync has started.")
    return redirect("sources")


@login_required
@require_POST
def source_sync(request: HttpRequest, source_id: int) -> HttpResponse:
    member = request_member(request)
    source = selectors.source_for_member(member=member, source_id=source_id)
    if source_services.source_sync_request(user_id=member.pk, source_id=source.pk):
        messages.success(request, f"Sync of {source.handle} queued.")
    else:
        messages.info(request, f"{source.handle} is already syncing.")
    return redirect("sources")


@login_required
def source_disconnect(request: HttpRequest, source_id: int) -> HttpResponse:
    """Confirm (GET), then delete the source, its data and its token (POST)."""
    member = request_member(request)
    source = selectors.source_for_member(member=member, source_id=source_id)
    if request.method == "POST":
        source_services.source_disconnect(user_id=member.pk, source_id=source.pk)
        what = "disconnected" if source.verified else "removed"
        messages.success(
            request, f"{source.handle} was {what} and its data deleted; your score will update."
        )
        return redirect("sources")
    return render(request, "signals/source_disconnect.html", {"source": source})
