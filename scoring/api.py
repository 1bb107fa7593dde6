"""scoring's endpoints: the member's score, its history, statement and flags, and their
topics; and the public reads (a member's public profile, its badge, the directory).

Third-party apps (OAuth 2, under the member's ``api_access`` consent) may read the score
(with its components) and the approved topics only, as that consent's text says. The
public reads go through the same selectors as the site's pages, so they answer exactly
when the pages do (``public_profile`` consent and a verified address; ``discovery`` for
the directory), and are the same 404 otherwise.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.api.auth import is_third_party
from profiles.api.fields import (
    StrictBooleanField,
    StrictCharField,
)
from profiles.api.problems import SERVICE_ERRORS, Problem, service_error
from profiles.http import request_member
from profiles.public_cache import public_cache_get, public_cache_set
from scoring import selectors
from scoring.badges import badge_svg
from scoring.explain import FlagExplanation, flag_explain
from scoring.models import GamingFlag, Score, ScoreSnapshot, Topic, TopicBlock, TopicStatus
from scoring.services.deletion import score_history_delete
from scoring.services.topics import (
    SensitiveTopicUnconfirmed,
    TopicError,
    topic_add,
    topic_decide,
    topic_delete,
    topic_unblock,
)

service_error(TopicError, "topic-refused", "This topic change cannot be made")
service_error(
    SensitiveTopicUnconfirmed,
    "sensitive-topic-unconfirmed",
    "Showing this topic needs your explicit confirmation (confirm_sensitive: true)",
)


def _sensitive_problem(exc: SensitiveTopicUnconfirmed) -> Problem:
    return Problem(
        SERVICE_ERRORS[SensitiveTopicUnconfirmed],
        str(exc),
        extensions={
            "label": exc.label,
            "category": exc.category,
            "confirm_field": "confirm_sensitive",
        },
    )


class ComponentSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    points = serializers.DecimalField(max_digits=6, decimal_places=2)


class ScoreSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(max_digits=5, decimal_places=2)
    components = ComponentSerializer(many=True, help_text="They add up to the value.")
    confidence = serializers.FloatField()
    model_version = serializers.CharField()
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)
    computed_at = serializers.DateTimeField()
    seed_basis = serializers.CharField(
        allow_blank=True, help_text="Whose trust seeded this run (why a score is provisional)."
    )
    statement = serializers.CharField(help_text="The activity statement, in plain words.")
    frozen_since = serializers.DateTimeField(
        allow_null=True,
        help_text="Set while a dispute about the score is open: the score stays as it was "
        "(runs go on) and public pages hide it.",
    )


def _score_body(score: Score) -> dict[str, Any]:
    run = selectors.score_run(score)
    components = selectors.score_components(score)
    window = (
        f" from activity between {score.window_start:%Y-%m-%d} and {score.window_end:%Y-%m-%d}"
        if score.window_start and score.window_end
        else ""
    )
    return {
        "value": score.value,
        "components": [c.__dict__ for c in components],
        "confidence": score.confidence,
        "model_version": score.model_version,
        "window_start": score.window_start,
        "window_end": score.window_end,
        "computed_at": score.computed_at,
        "seed_basis": run.get_seed_basis_display() if run and run.seed_basis else "",
        "statement": f"Score {score.value} by model {score.model_version}{window}; "
        + ", ".join(f"{c.label} {c.points}" for c in components)
        + ".",
        "frozen_since": score.frozen_since,
    }


class ScoreDeletedSerializer(serializers.Serializer[Any]):
    snapshots = serializers.IntegerField(help_text="History entries deleted.")
    flags = serializers.IntegerField(help_text="Gaming flags deleted.")
    next_due = serializers.DateTimeField(
        allow_null=True, help_text="When the next run computes a fresh score (if consent holds)."
    )


class ScoreView(APIView):
    """The current score with its components, model version and data window. 404 while
    there is none (no scoring consent, or not scored yet)."""

    third_party = True

    @extend_schema(responses=ScoreSerializer)
    def get(self, request: Request) -> Response:
        score = selectors.current_score(member=request_member(request))
        if score is None:
            raise Http404("No score yet: it needs scoring consent and a source or an import.")
        return Response(ScoreSerializer(_score_body(score)).data)

    @extend_schema(request=None, responses={200: ScoreDeletedSerializer})
    def delete(self, request: Request) -> Response:
        """Delete the current score, its whole history and its gaming flags (audited). The
        schedule stays: the next run computes a fresh score unless scoring is withdrawn."""
        done = score_history_delete(member=request_member(request))
        return Response(
            ScoreDeletedSerializer(
                {"snapshots": done.snapshots, "flags": done.flags, "next_due": done.next_due}
            ).data
        )


def _score_or_404(request: Request) -> Score:
    score = selectors.current_score(member=request_member(request))
    if score is None:
        raise Http404("No score yet: it needs scoring consent and a source or an import.")
    return score


class ComponentExplainedSerializer(ComponentSerializer):
    explanation = serializers.CharField()


class ComponentsSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(max_digits=5, decimal_places=2)
    model_version = serializers.CharField()
    components = ComponentExplainedSerializer(many=True, help_text="They add up to the value.")


class ScoreComponentsView(APIView):
    """The parts of the current score, in order, each with what it measures."""

    third_party = True

    @extend_schema(responses=ComponentsSerializer)
    def get(self, request: Request) -> Response:
        score = _score_or_404(request)
        parts = [
            {**c.__dict__, "explanation": selectors.PART_TEXTS.get(c.key, "")}
            for c in selectors.score_components(score)
        ]
        return Response(
            ComponentsSerializer(
                {"value": score.value, "model_version": score.model_version, "components": parts}
            ).data
        )


class StatementLineSerializer(serializers.Serializer[Any]):
    source = serializers.CharField()  # type: ignore[assignment]
    what = serializers.CharField()
    count = serializers.IntegerField()
    accounts = serializers.IntegerField(
        allow_null=True, help_text="Distinct accounts, only ever as a count."
    )
    first = serializers.DateTimeField(allow_null=True)
    last = serializers.DateTimeField(allow_null=True)


class FlagExplainedSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    explanation = serializers.CharField(source="sentence")
    effect = serializers.CharField()


class StatementPartSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    explanation = serializers.CharField()
    lines = StatementLineSerializer(many=True)
    flags = FlagExplainedSerializer(many=True)


class StatementSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(max_digits=5, decimal_places=2)
    model_version = serializers.CharField()
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)
    computed_at = serializers.DateTimeField()
    parts = StatementPartSerializer(many=True)


class ScoreStatementView(APIView):
    """The activity statement: for each component of the current score, the sources and
    kinds of signal behind its points, with counts and dates (never who)."""

    @extend_schema(responses=StatementSerializer)
    def get(self, request: Request) -> Response:
        statement = selectors.activity_statement(member=request_member(request))
        if statement is None:
            raise Http404("No score yet: it needs scoring consent and a source or an import.")
        score = statement.score
        return Response(
            StatementSerializer(
                {
                    "value": score.value,
                    "model_version": score.model_version,
                    "window_start": score.window_start,
                    "window_end": score.window_end,
                    "computed_at": score.computed_at,
                    "parts": statement.parts,
                }
            ).data
        )


class SnapshotSerializer(serializers.ModelSerializer[ScoreSnapshot]):
    class Meta:
        model = ScoreSnapshot
        fields = ["run_id", "value", "components", "model_version", "computed_at"]


class ScoreHistoryView(generics.ListAPIView[ScoreSnapshot]):
    """One entry per scoring run, newest first."""

    serializer_class = SnapshotSerializer
    ordering = ("-computed_at", "-id")

    def get_queryset(self) -> Any:
        return ScoreSnapshot.objects.filter(user=request_member(self.request))


class FlagSerializer(serializers.ModelSerializer[GamingFlag]):
    """A flag in the same plain words as the dashboard (`scoring.explain.flag_explain`):
    counts and dates, never the raw evidence."""

    title = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()
    effect = serializers.SerializerMethodField()

    class Meta:
        model = GamingFlag
        fields = ["kind", "title", "explanation", "effect", "discount", "created_at"]

    def _explained(self, flag: GamingFlag) -> FlagExplanation:
        return flag_explain(kind=flag.kind, evidence=flag.evidence, discount=flag.discount)

    def get_title(self, flag: GamingFlag) -> str:
        return self._explained(flag).title

    def get_explanation(self, flag: GamingFlag) -> str:
        return self._explained(flag).sentence

    def get_effect(self, flag: GamingFlag) -> str:
        return self._explained(flag).effect


class FlagListView(generics.ListAPIView[GamingFlag]):
    """Gaming flags on the member's score, in plain words."""

    serializer_class = FlagSerializer
    ordering = ("id",)

    def get_queryset(self) -> Any:
        return selectors.member_flags(member=request_member(self.request))


