"""Scoring: who is due, runs and batches, and writing under the consent lock (invariant 2).

A run: the dispatcher claims due members and creates a ``ScoringRun``; ``run_prepare``
numbers the graph's accounts and computes trust once, saving both in the run's folder; then one
task per batch of members (partitioned by member id) loads their signals, calls the pure
model and writes the batch in one transaction that locks the members' rows and re-checks
their consent. Every step is idempotent, so a redelivered message changes nothing.
"""

from __future__ import annotations

import ctypes
import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
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
from scoring.hooks import labels_denied
from scoring.model import MODEL_VERSION, MemberScore, TrustContext, score_batch
from scoring.model import trust_context as compute_trust
from scoring.models import (
    GamingFlag,
    RunStatus,
    Score,
    ScoreSnapshot,
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


def scorable_members() -> QuerySet[User]:
    """The one definition of who may be scored: active, current scoring consent."""
    return users_with_active_consent(Purpose.SCORING)


# --- Scheduling -----------------------------------------------------------------------


def scoring_schedule_now(*, user_id: int) -> None:
    """Mark a member due now; the dispatcher (or a direct request) picks them up."""
    ScoringState.objects.update_or_create(
        user_id=user_id, defaults={"next_score_due": timezone.now(), "claimed_run": None}
    )


def score_request(*, user_id: int) -> None:
    """Score one member soon: due now in the database, and a dispatch after commit."""
    scoring_schedule_now(user_id=user_id)

    queue.scoring_dispatch()


def scoring_dispatch(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Claim every due member for a new run and enqueue its preparation; returns the count.

    Claims are conditional, so dispatchers running at once never claim a member twice. A
    claim older than twice the task time limit is stale (its worker died and the message
    was lost) and is claimed again: the database alone decides what is due.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    # A new model version rescores everyone scored by an older one.
    ScoringState.objects.filter(user__score__isnull=False, next_score_due__gt=now).exclude(
        user__score__model_version=MODEL_VERSION
    ).update(next_score_due=now)
    run = ScoringRun(model_version=MODEL_VERSION)
    with transaction.atomic():
        claimable = ScoringState.objects.filter(
            user__in=scorable_members(), next_score_due__lte=now
        ).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        run.save()
        claimed = claimable.update(claimed_run=run.pk, claimed_at=now)
        if not claimed:
            run.delete()
            return 0
        run.members = claimed
        run.save(update_fields=["members"])
        queue.run_prepare(run_id=run.pk, batch_size=batch_size)
    return claimed


def run_dir(run_id: uuid.UUID) -> Path:
    return Path(settings.SCORING_RUN_DIR) / str(run_id)


def run_prepare(
    *, run_id: uuid.UUID, batch_size: int = BATCH_SIZE, enqueue: bool = True
) -> list[list[int]]:
    """Number the graph, compute trust once, save it, enqueue the batches; returns them.

    Idempotent: a run already past preparation only has its batches enqueued again.
    """
    run = ScoringRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in (RunStatus.PREPARING, RunStatus.SCORING):
        return []
    if run.status == RunStatus.PREPARING:
        try:
            _run_trust(run_id)
        except BaseException:
            # Give the members back, so the next dispatch takes them into a fresh run.
            ScoringRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED)
            ScoringState.objects.filter(claimed_run=run_id).update(
                claimed_run=None, claimed_at=None
            )
            shutil.rmtree(run_dir(run_id), ignore_errors=True)
            raise
    ids = list(
        ScoringState.objects.filter(claimed_run=run_id)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    ScoringRun.objects.filter(pk=run_id).update(batches=len(batches))
    for batch in batches if enqueue else []:
        queue.score_members(user_ids=batch, run_id=run_id)
    if not batches:
        run_finish(run_id=run_id)
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
    ctx = compute_trust(g, seeds)
    n_edges = int(g.engage.nnz + g.transition_t.nnz)
    del g
    ctx.save(run_dir(run_id))
    nodes.save(run_dir(run_id))
    iterations = ctx.iterations
    del ctx, nodes
    _free_promptly()
    ScoringRun.objects.filter(pk=run_id, status=RunStatus.PREPARING).update(
        status=RunStatus.SCORING,
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
    """Score members in this process, through a whole run (operators' commands, benchmarks)."""
    for user_id in user_ids:
        scoring_schedule_now(user_id=user_id)
    now = timezone.now()
    run = ScoringRun.objects.create(model_version=MODEL_VERSION, members=len(user_ids))
    ScoringState.objects.filter(user_id__in=user_ids, user__in=scorable_members()).update(
        claimed_run=run.pk, claimed_at=now
    )
    written = 0
    for batch in run_prepare(run_id=run.pk, enqueue=False):
        written += score_members(user_ids=batch, run_id=run.pk)
    return written


def score_members(*, user_ids: Sequence[int], run_id: uuid.UUID) -> int:
    """Score one batch of a run; returns how many scores were written."""
    run = ScoringRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.SCORING:
        return 0
    allowed = set(
        scorable_members().filter(of_members(user_ids, "pk")).values_list("pk", flat=True)
    )
    with_data = set(
        Source.objects.filter(of_members(allowed)).values_list("user_id", flat=True).distinct()
    )
    ids = [uid for uid in user_ids if uid in with_data]
    # Nothing to score a member on (no source yet, or the last one disconnected): no score,
    # rather than a meaningless 1.00, and none left over from data no longer held.
    no_data = allowed - with_data
    scores_clear(user_ids=[uid for uid in user_ids if uid in no_data])
    written = 0
    if ids:
        ctx = TrustContext.load(run_dir(run_id))
        nodes = graph.RunNodes.load(run_dir(run_id))
        batch = graph.member_batch_load(nodes=nodes, user_ids=ids)
        deny = labels_denied()
        results = score_batch(batch, ctx, now=int(timezone.now().timestamp()), deny_topics=deny)
        written = scores_write(run_id=run_id, results=dict(zip(ids, results, strict=True)))
    _batch_done(run_id=run_id, user_ids=user_ids)
    return written


@transaction.atomic
def scores_clear(*, user_ids: Sequence[int]) -> None:
    """Drop the current score and flags of members with no data left; history stays."""
    if not user_ids:
        return
    members = of_members(user_ids)
    locked = User.objects.select_for_update().filter(of_members(user_ids, "pk")).order_by("pk")
    list(locked.values_list("pk"))
    Score.objects.filter(members).delete()
    GamingFlag.objects.filter(members).delete()
    ScoringState.objects.filter(members).update(next_score_due=None)
    public_page_cache_clear(user_ids=user_ids)


def _batch_done(*, run_id: uuid.UUID, user_ids: Sequence[int]) -> None:
    with transaction.atomic():
        released = ScoringState.objects.filter(of_members(user_ids), claimed_run=run_id).update(
            claimed_run=None, claimed_at=None
        )
        if not released:
            return  # a redelivered batch: already counted
        ScoringRun.objects.filter(pk=run_id).update(batches=F("batches") - 1)
        remaining = ScoringRun.objects.filter(pk=run_id).values_list("batches", flat=True).first()
    if remaining is not None and remaining <= 0:
        run_finish(run_id=run_id)


def run_finish(*, run_id: uuid.UUID) -> None:
    """Mark a run done and drop what it kept only for its batches."""
    ScoringRun.objects.filter(pk=run_id).exclude(status=RunStatus.DONE).update(
        status=RunStatus.DONE, finished_at=timezone.now()
    )
    shutil.rmtree(run_dir(run_id), ignore_errors=True)


@transaction.atomic
def scores_write(*, run_id: uuid.UUID, results: dict[int, MemberScore]) -> int:
    """Write a batch's results, only for members who still consent, re-checked under lock.

    Every member row of the batch is locked (in id order, as withdrawal locks one row) and
    consent is re-checked in this transaction, so a withdrawal racing the batch either
    comes first and nothing is written, or comes after and deletes what was written.
    """
    ids = sorted(results)
    by_pk = of_members(ids, "pk")
    list(User.objects.select_for_update().filter(by_pk).order_by("pk").values_list("pk"))
    consenting = set(scorable_members().filter(by_pk).values_list("pk", flat=True))
    ids = [uid for uid in ids if uid in consenting]
    if not ids:
        return 0
    now = timezone.now()
    before, waiting = notices.scores_before(user_ids=ids), notices.imports_scoring(user_ids=ids)

    def when(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, tz=UTC)

    # A score under an open dispute stays as shown, with its flags (GDPR Art. 18); the
    # run's snapshot is still recorded.
    frozen = set(
        Score.objects.filter(of_members(ids), frozen_since__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    score_rows, snapshot_rows = [], []
    for uid in ids:
        r = results[uid]
        parts = {k: str(v) for k, v in r.components.as_dict().items()}
        snapshot_rows.append((uid, run_id, r.score, parts, r.model_version, now))
        if uid in frozen:
            continue
        score_rows.append(
            (uid, r.score, parts, float(r.confidence), r.model_version,
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
    ScoringState.objects.filter(members).update(
        next_score_due=now + timedelta(hours=settings.SCORE_INTERVAL_HOURS)
    )
    ImportJob.objects.filter(members, status=ImportStatus.SCORING).update(
        status=ImportStatus.DONE, finished_at=now
    )
    notices.scores_written(
        before=before, after={uid: results[uid].score for uid in ids}, imports=waiting
    )
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
