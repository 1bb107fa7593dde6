"""Reads about signals and scores. Protected objects are fetched only through these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from profiles.models import User
from profiles.purposes import PURPOSES, Purpose
from profiles.selectors import (
    consent_active_on,
    consent_states_of_request,
    has_active_consent,
    users_with_active_consent,
    with_active_consent,
    with_consent_state,
    with_verified_email,
)
from scoring.explain import (
    Bar,
    FlagExplanation,
    HistoryPlot,
    Mark,
    component_bars,
    flag_explain,
    history_plot,
    model_version_marks,
)
from scoring.hooks import (
    holds_for,
    marks_and_holds_exist,
    marks_for,
    marks_or_holds_of,
    score_holds_exist,
    score_marks_exist,
)
from scoring.model.topics import normalise
from scoring.models import (
    GamingFlag,
    Score,
    ScoreSnapshot,
    ScoringRun,
    ScoringState,
    SeedBasis,
    Topic,
    TopicBlock,
    TopicStatus,
)
from signals.models import Direction, Engagement, Follow, FollowDirection, Post, Source

COMPONENT_LABELS = {
    "base": "Base",
    "reach": "Reach",
    "engagement": "Engagement",
    "amplification": "Amplification",
    "network": "Trusted network",
    "penalties": "Penalties",
    "adjustment": "Moderator adjustment",
}


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    points: Decimal


def current_score(*, member: User) -> Score | None:
    return Score.objects.filter(user=member).first()


def score_components(score: Score) -> list[Component]:
    """The parts of a score in the order of COMPONENT_LABELS (jsonb keeps no key order)."""
    order = list(COMPONENT_LABELS)
    keys = sorted(score.components, key=lambda k: (order.index(k) if k in order else 99, k))
    return [
        Component(
            key=k, label=COMPONENT_LABELS.get(k, k.title()), points=Decimal(score.components[k])
        )
        for k in keys
    ]


def member_topics(*, member: User) -> QuerySet[Topic]:
    return Topic.objects.filter(user=member).order_by("status", "-score", "label")


def member_flags(*, member: User) -> QuerySet[GamingFlag]:
    return GamingFlag.objects.filter(user=member).order_by("kind")


def score_run(score: Score) -> ScoringRun | None:
    return ScoringRun.objects.filter(pk=score.run_id).first()


# --- The dashboard ----------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    percentile: int  # share of the other scored members this score is above, 0-100
    scored: int  # members with a score now


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    value: Decimal
    model_version: str


@dataclass(frozen=True)
class Dashboard:
    scoring_consent: bool
    score: Score | None
    frozen: bool
    standing: Standing | None
    bars: list[Bar]
    run: RunBasis | None  # the run that computed the score, if it is still kept
    next_due: datetime | None
    in_progress: bool  # a run holds the member now, or an import is being read
    history: list[HistoryRow]  # oldest first
    marks: list[Mark]
    flags: list[tuple[GamingFlag, FlagExplanation]]
    holds: list[str]  # why moderators hold the score besides a dispute (with reasons)

    @cached_property
    def plot(self) -> HistoryPlot | None:
        """The history laid out for the plot; only when a page draws it (the dashboard
        keeps the drawn section in the cache, scoring.fragments)."""
        return history_plot([(h.at, h.value) for h in self.history], self.marks)


def flags_explained(*, member: User) -> list[tuple[GamingFlag, FlagExplanation]]:
    return [
        (f, flag_explain(kind=f.kind, evidence=f.evidence, discount=f.discount))
        for f in member_flags(member=member)
    ]


def score_history(*, member: User) -> list[HistoryRow]:
    return [
        HistoryRow(at=at, value=value, model_version=version)
        for at, value, version in ScoreSnapshot.objects.filter(user=member)
        .order_by("computed_at", "pk")
        .values_list("computed_at", "value", "model_version")
    ]


def _standing_of(*, scored: int, below: int) -> Standing:
    scored = scored or 1
    others = max(scored - 1, 1)
    return Standing(percentile=int(100 * below / others), scored=scored)


@dataclass(frozen=True)
class RunBasis:
    """What the dashboard says of the run that computed the score: how trust was seeded."""

    seed_basis: str

    def get_seed_basis_display(self) -> str:
        return str(dict(SeedBasis.choices).get(self.seed_basis, self.seed_basis))


def _count(queryset: QuerySet[Any]) -> Subquery:
    """``SELECT COUNT(*)`` of a queryset, as a subquery (no GROUP BY)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