class TopicSerializer(serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = [
            "id",
            "label",
            "status",
            "origin",
            "score",
            "posts",
            "sensitive_category",
            "disputed_since",
            "updated_at",
        ]
        extra_kwargs = {
            "disputed_since": {
                "help_text": "Set while a dispute about it is open: hidden publicly meanwhile."
            }
        }


CONFIRM_HELP = (
    "Send true to confirm a topic in a sensitive category (GDPR Art. 9); without it such a "
    "topic is refused with a `sensitive-topic-unconfirmed` problem saying why."
)


class TopicAddSerializer(serializers.Serializer[Any]):
    label = StrictCharField(max_length=100)  # type: ignore[assignment]
    confirm_sensitive = StrictBooleanField(default=False, help_text=CONFIRM_HELP)


class TopicConfirmSerializer(serializers.Serializer[Any]):
    confirm_sensitive = StrictBooleanField(default=False, help_text=CONFIRM_HELP)


class TopicListView(generics.ListAPIView[Topic]):
    """The member's topics (third-party apps see the approved ones only). POST adds one,
    approved at once."""

    serializer_class = TopicSerializer
    ordering = ("id",)
    third_party = True

    def get_queryset(self) -> Any:
        topics = Topic.objects.filter(user=request_member(self.request))
        if is_third_party(self.request):
            topics = topics.filter(status=TopicStatus.APPROVED)
        return topics

    @extend_schema(request=TopicAddSerializer, responses={201: TopicSerializer})
    def post(self, request: Request) -> Response:
        data = TopicAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            topic = topic_add(member=request_member(request), **data.validated_data)
        except SensitiveTopicUnconfirmed as exc:
            raise _sensitive_problem(exc) from None
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)


