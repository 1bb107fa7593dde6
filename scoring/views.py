from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from profiles.http import request_member
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from scoring import selectors
from scoring.forms import ArchiveUploadForm
from scoring.services.imports import ImportRefused, _too_large_message, archive_import_create


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    score = selectors.current_score(member=member)
    return render(
        request,
        "scoring/dashboard.html",
        {
            "score": score,
            "components": selectors.score_components(score) if score else [],
            "scoring_consent": has_active_consent(user_id=member.pk, purpose=Purpose.SCORING),
            "sources": selectors.member_sources(member=member),
            "imports": selectors.member_imports(member=member),
        },
    )


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    consent = has_active_consent(user_id=member.pk, purpose=Purpose.SCORING)
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
        "scoring/import_new.html",
        {
            "form": form,
            "error": error,
            "consent": consent,
            "max_mb": settings.IMPORT_MAX_BYTES // (1024 * 1024),
        },
    )


@login_required
def import_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.import_job_for_member(member=request_member(request), job_id=job_id)
    return render(request, "scoring/import_detail.html", {"job": job})


@never_cache
@login_required
def import_status(request: HttpRequest, job_id: str) -> JsonResponse:
    job = selectors.import_job_for_member(member=request_member(request), job_id=job_id)
    return JsonResponse(
        {
            "status": job.status,
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