# Marks where the member's id goes in the row facts' SQL, compiled once (no member has it).
_MEMBER_PLACEHOLDER = -7_340_021
_row_facts_sql: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}


def _row_facts_query() -> tuple[str, tuple[Any, ...]]:
    """The SQL of the row's facts (counts, seed basis, whether there are flags, marks or
    holds), built and compiled once per process and set of receivers: building and
    compiling its six subqueries cost about 3 ms of CPU, running it a fraction of that."""
    key = (connection.alias, score_marks_exist.receivers, score_holds_exist.receivers)
    found = _row_facts_sql.get(key)
    if found is None:
        facts = {
            "_scored": _count(Score.objects.all()),
            "_below": _count(Score.objects.filter(value__lt=OuterRef("score__value"))),
            "_seed_basis": Subquery(
                ScoringRun.objects.filter(pk=OuterRef("score__run_id")).values("seed_basis")[:1]
            ),
            # Most members have no flag, no dispute and no freeze: those queries are not
            # made for them.
            "_flagged": Exists(GamingFlag.objects.filter(user=OuterRef("pk"))),
            **marks_and_holds_exist(),
        }
        query = User.objects.filter(pk=_MEMBER_PLACEHOLDER).annotate(**facts).values(*facts).query
        found = _row_facts_sql[key] = query.sql_with_params()
    return found


def _dashboard_row(member: User) -> User:
    """The member again, with what the dashboard shows besides lists: the score and
    scoring state (joined), and as attributes the score's standing among every member
    scored now, its run's seed basis (what were three more queries), and whether they have
    a gaming flag, marks (disputes) or holds (a freeze). Two queries, the second compiled
    once per process."""
    row = (
        User.objects.select_related("score", "scoring_state")
        .only("pk", "score", "scoring_state")
        .get(pk=member.pk)
    )
    sql, params = _row_facts_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.pk if p == _MEMBER_PLACEHOLDER else p for p in params])
        names = [column[0] for column in cursor.description]
        values = cursor.fetchone()
    for name, value in zip(names, values, strict=True):
        setattr(row, name, value)
    return row


def dashboard_for_member(*, member: User, importing: bool = False) -> Dashboard:
    """Everything the member's dashboard shows about their score, in a constant number of
    queries whatever the length of the history. ``importing``: an import is being read."""
    consent = consent_states_of_request(member=member)[Purpose.SCORING].active
    row = _dashboard_row(member)
    has_marks, has_holds = marks_or_holds_of(row)
    score: Score | None = getattr(row, "score", None) if consent else None
    state: ScoringState | None = getattr(row, "scoring_state", None) if consent else None
    history = score_history(member=member) if consent else []
    marks: list[Mark] = []
    if history:
        marks = model_version_marks([(h.at, h.model_version) for h in history])
        extra = marks_for(member.pk) if has_marks else []
        marks = sorted(marks + extra, key=lambda m: m.at)
    bars = (
        component_bars([(c.key, c.label, c.points) for c in score_components(score)])
        if score
        else []
    )
    seed_basis = row._seed_basis  # type: ignore[attr-defined]
    flagged = bool(row._flagged)  # type: ignore[attr-defined]
    return Dashboard(
        scoring_consent=consent,
        score=score,
        frozen=bool(score and score.frozen_since),
        standing=_standing_of(scored=row._scored, below=row._below)  # type: ignore[attr-defined]
        if score
        else None,
        bars=bars,
        run=RunBasis(seed_basis=seed_basis) if score and seed_basis is not None else None,
        next_due=state.next_score_due if state else None,
        in_progress=bool(state and state.claimed_run) or importing,
        history=history,
        marks=marks,
        flags=flags_explained(member=member) if consent and flagged else [],
        holds=holds_for(member.pk) if consent and has_holds else [],
    )


# --- The activity statement ("how your score was computed") ----------------------------


@dataclass(frozen=True)
class StatementLine:
    source: str  # "mastodon alice@example.social"
    what: str  # "likes received"
    count: int
    accounts: int | None  # distinct counterparts, only ever as a count
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class StatementPart:
    key: str
    label: str
    points: Decimal
    explanation: str
    lines: list[StatementLine]
    flags: list[FlagExplanation]


