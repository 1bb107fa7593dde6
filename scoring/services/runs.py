"""Scoring: who is due, runs and batches, and writing under the consent lock (invariant 2).

A run: the dispatcher claims due members and creates a ``ScoringRun``; ``run_prepare``
numbers the graph's accounts and computes trust once, saving both as the run's artefacts
in the database; then one task per batch of members (partitioned by member id) loads
their signals, calls the pure model and writes the batch in one transaction that locks the
members' rows and re-checks their consent. Every step is idempotent, so a redelivered
message changes nothing.

Runs always end. A run is *live* while it has not ended and is younger than
``RUN_LIVE_SECONDS`` (twice the longest time limit of its tasks); only a live run holds
its members, and no claim takes a member a live run holds. Each batch is counted once
toward its run's end, whatever became of its members (withdrew, erased, released). The
janitor (``runs_sweep``, on beat) ends runs that outlive ``RUN_LIVE_SECONDS``: finished
if every batch was counted, abandoned otherwise; either way their members are released
and their artefacts deleted.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from profiles.models import User
from profiles.public_cache import public_page_cache_clear
from profiles.purposes import Purpose
from profiles.selectors import users_with_active_consent
from scoring import enqueue as queue
from scoring.hooks import adjustments_for, dismissed_for, held_among, labels_denied
from scoring.model import MODEL_VERSION, MemberScore, score_batch
from scoring.model import trust_context as compute_trust
from scoring.models import (
    RUN_ENDED,
    GamingFlag,
    RunArtefact,
    RunStatus,
    Score,
    ScoreSnapshot,
    ScoringBatch,
    ScoringRun,
    ScoringState,
    Topic,
    TopicBlock,
    TopicOrigin,
    TopicStatus,
)
from scoring.services import graph, notices
from scoring.services.graph import of_members
from signals.models import ImportJob, ImportStatus, Source
from signals.services.bulk import bulk_insert, bulk_upsert

log = logging.getLogger(__name__)

# Members per batch task. Larger batches spread each query's fixed cost over more members
# (2,000 score about 1.3 times faster than 500 at a million members); a batch still takes
# seconds, far inside the task time limit.
BATCH_SIZE = 2000

# Hard time limits (seconds) of a run's tasks (scoring/tasks.py uses these); the soft
# limit is a minute earlier, so a task can give its members back before it is killed.
PREPARE_TIME_LIMIT = 1860
BATCH_TIME_LIMIT = 660
# A run older than this has outlived any task of its own: it holds no member any more and
# the janitor ends it. Twice the longest task limit leaves room for a batch that waited
# in the queue behind a whole preparation.
RUN_LIVE_SECONDS = 2 * max(PREPARE_TIME_LIMIT, BATCH_TIME_LIMIT)
BATCH_ROWS_KEPT = timedelta(days=1)


def scorable_members() -> QuerySet[User]:
    """The one definition of who may be scored: active, current scoring consent."""
    return users_with_active_consent(Purpose.SCORING)


# --- Scheduling -----------------------------------------------------------------------


def scoring_schedule_now(*, user_id: int) -> None:
    """Mark a member due now; the dispatcher picks them up.

    A claim is left alone: a live run keeps its member, and because the member is now due
    after that run began, its batch does not push the due time back, so the next
    dispatch after the run scores the member again, on the new data.
    """
    ScoringState.objects.update_or_create(
        user_id=user_id, defaults={"next_score_due": timezone.now()}
    )


def score_request(*, user_id: int) -> None:
    """Score one member soon: due now in the database, and a dispatch after commit. The
    one way any caller (imports, syncs, the command, disputes) asks for a score."""
    scoring_schedule_now(user_id=user_id)

    queue.scoring_dispatch()


def members_held() -> Q:
    """Scoring states held by a live run, as a condition on ``ScoringState``.

    Held: claimed by a run that has not ended, with a claim younger than
    ``RUN_LIVE_SECONDS`` (a claim is made when its run is created, so its age is the
    run's). The age is a column of the row itself, so a claim racing another is
    re-checked on the row it would take; the run's status, read from a subquery, lets a
    member go as soon as its run has ended.
    """
    live_since = timezone.now() - timedelta(seconds=RUN_LIVE_SECONDS)
    # Only runs young enough to matter: older claims are free by their age alone.
    recent = ScoringRun.objects.filter(created_at__gte=live_since)
    ended = recent.filter(status__in=RUN_ENDED).values("pk")
    return Q(claimed_run__isnull=False) & Q(claimed_at__gte=live_since) & ~Q(claimed_run__in=ended)


def _members_claim(*, user_ids: Sequence[int] | None = None) -> ScoringRun | None:
    """Claim every due, scorable member no live run holds (only ``user_ids`` if given) for
    a new run; None when there is nobody. The one claim, used by every way of scoring."""
    run = ScoringRun(model_version=MODEL_VERSION)
    now = run.created_at
    with transaction.atomic():
        claimable = ScoringState.objects.filter(
            user__in=scorable_members(), next_score_due__lte=now
        ).exclude(members_held())
        if user_ids is not None:
            claimable = claimable.filter(of_members(user_ids))
        run.save()
        claimed = claimable.update(claimed_run=run.pk, claimed_at=now)
        if not claimed:
            run.delete()
            return None
        run.members = claimed
        run.save(update_fields=["members"])
    return run


def scoring_dispatch(*, batch_size: int = BATCH_SIZE) -> int:
    """Claim every due member for a new run and enqueue its preparation; returns the count.

    Claims are conditional, so dispatchers running at once never claim a member twice, and
    never one a live run holds: the database alone decides what is due.
    """
    queue.scoring_dispatch_started()
    now = timezone.now()
    # A new model version rescores everyone scored by an older one.
    ScoringState.objects.filter(user__score__isnull=False, next_score_due__gt=now).exclude(
        user__score__model_version=MODEL_VERSION
    ).update(next_score_due=now)
    with transaction.atomic():
        run = _members_claim()
        if run is None:
            return 0
        queue.run_prepare(run_id=run.pk, batch_size=batch_size)
    return run.members


def run_prepare(
    *, run_id: uuid.UUID, batch_size: int = BATCH_SIZE, enqueue: bool = True
) -> list[list[int]]:
    """Number the graph, compute trust once, save it, enqueue the batches; returns them.

    Idempotent: a run already past preparation only has its unfinished batches enqueued
    again; a run that has ended, nothing.
    """
    run = ScoringRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in (RunStatus.PREPARING, RunStatus.SCORING):
        return []
    if run.status == RunStatus.PREPARING:
        try:
            _run_trust(run_id)
        except BaseException:
            # Give the members back, so the next dispatch takes them into a fresh run.
            run_end(run_id=run_id, status=RunStatus.FAILED)
            raise
        if not ScoringRun.objects.filter(pk=run_id, status=RunStatus.SCORING).exists():
            return []  # ended meanwhile (the janitor abandoned it)
    batches = _batches_plan(run_id=run_id, batch_size=batch_size)
    for batch in batches if enqueue else []:
        queue.score_members(user_ids=batch, run_id=run_id)
    if not ScoringBatch.objects.filter(run_id=run_id, done_at__isnull=True).exists():
        run_end(run_id=run_id, status=RunStatus.DONE)
    return batches


def _batches_plan(*, run_id: uuid.UUID, batch_size: int) -> list[list[int]]:
    """The run's batches not yet done, as lists of the members each still holds; the first
    time, cut the claimed members into batches and record them (``ScoringBatch``)."""
    with transaction.atomic():
        ScoringRun.objects.select_for_update().filter(pk=run_id).first()
        ids = list(
            ScoringState.objects.filter(claimed_run=run_id)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        planned = list(
            ScoringBatch.objects.filter(run_id=run_id, done_at__isnull=True)
            .order_by("first_user")
            .values_list("first_user", "last_user")
        )
        if planned or ScoringBatch.objects.filter(run_id=run_id).exists():
            ranges = planned
        else:
            cut = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
            ranges = [(b[0], b[-1]) for b in cut]
            ScoringBatch.objects.bulk_create(
                ScoringBatch(run_id=run_id, first_user=first, last_user=last)
                for first, last in ranges
            )
            ScoringRun.objects.filter(pk=run_id).update(batches=len(ranges))
    found = np.asarray(ids, dtype=np.int64)
    batches = []
    for first, last in ranges:
        lo, hi = np.searchsorted(found, [first, last + 1])
        held = found[lo:hi].tolist()
        if held:
            batches.append(held)
        else:  # every member of the batch is gone: it is done already
            _batch_done(run_id=run_id, user_ids=[first])
    return batches


def _run_trust(run_id: uuid.UUID) -> None:
    """Number the graph, compute trust once and save it for the run's batches."""
    started = time.perf_counter()
    _free_promptly()
    nodes = graph.run_nodes_create()
    n_nodes = nodes.n_nodes
    _free_promptly()
    g = graph.graph_build(nodes=nodes)
    seeds, basis = graph.seeds_choose(nodes=nodes, now=int(timezone.now().timestamp()))
    if len(seeds) == 0:  # nobody has a source: nothing to score against
        seeds = np.arange(min(n_nodes, 1), dtype=np.int64)
    # Members are nodes 0 .. M-1: the context keeps whom each of them endorses.
    ctx = compute_trust(g, seeds, members=np.arange(len(nodes.members)))
    n_edges = int(g.engage.nnz + g.transition_t.nnz)
    del g
    iterations = ctx.iterations
    _free_promptly()
    if not graph.run_artefacts_save(run_id=run_id, ctx=ctx, nodes=nodes):
        return  # another delivery of this preparation got there first
    del ctx, nodes
    _free_promptly()
    ScoringRun.objects.filter(pk=run_id).update(
        nodes=n_nodes,
        edges=n_edges,
        seeds=len(seeds),
        seed_basis=basis,
        trust_iterations=iterations,
        trust_seconds=time.perf_counter() - started,
    )


def _free_promptly() -> None:
    """Give large freed blocks back to the system at once (glibc only; elsewhere a no-op).

    By default glibc raises its mmap threshold each time a large block is freed, so later
    arrays come from the heap and stay with the process once freed: preparing a
    million-member run would keep tens of MB it no longer uses, on top of its peak.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 64 * 1024)
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


_M_MMAP_THRESHOLD = -3


def score_members_now(*, user_ids: Sequence[int]) -> int:
    """Score members in this process, through a whole run (tests and benchmarks); returns
    how many scores were written. It claims through the one claim, so a member a live
    run holds is left to that run."""
    for user_id in user_ids:
        scoring_schedule_now(user_id=user_id)
    run = _members_claim(user_ids=user_ids)
    if run is None:
        return 0
    written = 0
    for batch in run_prepare(run_id=run.pk, enqueue=False):
        written += score_members(user_ids=batch, run_id=run.pk)
    return written


def score_members(*, user_ids: Sequence[int], run_id: uuid.UUID) -> int:
    """Score one batch of a run; returns how many scores were written.

    Only members the run still holds are scored; the batch counts toward the run's end
    even when none are left.
    """
    if not user_ids:
        return 0
    run = ScoringRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.SCORING:
        return 0
    ScoringBatch.objects.filter(_batch_of(run_id, user_ids), started_at__isnull=True).update(
        started_at=timezone.now()
    )
    allowed = set(
        scorable_members()
        .filter(of_members(user_ids, "pk"), scoring_state__claimed_run=run_id)
        .values_list("pk", flat=True)
    )
    with_data = set(
        Source.objects.filter(of_members(allowed)).values_list("user_id", flat=True).distinct()
    )
    ids = [uid for uid in user_ids if uid in with_data]
    # Nothing to score a member on (no source yet, or the last one disconnected): no score,
    # rather than a meaningless 1.00, and none left over from data no longer held.
    no_data = allowed - with_data
    scores_clear(user_ids=[uid for uid in user_ids if uid in no_data], since=run.created_at)
    written = 0
    if ids:
        try:
            ctx, nodes = graph.run_artefacts_load(run_id=run_id)
        except LookupError:
            # Ended meanwhile (the janitor took it), or prepared by a release that kept
            # artefacts in files: nothing to score against; the janitor ends the run.
            log.warning("run %s has no artefacts; batch skipped", run_id)
            return 0
        batch = graph.member_batch_load(nodes=nodes, user_ids=ids)
        dismissed = dismissed_for(ids)
        if dismissed:
            batch = dataclasses.replace(
                batch, dismissed_flags=[dismissed.get(uid, set()) for uid in ids]
            )
        deny = labels_denied()
        results = score_batch(batch, ctx, now=int(timezone.now().timestamp()), deny_topics=deny)
        written = scores_write(run_id=run_id, results=dict(zip(ids, results, strict=True)))
    _batch_done(run_id=run_id, user_ids=user_ids)
    return written


def _batch_of(run_id: uuid.UUID, user_ids: Sequence[int]) -> Q:
    """The batch row a message's members belong to: batches are disjoint id ranges."""
    first = min(user_ids)
    return Q(run_id=run_id, first_user__lte=first, last_user__gte=first)


@transaction.atomic
def scores_clear(*, user_ids: Sequence[int], since: datetime | None = None) -> None:
    """Drop the current score and flags of members with no data left; history stays.

    A member asked for again after ``since`` (their run's start) stays due.
    """
    if not user_ids:
        return
    members = of_members(user_ids)
    locked = User.objects.select_for_update().filter(of_members(user_ids, "pk")).order_by("pk")
    list(locked.values_list("pk"))
    Score.objects.filter(members).delete()
    GamingFlag.objects.filter(members).delete()
    states = ScoringState.objects.filter(members)
    if since is not None:
        states = states.filter(next_score_due__lte=since)
    states.update(next_score_due=None)
    public_page_cache_clear(user_ids=user_ids)


def _batch_done(*, run_id: uuid.UUID, user_ids: Sequence[int]) -> None:
    """Release the batch's members and count the batch toward its run's end, once."""
    with transaction.atomic():
        ScoringState.objects.filter(of_members(user_ids), claimed_run=run_id).update(
            claimed_run=None, claimed_at=None
        )
        counted = ScoringBatch.objects.filter(
            _batch_of(run_id, user_ids), done_at__isnull=True
        ).update(done_at=timezone.now())
        if not counted:
            return  # a redelivered batch: already counted
        ScoringRun.objects.filter(pk=run_id).update(batches=F("batches") - 1)
        remaining = ScoringRun.objects.filter(pk=run_id).values_list("batches", flat=True).first()
    if remaining is not None and remaining <= 0:
        run_end(run_id=run_id, status=RunStatus.DONE)


def run_end(*, run_id: uuid.UUID, status: RunStatus) -> bool:
    """End a run (done, failed or abandoned): release any member it still holds and delete
    its artefacts, in one transaction. Returns False if it had ended already."""
    with transaction.atomic():
        ended = (
            ScoringRun.objects.filter(pk=run_id)
            .exclude(status__in=RUN_ENDED)
            .update(status=status, finished_at=timezone.now())
        )
        ScoringState.objects.filter(claimed_run=run_id).update(claimed_run=None, claimed_at=None)
        graph.run_artefacts_delete(run_id=run_id)
        if ended and status == RunStatus.DONE and _asked_during(run_id):
            # Their requests' dispatches found them held by this run: dispatch again now,
            # rather than at beat's next tick.
            queue.scoring_dispatch()
    return bool(ended)


def _asked_during(run_id: uuid.UUID) -> bool:
    """Whether anyone asked for a score while this run was going, and is still due."""
    started = ScoringRun.objects.filter(pk=run_id).values_list("created_at", flat=True).first()
    if started is None:
        return False
    return ScoringState.objects.filter(
        next_score_due__gt=started, next_score_due__lte=timezone.now(), claimed_run__isnull=True
    ).exists()


def runs_sweep() -> dict[str, int]:
    """The janitor: end every run older than ``RUN_LIVE_SECONDS`` that has not ended
    (done if all its batches were counted, else abandoned), then drop artefacts and claims
    any ended run left behind. Returns counts by what was done."""
    cutoff = timezone.now() - timedelta(seconds=RUN_LIVE_SECONDS)
    outlived = ScoringRun.objects.filter(created_at__lt=cutoff).exclude(status__in=RUN_ENDED)
    done = abandoned = 0
    for run_id, status, remaining in outlived.values_list("pk", "status", "batches"):
        if status == RunStatus.SCORING and remaining <= 0:
            done += run_end(run_id=run_id, status=RunStatus.DONE)
        else:
            abandoned += run_end(run_id=run_id, status=RunStatus.ABANDONED)
            log.warning("scoring run %s abandoned after %s s", run_id, RUN_LIVE_SECONDS)
    ended = ScoringRun.objects.filter(status__in=RUN_ENDED).values("pk")
    parts, _ = RunArtefact.objects.filter(run__in=ended).delete()
    released = ScoringState.objects.filter(claimed_run__in=ended).update(
        claimed_run=None, claimed_at=None
    )
    # Batch rows carry member ids (their ranges' bounds): kept a day for operators, then gone.
    batches, _ = ScoringBatch.objects.filter(
        run__status__in=RUN_ENDED, run__finished_at__lt=timezone.now() - BATCH_ROWS_KEPT
    ).delete()
    _legacy_run_folders_delete()
    return {
        "done": done,
        "abandoned": abandoned,
        "artefacts": parts,
        "released": released,
        "batches": batches,
    }


def _legacy_run_folders_delete() -> None:
    """Runs before 0.3 kept their artefacts in files under ``VAR_DIR/runs``; remove any
    left on this machine. Drop in the release after next."""
    shutil.rmtree(Path(settings.VAR_DIR) / "runs", ignore_errors=True)


@transaction.atomic
def scores_write(*, run_id: uuid.UUID, results: dict[int, MemberScore]) -> int:
    """Write a batch's results, only for members who still consent, re-checked under lock.

    Every member row of the batch is locked (in id order, as withdrawal locks one row) and
    consent is re-checked in this transaction, so a withdrawal racing the batch either
    comes first and nothing is written, or comes after and deletes what was written.
    The run must also still hold each member: a late batch of a run the janitor abandoned
    (its members released, perhaps claimed by a newer run) writes nothing.
    """
    ids = sorted(results)
    by_pk = of_members(ids, "pk")
    list(User.objects.select_for_update().filter(by_pk).order_by("pk").values_list("pk"))
    consenting = set(
        scorable_members()
        .filter(by_pk, scoring_state__claimed_run=run_id)
        .values_list("pk", flat=True)
    )
    ids = [uid for uid in ids if uid in consenting]
    if not ids:
        return 0
    now = timezone.now()
    before, waiting = notices.scores_before(user_ids=ids), notices.imports_scoring(user_ids=ids)

    def when(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, tz=UTC)

    # A score under an open dispute stays as shown, with its flags (GDPR Art. 18); the
    # run's snapshot is still recorded. A member under an investigation freeze gets no
    # score written at all, not even a first one (``held_among``: moderation answers).
    frozen = set(
        Score.objects.filter(of_members(ids), frozen_since__isnull=False).values_list(
            "user_id", flat=True
        )
    ) | held_among(ids)
    score_rows, snapshot_rows = [], []
    adjustments = adjustments_for(ids)
    values = {}
    for uid in ids:
        r = results[uid]
        parts = {k: str(v) for k, v in r.components.as_dict().items()}
        value = r.score
        if uid in adjustments:
            # A moderator's bounded correction: its own component, so the parts still add
            # up, and the score stays within 1-100.
            value = min(max(r.score + adjustments[uid], Decimal(1)), Decimal(100))
            parts["adjustment"] = str(value - r.score)
        values[uid] = value
        snapshot_rows.append((uid, run_id, value, parts, r.model_version, now))
        if uid in frozen:
            continue
        score_rows.append(
            (uid, value, parts, float(r.confidence), r.model_version,
             when(r.window_start), when(r.window_end), run_id, now)
        )  # fmt: skip
    score_fields = ["user_id", "value", "components", "confidence", "model_version",
                    "window_start", "window_end", "run_id", "computed_at"]  # fmt: skip
    bulk_upsert(Score, score_fields, score_rows, conflict=["user"], update=score_fields[1:])
    bulk_upsert(
        ScoreSnapshot,
        ["user_id", "run_id", "value", "components", "model_version", "computed_at"],
        snapshot_rows,
        conflict=["user", "run_id"],
    )
    members = of_members(ids)
    shown = [uid for uid in ids if uid not in frozen]
    GamingFlag.objects.filter(of_members(shown)).delete()
    bulk_insert(
        GamingFlag,
        ["user_id", "kind", "evidence", "discount", "run_id", "created_at"],
        [(uid, f.kind, f.evidence, f.discount, run_id, now)
         for uid in shown for f in results[uid].flags],
    )  # fmt: skip
    _topics_write(ids=ids, results=results, now=now)
    # Members asked for again after the run began stay due, for the data that came since.
    started = ScoringRun.objects.filter(pk=run_id).values_list("created_at", flat=True).first()
    ScoringState.objects.filter(members, next_score_due__lte=started or now).update(
        next_score_due=now + timedelta(hours=settings.SCORE_INTERVAL_HOURS)
    )
    ImportJob.objects.filter(members, status=ImportStatus.SCORING).update(
        status=ImportStatus.DONE, finished_at=now
    )
    # Members whose score was held are not told of a score they cannot see.
    shown_values = {uid: v for uid, v in values.items() if uid not in frozen}
    notices.scores_written(before=before, after=shown_values, imports=waiting)
    return len(ids)


def _topics_write(*, ids: list[int], results: dict[int, MemberScore], now: datetime) -> None:
    """Refresh derived topics: new suggestions wait for the member; their choices stay."""
    held = {
        (uid, label)
        for uid, label in Topic.objects.filter(of_members(ids)).values_list("user_id", "label")
    }
    # A label the member blocked is never suggested again, even after a re-grant.
    blocked = set(TopicBlock.objects.filter(of_members(ids)).values_list("user_id", "label"))
    rows = [
        (uid, t.label, t.score, t.posts, t.sensitive_category or "", now,
         TopicStatus.SUGGESTED, TopicOrigin.DERIVED)
        for uid in ids
        for t in results[uid].topics
        if (t.suggest and (uid, t.label) not in blocked) or (uid, t.label) in held
    ]  # fmt: skip
    bulk_upsert(
        Topic,
        ["user_id", "label", "score", "posts", "sensitive_category", "updated_at", "status",
         "origin"],
        rows,
        conflict=["user", "label"],
        update=["score", "posts", "sensitive_category", "updated_at"],
    )  # fmt: skip
    # Suggestions the member's posts no longer support go; their own choices stay.
    Topic.objects.filter(
        of_members(ids),
        status=TopicStatus.SUGGESTED,
        origin=TopicOrigin.DERIVED,
        updated_at__lt=now,
    ).delete()


# --- Deleting -------------------------------------------------------------------------


def scoring_data_delete(*, user_id: int) -> None:
    """Delete everything scoring holds about a member, inside the withdrawal of `scoring`
    (connected to ``profiles.hooks.scoring_withdrawn``; signals deletes its own rows).

    Blocked labels (``TopicBlock``) stay: a block protects the member, so a re-grant never
    suggests the label again; only account erasure removes it."""
    Score.objects.filter(user_id=user_id).delete()
    ScoreSnapshot.objects.filter(user_id=user_id).delete()
    Topic.objects.filter(user_id=user_id).delete()
    GamingFlag.objects.filter(user_id=user_id).delete()
    ScoringState.objects.filter(user_id=user_id).delete()
