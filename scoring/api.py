"""scoring's endpoints: the member's score, its history and flags, and their topics.

Third-party apps (OAuth 2, under the member's ``api_access`` consent) may read the score
and the approved topics only, as that consent's text says.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.api.auth import is_third_party
from profiles.api.problems import service_error
from profiles.http import request_member
from scoring import selectors
from scoring.explain import FlagExplanation, flag_explain
from scoring.models import GamingFlag, Score, ScoreSnapshot, Topic, TopicStatus
from scoring.services.topics import TopicError, topic_add, topic_decide

service_error(TopicError, "topic-refused", "This topic change cannot be made")


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
    }


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
        fields = ["id", "label", "status", "origin", "score", "posts", "updated_at"]


class TopicAddSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]


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
        topic = topic_add(member=request_member(request), label=data.validated_data["label"])
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)


def _topic_for_member(request: Request, topic_id: int) -> Topic:
    topic = selectors.member_topics(member=request_member(request)).filter(pk=topic_id).first()
    if topic is None:
        raise Http404("No such topic.")
    return topic


class TopicDetailView(APIView):
    @extend_schema(responses=TopicSerializer)
    def get(self, request: Request, topic_id: int) -> Response:
        return Response(TopicSerializer(_topic_for_member(request, topic_id)).data)


class TopicDecisionView(APIView):
    decision: str = ""

    @extend_schema(request=None, responses=TopicSerializer)
    def post(self, request: Request, topic_id: int) -> Response:
        topic = _topic_for_member(request, topic_id)
        topic = topic_decide(
            member=request_member(request), topic_id=topic.pk, status=type(self).decision
        )
        return Response(TopicSerializer(topic).data)


class TopicApproveView(TopicDecisionView):
    """Approve a topic: only approved topics are ever shown to anyone else."""

    decision = TopicStatus.APPROVED


class TopicRejectView(TopicDecisionView):
    decision = TopicStatus.REJECTED


class TopicBlockView(TopicDecisionView):
    """Block a topic: never suggested again."""

    decision = TopicStatus.BLOCKED


urlpatterns = [
    path("me/score", ScoreView.as_view(), name="api_score"),
    path("me/score/history", ScoreHistoryView.as_view(), name="api_score_history"),
    path("me/score/flags", FlagListView.as_view(), name="api_score_flags"),
    path("me/topics", TopicListView.as_view(), name="api_topics"),
    path("me/topics/<int:topic_id>", TopicDetailView.as_view(), name="api_topic"),
    path("me/topics/<int:topic_id>/approve", TopicApproveView.as_view(), name="api_topic_approve"),
    path("me/topics/<int:topic_id>/reject", TopicRejectView.as_view(), name="api_topic_reject"),
    path("me/topics/<int:topic_id>/block", TopicBlockView.as_view(), name="api_topic_block"),
]