@dataclass(frozen=True)
class ActivityStatement:
    score: Score
    parts: list[StatementPart]


PART_TEXTS = {
    "reach": "Your followers, each weighted by how much the network trusts them.",
    "engagement": "People who liked, replied to or mentioned your posts in the data window; "
    "each person counts once, with a little extra for coming back.",
    "amplification": "People who reshared your posts in the data window.",
    "network": "Your standing: trust passed to you by trusted accounts that follow or "
    "engage with you (the followers and engagers above).",
    "penalties": "Discounts from patterns that looked like gaming.",
    "adjustment": "A correction a moderator made by hand in answer to your dispute, at "
    "most 10 points either way; the reason is on your disputes page.",
}
ENGAGEMENT_PARTS = {"like": "engagement", "reply": "engagement", "mention": "engagement",
                    "reshare": "amplification"}  # fmt: skip
KIND_PLURALS = {"like": "likes", "reply": "replies", "mention": "mentions", "reshare": "reshares"}


def activity_statement(*, member: User) -> ActivityStatement | None:
    """For each component of the member's current score, the sources and kinds of signal
    that produced its points, with counts and dates. Counterparts appear only as counts
    of distinct accounts, never as identities. None without a score. Constant queries."""
    score = current_score(member=member)
    if score is None:
        return None
    sources = {
        pk: f"{network} {handle}"
        for pk, network, handle in Source.objects.filter(user=member)
        .order_by("network", "handle")
        .values_list("pk", "network", "handle")
    }
    ids = list(sources)
    lines: dict[str, list[StatementLine]] = {k: [] for k in score.components}
    windowed = Q()
    if score.window_start:
        windowed &= Q(last_at__gte=score.window_start)
    if score.window_end:
        windowed &= Q(first_at__lte=score.window_end)
    engagement = (
        Engagement.objects.filter(source_id__in=ids, direction=Direction.IN)
        .filter(windowed)
        .values("source_id", "kind")
        .annotate(
            events=Sum("count"),
            accounts=Count("counterpart", distinct=True),
            first=Min("first_at"),
            last=Max("last_at"),
        )
        .order_by("source_id", "kind")
    )
    for row in engagement:
        part = ENGAGEMENT_PARTS.get(row["kind"])
        if part in lines:
            lines[part].append(
                StatementLine(
                    source=sources[row["source_id"]],
                    what=f"{KIND_PLURALS.get(row['kind'], row['kind'])} received",
                    count=row["events"] or 0,
                    accounts=row["accounts"],
                    first=row["first"],
                    last=row["last"],
                )
            )
    followers = (
        Follow.objects.filter(source_id__in=ids, direction=FollowDirection.FOLLOWER)
        .values("source_id")
        .annotate(accounts=Count("counterpart", distinct=True), first=Min("at"), last=Max("at"))
        .order_by("source_id")
    )
    for frow in followers:
        for part in ("reach", "network"):
            if part in lines:
                lines[part].append(
                    StatementLine(
                        source=sources[frow["source_id"]],
                        what="followers",
                        count=frow["accounts"],
                        accounts=frow["accounts"],
                        first=frow["first"],
                        last=frow["last"],
                    )
                )
    posts = Post.objects.filter(source_id__in=ids)
    if score.window_start:
        posts = posts.filter(at__gte=score.window_start)
    for prow in (
        posts.values("source_id")
        .annotate(n=Count("pk"), first=Min("at"), last=Max("at"))
        .order_by("source_id")
    ):
        for part in ("engagement", "amplification"):
            if part in lines:
                lines[part].append(
                    StatementLine(
                        source=sources[prow["source_id"]],
                        what="your posts (the points are divided by their number)",
                        count=prow["n"],
                        accounts=None,
                        first=prow["first"],
                        last=prow["last"],
                    )
                )
    explained = [e for _, e in flags_explained(member=member)]
    parts = [
        StatementPart(
            key=c.key,
            label=c.label,
            points=c.points,
            explanation=PART_TEXTS.get(c.key, ""),
            lines=lines.get(c.key, []),
            flags=explained if c.key == "penalties" else [],
        )
        for c in score_components(score)
    ]
    return ActivityStatement(score=score, parts=parts)


# --- Topics -----------------------------------------------------------------------------