def _topic_for_member(request: Request, topic_id: int) -> Topic:
    topic = selectors.member_topics(member=request_member(request)).filter(pk=topic_id).first()
    if topic is None:
        raise Http404("No such topic.")
    return topic


class TopicDeletedSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]


class TopicDetailView(APIView):
    @extend_schema(responses=TopicSerializer)
    def get(self, request: Request, topic_id: int) -> Response:
        return Response(TopicSerializer(_topic_for_member(request, topic_id)).data)

    @extend_schema(responses={200: TopicDeletedSerializer})
    def delete(self, request: Request, topic_id: int) -> Response:
        """Delete the topic (audited). Your posts may suggest it again; block it to stop
        that. A label you blocked stays blocked."""
        topic = _topic_for_member(request, topic_id)
        label = topic_delete(member=request_member(request), topic_id=topic.pk)
        return Response(TopicDeletedSerializer({"label": label}).data)


class TopicDecisionView(APIView):
    decision: str = ""

    @extend_schema(request=TopicConfirmSerializer, responses=TopicSerializer)
    def post(self, request: Request, topic_id: int) -> Response:
        topic = _topic_for_member(request, topic_id)
        data = TopicConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            topic = topic_decide(
                member=request_member(request),
                topic_id=topic.pk,
                status=type(self).decision,
                confirm_sensitive=data.validated_data["confirm_sensitive"],
            )
        except SensitiveTopicUnconfirmed as exc:
            raise _sensitive_problem(exc) from None
        return Response(TopicSerializer(topic).data)


