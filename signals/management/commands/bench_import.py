"""manage.py bench_import: end-to-end archive import speed and memory, against a naive baseline.

Generates an archive (default 1,000,000 interactions from 100,000 counterparts), then runs,
each in its own process so peak RSS is its own:

- ours: the real import service (read, validate, hash, aggregate, store under the consent
  lock) for a temporary member, deleted afterwards;
- naive: json.loads + an un-cached HMAC + one ORM ``create()`` per event into a throwaway
  table, on the first ``--baseline-events`` events (a full run would take many minutes),
  its wall time for the whole archive extrapolated from the measured rate and marked so.

Prints interactions/s, wall time and peak RSS for both. Run it on PostgreSQL:
``DATABASE_URL=postgres://... .venv/bin/python manage.py bench_import``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Benchmark archive import against a naive one-create-per-event baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interactions", type=int, default=1_000_000)
        parser.add_argument("--counterparts", type=int, default=100_000)
        parser.add_argument("--posts", type=int, default=5_000)
        parser.add_argument("--baseline-events", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--worst-mb",
            type=int,
            help="instead: import the worst archives of this size (every shape of "
            "benchmarks.archive_synth.WORST_SHAPES) and a regular one, each in a child "
            "process, printing peak RSS, time and interactions/s",
        )
        parser.add_argument(
            "--shapes",
            default="",
            help="with --worst-mb: only these comma-separated shapes (default: all)",
        )
        parser.add_argument(
            "--no-regular", action="store_true", help="with --worst-mb: skip the regular run"
        )
        parser.add_argument("--phase", choices=["ours", "naive"], help="internal: run one phase")
        parser.add_argument("--file", type=Path, help="internal: the archive to import")
        parser.add_argument("--allow-refusal", action="store_true", help="internal")

    def handle(self, *args: Any, **opts: Any) -> None:
        self.allow_refusal = opts["allow_refusal"]
        if opts["phase"] == "ours":
            self.stdout.write(json.dumps(self._ours(opts["file"])))
            return
        if opts["phase"] == "naive":
            self.stdout.write(json.dumps(self._naive(opts["file"], opts["baseline_events"])))
            return
        if opts["worst_mb"]:
            self._worst(opts)
            return
        from benchmarks.archive_synth import generate_archive

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.jsonl"
            t0 = time.perf_counter()
            stats = generate_archive(
                path,
                interactions=opts["interactions"],
                counterparts=opts["counterparts"],
                posts=opts["posts"],
                seed=opts["seed"],
            )
            size_mb = path.stat().st_size / 1e6
            self.stdout.write(
                f"archive: {stats.lines:,} lines, {stats.interactions:,} interactions, "
                f"{opts['counterparts']:,} counterparts, {size_mb:.0f} MB "
                f"(generated in {time.perf_counter() - t0:.1f} s)"
            )
            self.stdout.write(f"database: {connection.vendor}")
            results = {}
            for phase in ("ours", "naive"):
                cmd = [sys.executable, "manage.py", "bench_import", "--phase", phase]
                cmd += ["--file", str(path), "--baseline-events", str(opts["baseline_events"])]
                out = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if out.returncode != 0:
                    self.stderr.write(out.stderr[-3000:])
                    raise SystemExit(f"{phase} phase failed")
                results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
        ours, naive = results["ours"], results["naive"]
        naive_full = stats.interactions / naive["rate"]
        rows = [
            ("ours", ours["rate"], ours["wall"], ours["rss"], f"{ours['events']:,} events"),
            (
                "naive",
                naive["rate"],
                naive_full,
                naive["rss"],
                f"{naive['events']:,} events measured; wall extrapolated",
            ),
        ]
        self.stdout.write(f"{'':6} {'interactions/s':>15} {'wall s':>9} {'peak RSS MB':>12}")
        for name, rate, wall, rss, note in rows:
            self.stdout.write(f"{name:6} {rate:15,.0f} {wall:9.1f} {rss:12.0f}   {note}")
        self.stdout.write(f"speed-up: {ours['rate'] / naive['rate']:.0f}x")

    allow_refusal = False

    def _child(self, path: Path, phase: str = "ours", *extra: str) -> dict[str, Any]:
        cmd = [sys.executable, "manage.py", "bench_import", "--phase", phase, "--file", str(path)]
        out = subprocess.run([*cmd, *extra], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            self.stderr.write(out.stderr[-3000:])
            raise SystemExit(f"{phase} phase failed")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    def _worst(self, opts: dict[str, Any]) -> None:
        """Peak RSS of the import worker for the worst archives, and the regular rate."""
        from benchmarks.archive_synth import WORST_SHAPES, generate_archive, generate_worst_archive

        size = opts["worst_mb"] * 1024 * 1024
        # Each shape is measured at the limit that bounds it, and one over it.
        caps = {
            "followers": settings.IMPORT_MAX_COUNTERPARTS,
            "interactions": settings.IMPORT_MAX_COUNTERPARTS,
            "posts": settings.IMPORT_MAX_KEYWORDS,
            "many-posts": settings.IMPORT_MAX_POSTS,
        }
        shapes = [s for s in opts["shapes"].split(",") if s] or list(WORST_SHAPES)
        unknown = set(shapes) - set(WORST_SHAPES)
        if unknown:
            raise SystemExit(f"unknown shapes {sorted(unknown)}; known: {WORST_SHAPES}")
        self.stdout.write(
            f"database: {connection.vendor}; "
            f"IMPORT_MAX_COUNTERPARTS={settings.IMPORT_MAX_COUNTERPARTS:,}; "
            f"IMPORT_MAX_POSTS={settings.IMPORT_MAX_POSTS:,}; "
            f"IMPORT_MAX_KEYWORDS={settings.IMPORT_MAX_KEYWORDS:,}; "
            f"IMPORT_MAX_MB={settings.IMPORT_MAX_BYTES >> 20}"
        )
        self.stdout.write(
            f"{'archive':34} {'MB':>5} {'wall s':>7} {'peak RSS MB':>12} {'interactions/s':>15}"
            "  outcome"
        )
        with tempfile.TemporaryDirectory() as tmp:
            cases: list[tuple[str, Path]] = []
            for shape in shapes:
                cap = caps[shape]
                for distinct in (cap, cap + 1):
                    path = Path(tmp) / f"worst-{shape}-{distinct}.jsonl"
                    generate_worst_archive(
                        path, size_bytes=size - (2 << 20), shape=shape, counterparts=distinct
                    )
                    cases.append((f"worst {shape}, {distinct:,}", path))
            if not opts["no_regular"]:
                regular = Path(tmp) / "regular.jsonl"
                generate_archive(
                    regular,
                    interactions=opts["interactions"],
                    counterparts=opts["counterparts"],
                    posts=opts["posts"],
                    seed=opts["seed"],
                )
                cases.append((f"regular {opts['interactions']:,} interactions", regular))
            for label, path in cases:
                result = self._child(path, "ours", "--allow-refusal")
                outcome = result["status"]
                if result["status"] == "failed":
                    outcome = f"refused: {result['refusal'][:60]}"
                self.stdout.write(
                    f"{label:34} {path.stat().st_size / 2**20:5.0f} {result['wall']:7.1f} "
                    f"{result['rss']:12.0f} {result['rate']:15,.0f}  {outcome}"
                )
                path.unlink()

    def _ours(self, path: Path) -> dict[str, Any]:
        from profiles.models import User
        from profiles.purposes import Purpose
        from profiles.services import consents_record_signup
        from signals.services.imports import archive_import_create, archive_import_run

        if connection.vendor == "postgresql":
            # Earlier runs' rows were deleted by erasure; where autovacuum is off (as on the
            # benchmark machine), their dead index entries would slow each run a little more.
            with connection.cursor() as cursor:
                for table in ("scoring_engagement", "scoring_follow", "scoring_post"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        user = User.objects.create_user(email=f"bench-{uuid.uuid4().hex[:8]}@bench.invalid")
        consents_record_signup(user=user, granted=[Purpose.TERMS, Purpose.SCORING])
        try:
            t0 = time.perf_counter()
            with path.open("rb") as fh:
                job = archive_import_create(
                    user=user, upload=File(fh, name=path.name), name=path.name, enqueue=False
                )
            archive_import_run(job_id=job.pk)
            wall = time.perf_counter() - t0
            job.refresh_from_db()
            if job.status == "failed" and not self.allow_refusal:
                raise SystemExit(f"import refused: {job.message} {job.errors[:3]}")
            return {
                "events": job.interactions,
                "wall": wall,
                "rate": job.interactions / wall,
                "rss": _peak_rss_mb(),
                "status": job.status,
                "refusal": "; ".join(str(e["reason"]) for e in job.errors[:1]) or job.message,
            }
        finally:
            from profiles.services.erasure import account_erase

            account_erase(user=user)  # the ledger only goes through erasure

    def _naive(self, path: Path, limit: int) -> dict[str, float]:
        class RawEvent(models.Model):
            counterpart = models.CharField(max_length=64)
            kind = models.CharField(max_length=16)
            post = models.CharField(max_length=200, blank=True)
            at = models.DateTimeField()

            class Meta:
                app_label = "scoring"
                db_table = "bench_naive_raw_event"

            def __str__(self) -> str:
                return self.kind

        from django.utils.dateparse import parse_datetime

        key = settings.HANDLE_HASH_KEY
        events = 0
        with connection.schema_editor() as editor:
            editor.create_model(RawEvent)
        try:
            t0 = time.perf_counter()
            with transaction.atomic(), path.open("rb") as fh:
                for raw in fh:
                    line = json.loads(raw)
                    if line.get("type") != "interaction":
                        continue
                    who = line.get("by") or line.get("to")
                    digest = hmac.new(key, f"x:{who.lower()}".encode(), hashlib.sha256)
                    RawEvent._default_manager.create(
                        counterpart=digest.hexdigest(),
                        kind=line["kind"],
                        post=line.get("post") or "",
                        at=parse_datetime(line["at"]),
                    )
                    events += 1
                    if events >= limit:
                        break
            wall = time.perf_counter() - t0
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(RawEvent)
        return {"events": events, "wall": wall, "rate": events / wall, "rss": _peak_rss_mb()}