def member_topics_shown(*, member: User) -> QuerySet[Topic]:
    """The member's topics, blocked ones aside (they are listed as blocks)."""
    return member_topics(member=member).exclude(status=TopicStatus.BLOCKED)


def member_topic_blocks(*, member: User) -> QuerySet[TopicBlock]:
    return TopicBlock.objects.filter(user=member).order_by("label")


def topic_for_member(*, member: User, topic_id: int) -> Topic:
    """One topic, only for its own member; anything else is a 404."""
    topic = Topic.objects.filter(pk=topic_id).filter(user=member).first()
    if topic is None:
        raise Http404("No such topic.")
    return topic


# --- What the public may see while a dispute is open (GDPR Art. 18) ----------------------


def score_shown_publicly(*, member: User) -> Score | None:
    """The member's score for public pages, badges and the directory: none while frozen."""
    return public_scores().filter(user=member).first()


def topics_shown_publicly() -> QuerySet[Topic]:
    """Topics anyone may see: approved by their member and not under an open dispute."""
    return public_topics()


# --- Public profile and directory (invariant 5) -----------------------------------------
#
# What anyone may see of a member is decided here, and only here: the page, the badge, the
# directory and the settings preview all go through these functions.


def public_topics() -> QuerySet[Topic]:
    """Topics anyone may see: approved by the member themselves (invariant 4), and not
    under an open dispute (GDPR Art. 18: hidden publicly while disputed). Every public
    read of topics goes through here."""
    return Topic.objects.filter(status=TopicStatus.APPROVED, disputed_since__isnull=True).order_by(
        "-score", "label"
    )


def public_scores() -> QuerySet[Score]:
    """Scores anyone may see: none while a dispute on it is open (frozen; GDPR Art. 18),
    on the public page, the badge and the directory alike."""
    return Score.objects.filter(frozen_since__isnull=True)


@dataclass(frozen=True)
class PublicLink:
    provider: str
    label: str
    url: str


@dataclass(frozen=True)
class PublicProfile:
    member: User
    handle: str
    display_name: str
    bio: str
    links: list[PublicLink]
    score: Score | None  # shown only under scoring consent too
    verified_sources: int
    topics: list[str]  # approved by the member (invariant 4)
    live: bool = True  # False only in the member's own preview, without consent

    @property
    def score_basis(self) -> str:
        if self.verified_sources:
            n = self.verified_sources
            return f"verified sources ({n} connected account{'s' if n != 1 else ''})"
        return "self-reported data (no verified source yet)"


PROVIDER_NAMES = {"github": "GitHub", "mastodon": "Mastodon"}


def public_link(account: object) -> PublicLink | None:
    """A link to a verified account from what its provider told us at sign-in; None when
    the provider gave no https address. No network and no query."""
    provider = str(getattr(account, "provider", ""))
    data = getattr(account, "extra_data", None) or {}
    if provider == "github":
        login = str(data.get("login") or "")
        url = str(data.get("html_url") or (f"https://github.com/{login}" if login else ""))
        label = login
    else:
        url = str(data.get("url") or data.get("html_url") or data.get("profile") or "")
        label = str(data.get("handle") or data.get("acct") or data.get("username") or "")
    if not url.startswith("https://"):
        return None
    name = PROVIDER_NAMES.get(provider, provider.title())
    return PublicLink(provider=name, label=label or url.removeprefix("https://"), url=url)


