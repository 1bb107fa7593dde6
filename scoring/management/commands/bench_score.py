"""manage.py bench_score: a full rescore at scale, against a naive baseline.

Run it on a scratch PostgreSQL database (it refuses a database with real members):

    createdb influence_bench
    DATABASE_URL=postgres://postgres@127.0.0.1/influence_bench REDIS_URL=redis://127.0.0.1/1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python manage.py bench_score --members 100000

Steps, each timed:
1. load: a synthetic population (members with consent, one archive source each, posts,
   engagement from a heavy-tailed pool of counterparts and from other members, followers).
   ``--via-service N`` loads the first N members through the import service itself
   (``signals_store``), the rest with COPY in the same row shapes, since a million
   service calls take hours.
2. rescore: every member due, one ``scoring_dispatch``, and real ``celery worker``
   processes (``--workers``, default 2) until the run is done. Members/s, wall time and the
   peak RSS of the worker processes.
3. naive: ``--naive-sample`` members scored one at a time through the ORM (per-member
   queries, a batch of one, a per-member write), extrapolated to all members.
4. trust: the run's trust propagation against a bare scipy CSR power iteration with the
   same number of steps on the same graph.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

BENCH_DOMAIN = "bench.invalid"


class Command(BaseCommand):
    help = "Benchmark a full rescore against a naive one-member-at-a-time baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=100_000)
        parser.add_argument("--counterparts", type=int, default=0, help="default: 2 x members")
        parser.add_argument("--engagements", type=int, default=6, help="per member, average")
        parser.add_argument("--followers", type=int, default=6, help="per member, average")
        parser.add_argument("--via-service", type=int, default=1000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--naive-sample", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--keep", action="store_true", help="keep the loaded population")
        parser.add_argument(
            "--reuse", action="store_true", help="rescore a population kept by --keep"
        )
        parser.add_argument("--phase", choices=["naive"], help="internal: run one phase")

    def handle(self, *args: Any, **o: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_score runs on PostgreSQL (set DATABASE_URL).")
        if o["phase"] == "naive":  # in its own process, so its peak RSS is its own
            self.stdout.write(json.dumps(self._naive(o["naive_sample"])))
            return
        from profiles.models import User

        if User.objects.exclude(email__endswith=f"@{BENCH_DOMAIN}").exists():
            raise CommandError("This database has real members; use a scratch database.")
        n = o["members"]
        if o["reuse"] and User.objects.count() == n:
            self._reset()
            self.stdout.write(f"load: reusing {n:,} members")
        else:
            self._wipe()
            t0 = time.perf_counter()
            self._load(n, o)
            self.stdout.write(f"load: {n:,} members in {time.perf_counter() - t0:.0f} s")
        rescore = self._rescore(n, o["workers"])
        out = subprocess.run(
            [sys.executable, "manage.py", "bench_score", "--phase", "naive",
             "--naive-sample", str(o["naive_sample"])],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        naive = json.loads(out.stdout.strip().splitlines()[-1])
        trust = self._trust()
        rate = rescore["members"] / rescore["wall"]
        self.stdout.write("")
        self.stdout.write(f"{'':8} {'members/s':>11} {'wall s':>9} {'peak RSS MB':>12}")
        self.stdout.write(
            f"{'ours':8} {rate:11,.0f} {rescore['wall']:9.1f} {rescore['rss']:12.0f}"
            f"   {o['workers']} worker processes; trust {rescore['trust_s']:.1f} s "
            f"({rescore['nodes']:,} nodes, {rescore['edges']:,} edges)"
        )
        self.stdout.write(
            f"{'naive':8} {naive['rate']:11,.0f} {n / naive['rate']:9.1f} {naive['rss']:12.0f}"
            f"   {naive['members']:,} members measured, one process; wall extrapolated"
        )
        self.stdout.write(f"speed-up: {rate / naive['rate']:.0f}x")
        self.stdout.write(
            f"trust propagation: {trust['ours']:.3f} s, bare CSR iteration "
            f"{trust['bare']:.3f} s ({trust['steps']} steps): "
            f"ratio {trust['ours'] / trust['bare']:.2f}"
        )
        if not o["keep"]:
            self._wipe()

    # --- load ---------------------------------------------------------------------------

    def _wipe(self) -> None:
        with connection.cursor() as cursor:
            for table in (
                "scoring_scoringrun", "scoring_gamingflag", "scoring_topic",
                "scoring_scoresnapshot", "scoring_score", "scoring_scoringstate",
                "scoring_engagement", "scoring_follow", "scoring_post",
                "scoring_importedcontent", "scoring_importjob", "scoring_source",
            ):  # fmt: skip
                cursor.execute(f"TRUNCATE {table} CASCADE")
        # Only bench members are here (checked), so everything that hangs off them goes.
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE profiles_user CASCADE")

    def _reset(self) -> None:
        """Every member due again, with no scores: the state right after a load."""
        with connection.cursor() as cursor:
            for table in ("scoring_scoringrun", "scoring_gamingflag", "scoring_topic",
                          "scoring_scoresnapshot", "scoring_score"):  # fmt: skip
                cursor.execute(f"TRUNCATE {table} CASCADE")
            cursor.execute(
                "UPDATE scoring_scoringstate SET next_score_due = now(), claimed_run = NULL, "
                "claimed_at = NULL"
            )

    def _load(self, n: int, o: dict[str, Any]) -> None:
        from profiles.models import ConsentRecord, User
        from profiles.purposes import Purpose
        from profiles.services import consents_record_signup
        from scoring.models import ScoringState
        from signals.archive import make_hasher
        from signals.models import Engagement, Follow, Post, Source
        from signals.services.bulk import bulk_insert

        rng = np.random.default_rng(o["seed"])
        now = timezone.now()
        n_cp = o["counterparts"] or 2 * n
        for start in range(0, n, 10_000):  # the ORM, so every field gets its default
            User.objects.bulk_create(
                User(email=f"m{i}@{BENCH_DOMAIN}", password="!", date_joined=now)
                for i in range(start, min(n, start + 10_000))
            )
        ids = np.array(
            User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # The first member consents through the service; the rest get copies of its ledger
        # rows (receipts included): a scratch database, where only scoring is measured.
        consents_record_signup(
            user=User.objects.get(pk=int(ids[0])), granted=[Purpose.TERMS, Purpose.SCORING]
        )
        template: list[dict[str, Any]] = [
            dict(r) for r in ConsentRecord.objects.filter(user_id=int(ids[0])).values()
        ]
        fields = [k for k in template[0] if k != "id"]
        with transaction.atomic():
            bulk_insert(
                ConsentRecord,
                fields,
                (
                    tuple(
                        int(u) if f == "user_id" else uuid.uuid4() if f == "receipt_id" else row[f]
                        for f in fields
                    )
                    for u in ids[1:]
                    for row in template
                ),
            )
        # A heavy-tailed population: some members and counterparts attract most of it.
        hasher = make_hasher(settings.HANDLE_HASH_KEY, "mastodon")
        member_hash = [hasher(f"m{i}@bench.social") for i in range(n)]
        cp_hash = [hasher(f"c{i}@pool.social") for i in range(n_cp)]
        via = min(o["via_service"], n)
        if via:
            self._load_via_service(ids[:via], rng)
        with transaction.atomic():
            src_rows = (
                (int(ids[i]), "archive", "mastodon", f"m{i}@bench.social", member_hash[i], False,
                 int(rng.integers(10, 5000)), int(rng.integers(10, 500)), now, now, "idle", "")
                for i in range(via, n)
            )  # fmt: skip
            bulk_insert(
                Source,
                ["user_id", "kind", "network", "handle", "handle_hash", "verified",
                 "followers_count", "following_count", "account_created_at", "created_at",
                 "sync_status", "sync_error"],
                src_rows,
            )  # fmt: skip
        source_of = dict(
            Source.objects.filter(user_id__in=ids.tolist()).values_list("user_id", "pk")
        )
        rest = ids[via:]
        m = len(rest)
        if m:
            day = 86_400
            base = int(now.timestamp())
            with transaction.atomic():
                per = rng.poisson(o["engagements"], m)
                total = int(per.sum())
                owner = np.repeat(np.arange(m), per)
                # Zipf-ish choice of counterparts, a fifth of them other members.
                pick = np.minimum(rng.zipf(1.3, total) - 1, n_cp - 1)
                is_member = rng.random(total) < 0.2
                other = rng.integers(0, n, total)
                kinds = rng.choice(np.array(["like", "reshare", "reply", "mention"]), total,
                                   p=[0.6, 0.2, 0.15, 0.05])  # fmt: skip
                counts = rng.integers(1, 6, total)
                ats = base - rng.integers(0, 80 * day, total)
                seen: set[tuple[int, int, str]] = set()
                eng_rows = []
                for j in range(total):
                    who = member_hash[int(other[j])] if is_member[j] else cp_hash[int(pick[j])]
                    key = (int(owner[j]), who, str(kinds[j]))
                    if key in seen or who == member_hash[via + int(owner[j])]:
                        continue
                    seen.add(key)
                    at = datetime.fromtimestamp(int(ats[j]), tz=UTC)
                    uid = int(rest[owner[j]])
                    eng_rows.append((source_of[uid], uid, who, str(kinds[j]), "in",
                                     int(counts[j]), at, at))  # fmt: skip
                bulk_insert(
                    Engagement,
                    ["source_id", "user_id", "counterpart", "kind", "direction", "count",
                     "first_at", "last_at"],
                    eng_rows,
                )  # fmt: skip
                del seen, eng_rows
                fper = rng.poisson(o["followers"], m)
                fown = np.repeat(np.arange(m), fper)
                fpick = np.minimum(rng.zipf(1.3, len(fown)) - 1, n_cp - 1)
                fseen: set[tuple[int, int]] = set()
                fol_rows = []
                at = now - timedelta(days=30)
                for j in range(len(fown)):
                    key2 = (int(fown[j]), int(fpick[j]))
                    if key2 in fseen:
                        continue
                    fseen.add(key2)
                    uid = int(rest[fown[j]])
                    fol_rows.append((source_of[uid], uid, cp_hash[int(fpick[j])], "follower", at))
                bulk_insert(
                    Follow, ["source_id", "user_id", "counterpart", "direction", "at"], fol_rows
                )
                del fseen, fol_rows
                post_rows: Any = (
                    (source_of[int(u)], int(u), f"p{k}", now - timedelta(days=k * 9),
                     ["python", "privacy"] if k % 2 else ["music"], [], int(rng.integers(0, 20)),
                     int(rng.integers(0, 30)), int(rng.integers(0, 8)), int(rng.integers(0, 5)), 0)
                    for u in rest for k in range(3)
                )  # fmt: skip
                bulk_insert(
                    Post,
                    ["source_id", "user_id", "post_id", "at", "tags", "terms", "engagers",
                     "likes", "reshares", "replies", "mentions"],
                    post_rows,
                )  # fmt: skip
        with transaction.atomic():
            bulk_insert(ScoringState, ["user_id", "next_score_due"], ((int(u), now) for u in ids))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def _load_via_service(self, ids: np.ndarray[Any, Any], rng: np.random.Generator) -> None:
        import io

        from benchmarks.archive_synth import generate_archive
        from signals.archive import read_archive
        from signals.models import SourceKind
        from signals.services.imports import signals_store

        path = Path(settings.VAR_DIR) / "bench-one.jsonl"
        for i, uid in enumerate(ids.tolist()):
            generate_archive(path, interactions=int(rng.integers(5, 40)), counterparts=30,
                             posts=3, seed=i)  # fmt: skip
            text = path.read_bytes().replace(b'"@Member@', f'"v{i}@'.encode(), 1)
            archive = read_archive(io.BytesIO(text), secret=settings.HANDLE_HASH_KEY)
            signals_store(user_id=uid, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
        path.unlink(missing_ok=True)

    # --- rescore ------------------------------------------------------------------------

    def _rescore(self, n: int, workers: int) -> dict[str, float]:
        from scoring.models import RunStatus, ScoringRun
        from scoring.services.runs import scoring_dispatch

        queue = f"bench-{uuid.uuid4().hex[:6]}"
        env = {**os.environ, "CELERY_QUEUE": queue}
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "influence",
                    "worker",
                    "--pool",
                    "solo",
                    "-Q",
                    queue,
                    "-n",
                    f"bench{k}-{queue}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            for k in range(workers)
        ]
        try:
            time.sleep(4)  # the workers start
            from influence.celery import app

            app.conf.task_default_queue = queue
            t0 = time.perf_counter()
            claimed = scoring_dispatch()
            peak = 0.0
            while True:
                run = ScoringRun.objects.order_by("-created_at").first()
                peak = max(peak, sum(_rss_mb(p.pid) for p in procs))
                if run is not None and run.status == RunStatus.DONE:
                    break
                if any(p.poll() is not None for p in procs):
                    raise CommandError("a worker died during the rescore")
                time.sleep(0.5)
            wall = time.perf_counter() - t0
            peak_one = max(_hwm_mb(p.pid) for p in procs)
            run.refresh_from_db()
        finally:
            for p in procs:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait()
        return {
            "members": claimed, "wall": wall, "rss": peak_one, "rss_sum": peak,
            "trust_s": run.trust_seconds, "nodes": run.nodes, "edges": run.edges,
        }  # fmt: skip

    # --- naive --------------------------------------------------------------------------

    def _naive(self, sample: int) -> dict[str, float]:
        """One member at a time: per-member ORM reads, a batch of one, a per-member write."""
        from profiles.models import User
        from profiles.purposes import Purpose
        from profiles.selectors import has_active_consent
        from scoring.model import score_batch
        from scoring.models import RunStatus, Score, ScoringRun, ScoringState
        from scoring.services import graph
        from scoring.services.runs import run_end, run_prepare, scoring_schedule_now

        ids = list(
            User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
            .order_by("?")
            .values_list("pk", flat=True)[:sample]
        )
        # Trust is shared with ours: the baseline differs only in loading and writing.
        run = ScoringRun.objects.create(model_version="naive", members=len(ids))
        for uid in ids:
            scoring_schedule_now(user_id=uid)
        ScoringState.objects.filter(user_id__in=ids).update(
            claimed_run=run.pk, claimed_at=run.created_at
        )
        run_prepare(run_id=run.pk, enqueue=False)
        ctx, nodes = graph.run_artefacts_load(run_id=run.pk)
        t0 = time.perf_counter()
        for uid in ids:
            if not has_active_consent(user_id=uid, purpose=Purpose.SCORING):
                continue
            batch = graph.member_batch_load(nodes=nodes, user_ids=[uid])
            (result,) = score_batch(batch, ctx, now=int(time.time()))
            with transaction.atomic():
                User.objects.select_for_update().get(pk=uid)
                Score.objects.update_or_create(
                    user_id=uid,
                    defaults={
                        "value": result.score, "run_id": run.pk, "model_version": "naive",
                        "components": {k: str(v) for k, v in result.components.as_dict().items()},
                    },
                )  # fmt: skip
        wall = time.perf_counter() - t0
        run_end(run_id=run.pk, status=RunStatus.DONE)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"members": len(ids), "rate": len(ids) / wall, "rss": rss}

    # --- trust --------------------------------------------------------------------------

    def _trust(self) -> dict[str, float]:
        from scoring.model import propagate_trust
        from scoring.services import graph

        nodes = graph.run_nodes_create()
        n_nodes = nodes.n_nodes
        g = graph.graph_build(nodes=nodes)
        seeds, _ = graph.seeds_choose(nodes=nodes, now=int(time.time()))
        t0 = time.perf_counter()
        result = propagate_trust(g, seeds)
        ours = time.perf_counter() - t0
        steps = result.iterations
        matrix = g.transition_t
        start = np.zeros(n_nodes, dtype=np.float32)
        start[seeds] = 1.0 / len(seeds)
        x = start.copy()
        t0 = time.perf_counter()
        for _ in range(steps):
            x = 0.15 * start + 0.85 * (matrix @ x)
        bare = time.perf_counter() - t0
        return {"ours": ours, "bare": bare, "steps": steps}


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def _hwm_mb(pid: int) -> float:
    """Peak resident memory of one process so far (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
