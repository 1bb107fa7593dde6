"""moderation's endpoints for members: their disputes about a score, a flag or a topic.

At most ``MAX_OPEN_DISPUTES`` are open at once (a ``dispute-limit`` problem says how many
are open); while one is open, what it is about is restricted (GDPR Art. 18), and each
dispute says how (``restriction``).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation import selectors
from moderation.models import Dispute, DisputeStatus, DisputeSubject
from moderation.services.disputes import (
    MAX_OPEN_DISPUTES,
    MAX_REASON,
    DisputeLimitReached,
    DisputeRefused,
    dispute_open,
)
from profiles.api.fields import (
    StrictCharField,
    StrictChoiceField,
)
from profiles.api.problems import SERVICE_ERRORS, Problem, service_error
from profiles.http import request_member

service_error(DisputeRefused, "dispute-refused", "This dispute cannot be opened")
service_error(
    DisputeLimitReached,
    "dispute-limit",
    f"At most {MAX_OPEN_DISPUTES} disputes can be open at once",
)

RESTRICTIONS = {
    DisputeSubject.SCORE: "Your score is frozen while this dispute is open: runs go on, but "
    "the score shown stays as it was and public pages, badge and directory hide it.",
    DisputeSubject.TOPIC: "This topic is hidden from your public page and the directory "
    "while this dispute is open.",
}


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
    restriction = serializers.SerializerMethodField(
        help_text="While open: what is frozen or hidden because of this dispute (GDPR Art. 18)."
    )

    class Meta:
        model = Dispute
        fields = [
            "id",
            "subject",
            "detail",
            "reason",
            "status",
            "resolution",
            "created_at",
            "resolved_at",
            "restriction",
        ]

    def get_restriction(self, dispute: Dispute) -> str | None:
        if dispute.status != DisputeStatus.OPEN:
            return None
        return RESTRICTIONS.get(DisputeSubject(dispute.subject))


class DisputeOpenSerializer(serializers.Serializer[Any]):
    subject = StrictChoiceField(choices=DisputeSubject.choices)
    detail = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The flag kind or the topic label (nothing for the score).",
    )
    reason = StrictCharField(max_length=MAX_REASON)


class DisputeListView(generics.ListAPIView[Dispute]):
    """The member's disputes, newest first. POST opens one; a moderator answers it. With
    ``MAX_OPEN_DISPUTES`` (3) already open, POST is a 422 ``dispute-limit`` problem with
    ``open_disputes`` and ``max_open_disputes``."""

    serializer_class = DisputeSerializer

    def get_queryset(self) -> Any:
        return selectors.member_disputes(member=request_member(self.request))

    @extend_schema(request=DisputeOpenSerializer, responses={201: DisputeSerializer})
    def post(self, request: Request) -> Response:
        data = DisputeOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            dispute = dispute_open(member=request_member(request), **data.validated_data)
        except DisputeLimitReached as exc:
            raise Problem(
                SERVICE_ERRORS[DisputeLimitReached],
                str(exc),
                extensions={"open_disputes": exc.open_now, "max_open_disputes": MAX_OPEN_DISPUTES},
            ) from None
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


class DisputeDetailView(APIView):
    @extend_schema(responses=DisputeSerializer)
    def get(self, request: Request, dispute_id: int) -> Response:
        dispute = selectors.dispute_for_member(
            member=request_member(request), dispute_id=dispute_id
        )
        return Response(DisputeSerializer(dispute).data)


urlpatterns = [
    path("me/disputes", DisputeListView.as_view(), name="api_disputes"),
    path("me/disputes/<int:dispute_id>", DisputeDetailView.as_view(), name="api_dispute"),
]