def _public_members() -> QuerySet[User]:
    from profiles.models import ProfileLink
    from signals.models import Source

    verified = (
        Source.objects.filter(user=OuterRef("pk"), verified=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Only a verified address may have a public page (anyone can sign up someone else's).
    members = with_verified_email(User.objects.filter(is_active=True))
    members = with_consent_state(members, Purpose.PUBLIC_PROFILE)
    members = with_consent_state(members, Purpose.SCORING)
    return members.annotate(
        verified_sources=Coalesce(Subquery(verified, output_field=IntegerField()), 0)
    ).prefetch_related(
        Prefetch(
            "profile_links",
            ProfileLink.objects.select_related("social_account").order_by("id"),
            to_attr="shown_links",
        )
    )


def _public_profile(member: User, *, live: bool) -> PublicProfile:
    score, topics = None, []
    if consent_active_on(member, Purpose.SCORING):
        score = public_scores().filter(user=member).first()
        topics = list(public_topics().filter(user=member).values_list("label", flat=True))
    links = [public_link(link.social_account) for link in getattr(member, "shown_links", [])]
    return PublicProfile(
        member=member,
        handle=member.handle or "",
        display_name=member.display_name,
        bio=member.bio,
        links=[link for link in links if link],
        score=score,
        verified_sources=getattr(member, "verified_sources", 0),
        topics=topics,
        live=live,
    )


def public_profile_for_viewer(*, handle: str) -> PublicProfile:
    """A member's public page, for anyone: only while they grant ``public_profile`` under the
    current policy. Anything else (no such handle, no consent, paused) is the same 404.
    A constant number of queries, whatever the member holds.
    """
    member = _public_members().filter(handle=handle.lower()).first()
    if member is None:
        raise Http404("No such page.")
    if not consent_active_on(member, Purpose.PUBLIC_PROFILE):
        raise Http404("No such page.")
    return _public_profile(member, live=True)


def public_profile_preview(*, member: User) -> PublicProfile:
    """Exactly what others would see of the member, for their own settings page; ``live``
    says whether others see it now (a handle and the ``public_profile`` consent)."""
    loaded = _public_members().get(pk=member.pk)
    live = bool(loaded.handle) and consent_active_on(loaded, Purpose.PUBLIC_PROFILE)
    return _public_profile(loaded, live=live)


def public_handle_moved(*, handle: str) -> str | None:
    """The current handle of the member who gave up ``handle`` within the hold period, if
    their page is public now; else None (the old address then 404s like any other)."""
    from profiles.models import RetiredHandle

    retired = (
        RetiredHandle.objects.filter(handle=handle.lower(), available_at__gt=timezone.now())
        .select_related("user")
        .first()
    )
    if retired is None or not retired.user.handle or not retired.user.is_active:
        return None
    if not has_active_consent(user_id=retired.user_id, purpose=Purpose.PUBLIC_PROFILE):
        return None
    return retired.user.handle


def public_handle_for_slug(*, slug: str) -> str | None:
    """The handle behind an old random address (/people/<slug>/), if its page is public."""
    member = User.objects.filter(public_slug=slug, is_active=True, handle__isnull=False).first()
    if member is None or not member.handle:
        return None
    if not has_active_consent(user_id=member.pk, purpose=Purpose.PUBLIC_PROFILE):
        return None
    return member.handle


def directory_query(raw: str) -> tuple[str, str]:
    """Split a directory search into (kind, term): "@ali" searches handles, anything else
    topics ("#Privacy" finds "privacy"); ("", "") when empty."""
    text = (raw or "").strip()[:100]
    if text.startswith("@"):
        return "handle", text[1:].strip().lower()
    if text.lstrip("#").strip():
        return "topic", text
    return "", ""


def _directory_listed(kind: str, term: str, *, labels: list[str] | None = None) -> QuerySet[User]:
    """The directory's members for a parsed search (``directory_query``), in its order,
    with ``has_public_page``; the one definition the page and the API share. A topic
    search matches ``labels``, by default those of the term (``_topic_labels``)."""
    listed = with_verified_email(users_with_active_consent(Purpose.DISCOVERY)).filter(
        handle__isnull=False
    )
    order: list[Any] = ["handle"]
    if kind == "handle":
        listed = listed.filter(handle__startswith=term) if term else listed.none()
    elif kind == "topic":
        labels = labels or _topic_labels(term)
        matching = public_topics().filter(user=OuterRef("pk"), label__in=labels)
        listed = listed.annotate(
            topic_score=Subquery(matching.order_by("-score").values("score")[:1])
        ).filter(topic_score__isnull=False)
        order = [F("topic_score").desc(), "handle"]
    public = with_active_consent(with_verified_email(User.objects.all()), Purpose.PUBLIC_PROFILE)
    return listed.annotate(has_public_page=Exists(public.filter(pk=OuterRef("pk")))).order_by(
        *order, "id"
    )


def _topic_labels(term: str) -> list[str]:
    """The labels a topic search matches: the normalised form and the plain lower case
    (always two, possibly equal, so the compiled query below has a fixed shape)."""
    return [normalise(term), term.strip().lstrip("#").strip().lower()]


def directory_members(*, query: str = "") -> QuerySet[User]:
    """Members listed in the directory: those who grant ``discovery`` now and chose a
    handle. A topic search keeps those with that approved topic, best topic score first;
    a handle search matches the start of handles.

    Each member carries ``has_public_page`` (the directory links only to pages that
    answer) and ``approved_topics`` (their public topics).
    """
    return _directory_listed(*directory_query(query)).prefetch_related(
        Prefetch("topics", public_topics(), to_attr="approved_topics")
    )


@dataclass(frozen=True)
class DirectoryEntry:
    handle: str
    display_name: str
    has_public_page: bool
    topics: list[str]  # their public topics' labels, best first


@dataclass(frozen=True)
class DirectoryPage:
    """One page of the directory, with what a ``Paginator`` page offers its template."""

    object_list: list[DirectoryEntry]
    number: int
    num_pages: int

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


# Stand in for a search term in the directory's SQL, compiled once per kind of search.
_TERM_PLACEHOLDER = "directory-term-placeholder-7340021"
_LABEL_PLACEHOLDERS = ("directory-label-placeholder-1", "directory-label-placeholder-2")
_directory_sql: dict[tuple[str, ...], tuple[str, tuple[Any, ...]]] = {}


def _directory_query_sql(kind: str) -> tuple[str, tuple[Any, ...]]:
    """The SQL of ``_directory_listed`` for a kind of search, with the total number of
    rows in each row (a window count) and room for LIMIT and OFFSET; built and compiled
    once per process and policy: the consent conditions carry the current versions of
    ``discovery`` and ``public_profile`` as parameters, so a new version (a deploy, or a
    test publishing one) compiles it again. Building and compiling it cost most of a
    directory page's time (about 4 of 7 ms) when every change to a listed member
    re-renders the page."""
    versions = tuple(PURPOSES[p].version for p in (Purpose.DISCOVERY, Purpose.PUBLIC_PROFILE))
    key = (connection.alias, kind, *versions)
    found = _directory_sql.get(key)
    if found is None:
        queryset = _directory_listed(kind, _TERM_PLACEHOLDER, labels=list(_LABEL_PLACEHOLDERS))
        query = (
            queryset.annotate(_total=Window(Count("pk")))
            .values("id", "handle", "display_name", "has_public_page", "_total")
            .query
        )
        sql, params = query.sql_with_params()
        found = _directory_sql[key] = (f"{sql} LIMIT %s OFFSET %s", params)
    return found


def directory_page(*, query: str, page_number: str, per_page: int) -> DirectoryPage:
    """One page of ``directory_members`` in two queries, the first compiled once per
    process: the page's members with the total, then their public topics. The page number
    is read as ``Paginator.get_page`` reads it: not a number, page 1; out of range, the
    last page."""
    kind, term = directory_query(query)
    try:
        number = int(page_number)
    except ValueError:
        number = 1
    if kind == "handle" and not term:
        return DirectoryPage(object_list=[], number=1, num_pages=1)
    sql, params = _directory_query_sql(kind)
    values: dict[Any, Any] = {}
    if kind == "handle":
        values[_TERM_PLACEHOLDER + "%"] = connection.ops.prep_for_like_query(term) + "%"
    elif kind == "topic":
        values.update(zip(_LABEL_PLACEHOLDERS, _topic_labels(term), strict=True))

    bound = [values.get(p, p) if isinstance(p, str) else p for p in params]

    def fetch(page: int) -> list[dict[str, Any]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [*bound, per_page, (page - 1) * per_page])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    rows = fetch(number) if number >= 1 else []
    if not rows and number != 1:  # out of range: the last page, as get_page gives
        first = fetch(1)
        total = first[0]["_total"] if first else 0
        number = max(1, -(-total // per_page))
        rows = fetch(number) if number > 1 else first
    total = rows[0]["_total"] if rows else 0
    topics: dict[int, list[str]] = {}
    shown = public_topics().filter(user_id__in=[r["id"] for r in rows])
    for user_id, label in shown.values_list("user_id", "label"):
        topics.setdefault(user_id, []).append(label)
    entries = [
        DirectoryEntry(
            handle=r["handle"],
            display_name=r["display_name"],
            has_public_page=bool(r["has_public_page"]),
            topics=topics.get(r["id"], []),
        )
        for r in rows
    ]
    return DirectoryPage(
        object_list=entries, number=number, num_pages=max(1, -(-total // per_page))
    )