class TopicApproveView(TopicDecisionView):
    """Approve a topic: only approved topics are ever shown to anyone else. A topic in a
    sensitive category needs ``confirm_sensitive: true``."""

    decision = TopicStatus.APPROVED


class TopicRejectView(TopicDecisionView):
    decision = TopicStatus.REJECTED


class TopicBlockView(TopicDecisionView):
    """Block a topic: never suggested again (listed under ``me/topics/blocks``)."""

    decision = TopicStatus.BLOCKED


class TopicBlockSerializer(serializers.ModelSerializer[TopicBlock]):
    class Meta:
        model = TopicBlock
        fields = ["id", "label", "created_at"]


class TopicBlockListView(generics.ListAPIView[TopicBlock]):
    """Labels the member blocked: never suggested again, kept through withdrawal of scoring."""

    serializer_class = TopicBlockSerializer
    ordering = ("label", "id")

    def get_queryset(self) -> Any:
        return selectors.member_topic_blocks(member=request_member(self.request))


class TopicBlockDetailView(APIView):
    @extend_schema(responses={200: TopicDeletedSerializer})
    def delete(self, request: Request, block_id: int) -> Response:
        """Lift a block; a blocked topic with that label goes too, so your posts may
        suggest it again later."""
        member = request_member(request)
        if not selectors.member_topic_blocks(member=member).filter(pk=block_id).exists():
            raise Http404("No such blocked topic.")
        label = topic_unblock(member=member, block_id=block_id)
        return Response(TopicDeletedSerializer({"label": label}).data)


# --- Public reads: profile, badge, directory ----------------------------------------------


class PublicLinkSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    url = serializers.URLField()


class PublicScoreSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(max_digits=5, decimal_places=2)
    components = ComponentSerializer(many=True, help_text="They add up to the value.")
    model_version = serializers.CharField()
    computed_at = serializers.DateTimeField()
    basis = serializers.CharField(help_text="Verified sources or self-reported data.")


class PublicProfileSerializer(serializers.Serializer[Any]):
    handle = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    bio = serializers.CharField(allow_blank=True)
    links = PublicLinkSerializer(many=True, help_text="Verified accounts the member shows.")
    score = PublicScoreSerializer(
        allow_null=True,
        help_text="None without scoring consent, before a score, or while disputed.",
    )
    topics = serializers.ListField(
        child=serializers.CharField(), help_text="Approved by the member."
    )
    page = serializers.URLField()
    badge = serializers.URLField()


def _public_profile_body(profile: selectors.PublicProfile) -> dict[str, Any]:
    score = None
    if profile.score is not None:
        score = {
            "value": profile.score.value,
            "components": [c.__dict__ for c in selectors.score_components(profile.score)],
            "model_version": profile.score.model_version,
            "computed_at": profile.score.computed_at,
            "basis": profile.score_basis,
        }
    return {
        "handle": profile.handle,
        "display_name": profile.display_name,
        "bio": profile.bio,
        "links": [link.__dict__ for link in profile.links],
        "score": score,
        "topics": profile.topics,
        "page": f"{settings.SITE_URL}/@{profile.handle}",
        "badge": f"{settings.SITE_URL}/@{profile.handle}/badge.svg",
    }


