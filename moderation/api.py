"""moderation's endpoints for members: their disputes about a score, a flag or a topic."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation import selectors
from moderation.models import Dispute, DisputeSubject
from moderation.services.disputes import MAX_REASON, DisputeRefused, dispute_open
from profiles.api.problems import service_error
from profiles.http import request_member

service_error(DisputeRefused, "dispute-refused", "This dispute cannot be opened")


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
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
        ]


class DisputeOpenSerializer(serializers.Serializer[Any]):
    subject = serializers.ChoiceField(choices=DisputeSubject.choices)
    detail = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The flag kind or the topic label (nothing for the score).",
    )
    reason = serializers.CharField(max_length=MAX_REASON)


class DisputeListView(generics.ListAPIView[Dispute]):
    """The member's disputes, newest first. POST opens one; a moderator answers it."""

    serializer_class = DisputeSerializer

    def get_queryset(self) -> Any:
        return selectors.member_disputes(member=request_member(self.request))

    @extend_schema(request=DisputeOpenSerializer, responses={201: DisputeSerializer})
    def post(self, request: Request) -> Response:
        data = DisputeOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = dispute_open(member=request_member(request), **data.validated_data)
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
