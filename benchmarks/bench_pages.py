"""Page benchmark (issue 10): requests per second for the dashboard and the public profile
under gunicorn on PostgreSQL, as a ratio to a bare Django view returning a fixed string,
measured in the same run.

    export DATABASE_URL=postgres://... REDIS_URL=redis://...
    .venv/bin/python -m benchmarks.bench_pages            # --seconds 10 --concurrency 8

It migrates, collects static files, makes (or reuses) one benchmark member with a handle,
every consent, a score, history, topics and a verified source, signs them in for the
dashboard, then starts gunicorn as the Procfile does (sync workers, default 2) with
``benchmarks.pages_settings`` (the project's settings plus the bare view). An asyncio
client in this process opens one connection per request (sync workers close each one)
and counts only answers with the expected status; each endpoint gets a short warm-up
(which fills the public page's cache) and then ``--seconds`` of load, in rounds. Each
round's rates are compared with that round's bare view, and the median ratio is reported:
short rounds, many of them, resist the load of a shared machine best.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

from influence.cache import cache_clear_own_keys

ROOT = Path(__file__).resolve().parent.parent
HANDLE = "bench_pages"
EMAIL = "bench-pages@example.invalid"


def setup_member() -> str:
    """The benchmark member (made once, reused); returns a signed-in session key."""
    from django.conf import settings
    from django.test import Client

    from profiles.models import User
    from profiles.purposes import PURPOSES, Purpose
    from profiles.services import consents_record_signup
    from profiles.services.handles import handle_set, profile_update
    from scoring.models import Score, ScoreSnapshot, Topic, TopicStatus
    from signals.models import Source, SourceKind

    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=EMAIL, password=uuid.uuid4().hex)
        consents_record_signup(user=user, granted=[Purpose.TERMS, *PURPOSES])
        handle_set(member=user, handle=HANDLE)
        profile_update(member=user, display_name="Bench Member", bio="Benchmarks pages.",
                       shown_account_ids=[])  # fmt: skip
        components = {"base": "1.00", "reach": "30.00", "engagement": "30.50"}
        for n in range(200):
            ScoreSnapshot.objects.create(
                user=user, run_id=uuid.uuid4(), value=Decimal(40 + n % 20), components=components,
                model_version="bench",
            )  # fmt: skip
        Score.objects.create(
            user=user, value=Decimal("61.50"), components=components, confidence=0.8,
            model_version="bench", run_id=uuid.uuid4(),
        )  # fmt: skip
        Topic.objects.bulk_create(
            Topic(user=user, label=f"topic {n}", status=TopicStatus.APPROVED, score=n)
            for n in range(50)
        )
        Source.objects.create(
            user=user, kind=SourceKind.GITHUB, network="github", handle="bench-pages",
            handle_hash=-424242, verified=True,
        )  # fmt: skip
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's worker processes (Linux)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def one(port: int, path: str, headers: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    data = await reader.read()
    writer.close()
    return int(data[9:12]) if data.startswith(b"HTTP/1.") else 0


async def load(port: int, path: str, headers: str, seconds: float, concurrency: int,
               expect: int) -> tuple[int, int]:  # fmt: skip
    """Requests with the expected status, and any others, in ``seconds``."""
    good = bad = 0
    deadline = time.perf_counter() + seconds

    async def user() -> None:
        nonlocal good, bad
        while time.perf_counter() < deadline:
            try:
                status = await one(port, path, headers)
            except OSError:
                status = 0
            if status == expect:
                good += 1
            else:
                bad += 1

    await asyncio.gather(*(user() for _ in range(concurrency)))
    return good, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per endpoint per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slice", type=float, default=0.5, help="seconds per turn")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "influence.settings")
    os.environ.setdefault("HTTPS", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench_pages measures PostgreSQL: set DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    session = setup_member()

    cache_clear_own_keys()

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.pages_settings", "DEBUG": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "influence.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={session}\r\n"
    endpoints = [
        ("bare view", "/bench/bare/", "", 200),
        ("public profile", f"/@{HANDLE}", "", 200),
        ("public profile, signed in", f"/@{HANDLE}", cookie, 200),
        ("dashboard", "/dashboard/", cookie, 200),
    ]
    rates: dict[str, list[float]] = {name: [] for name, *_ in endpoints}
    cpu_ms: dict[str, list[float]] = {name: [] for name, *_ in endpoints}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if asyncio.run(one(port, "/bench/bare/", "")) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)
        for _name, path, headers, expect in endpoints:  # warm-up, fills the page cache
            asyncio.run(load(port, path, headers, 1.0, args.concurrency, expect))
        slices = max(1, round(args.seconds / args.slice))
        for _ in range(args.rounds):
            done = dict.fromkeys(rates, 0)
            cpu = dict.fromkeys(rates, 0.0)
            # Endpoints take turns a slice at a time, so a change in the machine's load
            # falls on all of them alike.
            for _ in range(slices):
                for name, path, headers, expect in endpoints:
                    before = workers_cpu(server.pid)
                    good, bad = asyncio.run(
                        load(port, path, headers, args.slice, args.concurrency, expect)
                    )
                    cpu[name] += workers_cpu(server.pid) - before
                    if bad:
                        sys.exit(f"{name}: {bad} answers were not {expect}")
                    done[name] += good
            for name in rates:
                rates[name].append(done[name] / (slices * args.slice))
                cpu_ms[name].append(1000 * cpu[name] / max(done[name], 1))
    finally:
        server.terminate()
        server.wait(timeout=30)

    bares = rates["bare view"]
    print(f"gunicorn {args.workers} sync workers, {args.concurrency} concurrent clients, "
          f"{args.seconds:g} s per endpoint x {args.rounds} round(s) in turns of "
          f"{args.slice:g} s, PostgreSQL")  # fmt: skip
    print(
        f"{'endpoint':<28} {'req/s':>8} {'of bare':>8} {'CPU ms':>7}   "
        "rounds (req/s, % of that round's bare)"
    )
    # The machine is shared: compare each endpoint with the bare view of its own round, and
    # report the median of those ratios (and of the rates).
    for name, values in rates.items():
        ratio = statistics.median(v / b for v, b in zip(values, bares, strict=True))
        each = ", ".join(f"{v:.0f} ({v / b:.0%})" for v, b in zip(values, bares, strict=True))
        ms = statistics.median(cpu_ms[name])
        print(f"{name:<28} {statistics.median(values):>8.0f} {ratio:>8.0%} {ms:>7.2f}   {each}")
    print("CPU ms: gunicorn workers' CPU time per request (PostgreSQL and Redis not included)")


if __name__ == "__main__":
    main()