class PublicView(APIView):
    """Anyone may call it; credentials, if sent, are not read."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []


class PublicProfileView(PublicView):
    """A member's public profile, as on their page: only while they grant
    ``public_profile`` and have a verified address; otherwise 404, like the site."""

    @extend_schema(responses=PublicProfileSerializer)
    def get(self, request: Request, handle: str) -> Response:
        profile = selectors.public_profile_for_viewer(handle=handle)
        return Response(PublicProfileSerializer(_public_profile_body(profile)).data)


class SVGRenderer(BaseRenderer):
    media_type = "image/svg+xml"
    format = "svg"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


class PublicBadgeView(PublicView):
    """The score badge (SVG) of a public profile, as the site serves it; 404 when the
    page is not public."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The badge is SVG whatever the Accept header says; refusals are problem+json.
        return (JSONRenderer(), "application/json")

    @extend_schema(
        operation_id="profiles_badge_retrieve",
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR, description="The badge.")
        },
    )
    def get(self, request: Request, handle: str) -> HttpResponse:
        canonical = handle.lower()
        svg: Any = public_cache_get("badge", canonical)
        if svg is None:
            profile = selectors.public_profile_for_viewer(handle=canonical)
            svg = badge_svg(value=profile.score.value if profile.score else None)
            public_cache_set("badge", canonical, svg)
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = f"public, max-age={settings.PUBLIC_BADGE_MAX_AGE}"
        return response


class DirectoryEntrySerializer(serializers.Serializer[Any]):
    handle = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    topics = serializers.SerializerMethodField(help_text="Approved topics.")
    profile = serializers.SerializerMethodField(
        help_text="The API address of their public profile, if they have one."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_topics(self, member: Any) -> list[str]:
        return [t.label for t in member.approved_topics]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_profile(self, member: Any) -> str | None:
        if not member.has_public_page:
            return None
        return f"{settings.SITE_URL}/api/v1/profiles/{member.handle}"


class DirectoryView(generics.ListAPIView[Any]):
    """Members who grant ``discovery`` (and chose a handle). ``q``: a topic (``#privacy``
    or ``privacy``; best topic score first) or the start of a handle (``@ali``)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    serializer_class = DirectoryEntrySerializer

    def get_queryset(self) -> Any:
        query = self.request.query_params.get("q") or self.request.query_params.get("topic") or ""
        kind, _ = selectors.directory_query(query)
        # The cursor pages over the same order as the site's directory.
        self.ordering = ("-topic_score", "handle") if kind == "topic" else ("handle",)
        return selectors.directory_members(query=query[:100])

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="#topic, topic or @handle"),
            OpenApiParameter("topic", str, description="The same as q (older name)."),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("me/score", ScoreView.as_view(), name="api_score"),
    path("me/score/history", ScoreHistoryView.as_view(), name="api_score_history"),
    path("me/score/flags", FlagListView.as_view(), name="api_score_flags"),
    path("me/score/components", ScoreComponentsView.as_view(), name="api_score_components"),
    path("me/score/statement", ScoreStatementView.as_view(), name="api_score_statement"),
    path("me/topics", TopicListView.as_view(), name="api_topics"),
    path("me/topics/<int:topic_id>", TopicDetailView.as_view(), name="api_topic"),
    path("me/topics/<int:topic_id>/approve", TopicApproveView.as_view(), name="api_topic_approve"),
    path("me/topics/<int:topic_id>/reject", TopicRejectView.as_view(), name="api_topic_reject"),
    path("me/topics/<int:topic_id>/block", TopicBlockView.as_view(), name="api_topic_block"),
    path("me/topics/blocks", TopicBlockListView.as_view(), name="api_topic_blocks"),
    path(
        "me/topics/blocks/<int:block_id>",
        TopicBlockDetailView.as_view(),
        name="api_topic_block_lift",
    ),
    path("profiles/<str:handle>", PublicProfileView.as_view(), name="api_public_profile"),
    path("profiles/<str:handle>/badge.svg", PublicBadgeView.as_view(), name="api_public_badge"),
    path("directory", DirectoryView.as_view(), name="api_directory"),
]
