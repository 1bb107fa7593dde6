"""Benchmark the signal archive reader against a naive baseline; prints figures.

    python benchmarks/bench_parse.py [--interactions 1000000] [--counterparts 100000]
                                     [--posts 5000] [--seed 1] [--gzip] [--no-baseline]

Generates an archive in a temporary directory, then reads it in a fresh child process
per contender, so each peak RSS (getrusage ru_maxrss) is that contender's own. CPU time
is shown beside wall time because a shared machine makes wall time noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.archive_synth import generate_archive  # noqa: E402
from signals.archive import normalise_handle, read_archive  # noqa: E402

SECRET = b"benchmark-secret-0123456789abcdef"


def naive(path: str) -> dict[str, int]:
    """What a first version would do: json.loads and a fresh HMAC on every line, dicts
    of dicts. Checks nothing much; it is here as the yardstick."""
    network = "other"
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    engagers: dict[str, set[str]] = {}
    followers: dict[str, datetime] = {}
    lines = interactions = 0
    with open(path, "rb") as archive:
        for raw in archive:
            lines += 1
            obj = json.loads(raw)
            kind = obj["type"]
            if kind == "account":
                network = obj["network"]
                continue
            if kind == "post":
                engagers[obj["id"]] = set()
                continue
            handle = obj.get("by") or obj.get("to") or obj.get("of")
            message = f"{network}:{normalise_handle(handle)}".encode()
            digest = hmac.new(SECRET, message, hashlib.sha256).hexdigest()
            at = datetime.fromisoformat(obj["at"]).astimezone(UTC)
            if kind == "interaction":
                interactions += 1
                key = (digest, obj["kind"], "in" if "by" in obj else "out")
                edge = edges.setdefault(key, {"count": 0, "first": at, "last": at})
                edge["count"] += 1
                edge["first"] = min(edge["first"], at)
                edge["last"] = max(edge["last"], at)
                if "post" in obj:
                    engagers[obj["post"]].add(digest)
            else:
                followers[digest] = min(followers.get(digest, at), at)
    return {"lines": lines, "interactions": interactions, "edges": len(edges)}


def reader(path: str) -> dict[str, int]:
    with open(path, "rb") as archive:
        result = read_archive(archive, secret=SECRET, max_bytes=None)
    return {"lines": result.lines, "interactions": result.interactions, "edges": len(result.edges)}


def child(contender: str, path: str) -> None:
    run = {"reader": reader, "naive": naive}[contender]
    wall, cpu = time.perf_counter(), time.process_time()
    totals = run(path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak_mb, **totals}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--counterparts", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gzip", action="store_true", help="read a gzipped archive")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive run")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / ("archive.jsonl" + (".gz" if args.gzip else "")))
        started = time.perf_counter()
        stats = generate_archive(
            path,
            interactions=args.interactions,
            counterparts=args.counterparts,
            posts=args.posts,
            seed=args.seed,
            compress=args.gzip,
        )
        size_mb = Path(path).stat().st_size / 1e6
        print(
            f"archive: {stats.lines:,} lines, {stats.interactions:,} interactions from "
            f"{args.counterparts:,} counterparts over {args.posts:,} posts, {size_mb:.1f} MB"
            f"{' gzipped' if args.gzip else ''} (generated in "
            f"{time.perf_counter() - started:.1f} s)"
        )
        contenders = ["reader"] if args.no_baseline or args.gzip else ["reader", "naive"]
        print(f"{'':8} {'lines/s':>10} {'wall s':>8} {'cpu s':>7} {'peak RSS MB':>12}")
        for contender in contenders:
            output = subprocess.run(
                [sys.executable, __file__, "--child", contender, path],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures = json.loads(output)
            rate = figures["lines"] / figures["wall"]
            print(
                f"{contender:8} {rate:>10,.0f} {figures['wall']:>8.2f} {figures['cpu']:>7.2f} "
                f"{figures['peak_mb']:>12.0f}   (lines/s by cpu time: "
                f"{figures['lines'] / figures['cpu']:,.0f}; edges {figures['edges']:,})"
            )


if __name__ == "__main__":
    main()
