"""signals' endpoints: the member's sources and archive imports.

Uploading takes multipart (field ``archive``) or the raw body (JSON Lines, gzip allowed),
with an optional ``Idempotency-Key``. Connecting a new GitHub or Mastodon account is an
OAuth redirect flow and stays in the browser (``/sources/``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.api.problems import IDEMPOTENCY, TOO_LARGE, Problem, service_error
from profiles.http import request_member
from profiles.models import User
from profiles.services.idempotency import IdempotencyConflict, idempotent_create
from signals import selectors
from signals.models import ImportJob, Source
from signals.services import sources as source_services
from signals.services.imports import ImportRefused, _too_large_message, archive_import_create

service_error(ImportRefused, "import-refused", "The archive cannot be imported")
service_error(source_services.SourceRefused, "source-refused", "This source change cannot be made")

ARCHIVE_TYPES = ("application/x-ndjson", "application/jsonl", "application/gzip")
CHUNK = 64 * 1024


class RawArchiveParser(parsers.BaseParser):
    """The request body is the archive itself; streamed to a temporary file under the limit."""

    media_type = "application/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        upload = TemporaryUploadedFile("archive.jsonl", "application/octet-stream", 0, None)
        size = 0
        while stream is not None and (chunk := stream.read(CHUNK)):
            size += len(chunk)
            if size > settings.IMPORT_MAX_BYTES:
                upload.close()
                raise Problem(TOO_LARGE, _too_large_message())
            upload.write(chunk)
        upload.size = size
        upload.seek(0)
        return parsers.DataAndFiles({}, {"archive": upload})


class SourceSerializer(serializers.ModelSerializer[Source]):
    class Meta:
        model = Source
        fields = [
            "id",
            "kind",
            "network",
            "handle",
            "verified",
            "followers_count",
            "following_count",
            "created_at",
            "last_synced_at",
            "sync_status",
            "sync_error",
        ]


class ImportSerializer(serializers.ModelSerializer[ImportJob]):
    percent = serializers.IntegerField(read_only=True, help_text="Progress, 0 to 100.")
    finished = serializers.BooleanField(read_only=True)
    errors = serializers.ListField(  # type: ignore[assignment]
        child=inline_serializer(
            "ArchiveLineError",
            {"line": serializers.IntegerField(), "reason": serializers.CharField()},
        ),
        read_only=True,
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "status",
            "finished",
            "percent",
            "size",
            "bytes_done",
            "lines_done",
            "interactions",
            "message",
            "errors",
            "source",
            "original_name",
            "created_at",
            "finished_at",
        ]


class SourceListView(generics.ListAPIView[Source]):
    """Connected accounts (verified) and imported archives (self-reported)."""

    serializer_class = SourceSerializer
    ordering = ("id",)

    def get_queryset(self) -> Any:
        return selectors.member_sources(member=request_member(self.request))


class SourceDetailView(APIView):
    @extend_schema(responses=SourceSerializer)
    def get(self, request: Request, source_id: int) -> Response:
        source = selectors.source_for_member(member=request_member(request), source_id=source_id)
        return Response(SourceSerializer(source).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, source_id: int) -> Response:
        """Disconnect: delete the source, every signal it brought and its token; rescore."""
        member = request_member(request)
        source = selectors.source_for_member(member=member, source_id=source_id)
        source_services.source_disconnect(user_id=member.pk, source_id=source.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceSyncView(APIView):
    @extend_schema(
        request=None,
        responses={202: inline_serializer("SyncQueued", {"queued": serializers.BooleanField()})},
    )
    def post(self, request: Request, source_id: int) -> Response:
        """Sync a connected source now; ``queued`` is false when one is already under way."""
        member = request_member(request)
        source = selectors.source_for_member(member=member, source_id=source_id)
        queued = source_services.source_sync_request(user_id=member.pk, source_id=source.pk)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


class ImportListView(generics.ListAPIView[ImportJob]):
    """The member's archive imports, newest first. POST uploads one."""

    serializer_class = ImportSerializer
    parser_classes = [parsers.MultiPartParser, RawArchiveParser]
    extra_problem_codes = (413,)

    def get_queryset(self) -> Any:
        return ImportJob.objects.filter(user=request_member(self.request))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Send the same key to retry safely: one import per key. The same "
                "key with a different archive is a 422.",
            )
        ],
        request={
            "multipart/form-data": inline_serializer(
                "ArchiveUpload", {"archive": serializers.FileField()}
            ),
            "application/x-ndjson": OpenApiTypes.BINARY,
            "application/gzip": OpenApiTypes.BINARY,
        },
        responses={201: ImportSerializer, 200: ImportSerializer},
    )
    def post(self, request: Request) -> Response:
        if getattr(request._request, "upload_too_large", False):
            raise Problem(TOO_LARGE, _too_large_message())
        upload = request.FILES.get("archive")
        if upload is None:
            raise serializers.ValidationError({"archive": ["Send the archive file."]})
        key = request.headers.get("Idempotency-Key", "").strip()

        def create(member: User) -> str:
            job = archive_import_create(user=member, upload=upload, name=upload.name or "")
            return f"import:{job.pk}"

        try:
            resource, replayed = idempotent_create(
                user=request_member(request),
                operation="import",
                key=key,
                request_sha256=_sha256(upload) if key else "",
                create=create,
            )
        except IdempotencyConflict as exc:
            raise Problem(IDEMPOTENCY, str(exc)) from None
        job = selectors.import_job_for_member(
            member=request_member(request), job_id=resource.partition(":")[2]
        )
        code = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        headers = {"Location": f"/api/v1/me/imports/{job.pk}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(ImportSerializer(job).data, status=code, headers=headers)


class ImportDetailView(APIView):
    @extend_schema(responses=ImportSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        """An import's status and progress (poll until ``finished``)."""
        job = selectors.import_job_for_member(member=request_member(request), job_id=job_id)
        return Response(ImportSerializer(job).data)


urlpatterns = [
    path("me/sources", SourceListView.as_view(), name="api_sources"),
    path("me/sources/<int:source_id>", SourceDetailView.as_view(), name="api_source"),
    path("me/sources/<int:source_id>/sync", SourceSyncView.as_view(), name="api_source_sync"),
    path("me/imports", ImportListView.as_view(), name="api_imports"),
    path("me/imports/<uuid:job_id>", ImportDetailView.as_view(), name="api_import"),
]
