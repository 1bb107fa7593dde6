"""Load test (issue 13): the locust scenario in ``benchmarks/locust/locustfile.py``, run
headless against gunicorn, a real Celery worker, PostgreSQL and Redis on this machine.

    export DATABASE_URL=postgres://... REDIS_URL=redis://...
    .venv/bin/python -m benchmarks.load --seconds 60 --users 200     # --members 40 --web-workers 4

It migrates, collects static files, seeds (or reuses) a population of members (verified
address, every consent, a handle, a score with history, approved topics) with a session for
each, then starts gunicorn on a free port and ``celery worker`` on queues of its own, both
with ``DEBUG=false`` on the same database and Redis, runs locust for ``--seconds`` and
prints p50/p95/p99 per endpoint, requests/s and failures. Members sign in (the first
``--form-signins`` through allauth's form with CSRF, the rest with the session made in
setup), view the dashboard, topics and public profiles, upload small archives (the
one-pending-import refusal is an expected answer) and change a consent; anonymous visitors
browse the directory, profiles and badges. Exits 1 on any failure. The smoke test
(``tests/load/test_smoke.py``) runs the same code for 30 seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "benchmarks" / "locust" / "locustfile.py"
PASSWORD = "load-test-password-not-secret"  # benchmark members only, served on loopback
TOPICS = ("privacy", "python", "cycling", "cooking", "astronomy", "gardening", "music", "chess")

# Every endpoint the scenario hits, by the name locust reports it under; the smoke test
# checks each one was hit.
MEMBER_ENDPOINTS = (
    "GET /accounts/login/",
    "POST /accounts/login/",
    "GET /dashboard/",
    "GET /topics/",
    "GET /@[handle] (signed in)",
    "GET /imports/new/",
    "POST /imports/new/",
    "GET /imports/[id]/status/",
    "GET /consent/",
    "POST /consent/discovery/",
)
VISITOR_ENDPOINTS = (
    "GET /people/",
    "GET /people/?q=[topic]",
    "GET /@[handle]",
    "GET /@[handle]/badge.svg",
)
ENDPOINTS = MEMBER_ENDPOINTS + VISITOR_ENDPOINTS
# Pages a person waits for (the p95 < 300 ms goal); the rest are form posts and the badge.
PAGE_VIEWS = {
    "GET /dashboard/",
    "GET /topics/",
    "GET /@[handle] (signed in)",
    "GET /imports/new/",
    "GET /consent/",
    "GET /people/",
    "GET /people/?q=[topic]",
    "GET /@[handle]",
}


def population_seed(*, members: int, prefix: str, form_signins: int) -> dict[str, Any]:
    """Make (or reuse) ``members`` members named ``{prefix}_{n}``, each with a verified
    address, every consent, a public handle, a score with history and approved topics, and
    a signed-in session. Returns what the locustfile reads (JSON-serialisable)."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import transaction
    from django.utils import timezone
    from django.utils.module_loading import import_string

    from profiles.models import User
    from profiles.purposes import OPTIONAL_PURPOSES, Purpose
    from profiles.selectors import has_active_consent
    from profiles.services import consent_give, consents_record_signup
    from profiles.services.handles import handle_set, profile_update
    from scoring.models import Score, ScoreSnapshot, Topic, TopicStatus
    from signals.models import ImportJob, ImportStatus

    # Hashed explicitly with the production hasher, whatever the calling process's settings
    # (the tests' are MD5, which gunicorn does not accept); once, shared by every member.
    hasher = PBKDF2PasswordHasher()
    password_hash = hasher.encode(PASSWORD, hasher.salt())
    people = []
    now = timezone.now()
    for n in range(members):
        handle = f"{prefix}_{n}"
        email = f"{prefix}-{n}@example.invalid"
        with transaction.atomic():
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email)
                consents_record_signup(
                    user=user, granted=[Purpose.TERMS, *(p.purpose for p in OPTIONAL_PURPOSES)]
                )
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                handle_set(member=user, handle=handle)
                profile_update(member=user, display_name=f"Load member {n}",
                               bio="Made by the load test.", shown_account_ids=[])  # fmt: skip
                components = {"base": "1.00", "reach": "30.00", "engagement": "30.50"}
                ScoreSnapshot.objects.bulk_create(
                    ScoreSnapshot(
                        user=user,
                        run_id=uuid.uuid4(),
                        value=Decimal(40 + d % 20),
                        components=components,
                        model_version="load",
                        computed_at=now - timedelta(days=d),
                    )  # fmt: skip
                    for d in range(30)
                )
                Score.objects.create(
                    user=user, value=Decimal(50 + n % 40), components=components,
                    confidence=0.8, model_version="load", run_id=uuid.uuid4(),
                )  # fmt: skip
                Topic.objects.bulk_create(
                    Topic(
                        user=user,
                        label=TOPICS[(n + k) % len(TOPICS)],
                        score=10 * (k + 1),
                        status=TopicStatus.APPROVED,
                    )  # fmt: skip
                    for k in range(3)
                )
            user.password = password_hash
            user.save(update_fields=["password"])
            # A run cut off earlier may have left the consent withdrawn or an import
            # pending on a queue nobody serves any more: start each run from the same state.
            if not has_active_consent(user_id=user.pk, purpose=Purpose.DISCOVERY):
                consent_give(user=user, purpose=Purpose.DISCOVERY)
            ImportJob.objects.filter(
                user=user, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
            ).update(status=ImportStatus.FAILED, message="Left over by an earlier load run.")
        session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        people.append({"email": email, "handle": handle, "session": session.session_key})
    return {
        "members": people,
        "password": PASSWORD,
        "form_signins": form_signins,
        "topics": list(TOPICS),
        "session_cookie": settings.SESSION_COOKIE_NAME,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """The URL of the database this process is using (the test database under pytest)."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def static_collected() -> bool:
    """Whether the static manifest is newer than every file in ``static/`` (collecting
    takes over a minute on this machine, mostly compressing the API docs' assets)."""
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    newest = max(p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    return manifest.stat().st_mtime > newest


@dataclass
class Stack:
    url: str
    web: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    logs: Path
    queue: str


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, with every child it has."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def stack_running(
    *,
    web_workers: int,
    worker_concurrency: int,
    logs: Path,
    manifest: bool = True,
    web_threads: int = 1,
) -> Iterator[Stack]:
    """gunicorn (``web_workers`` sync workers, free port) and a Celery worker on queues of
    its own, both ``DEBUG=false`` on this process's database and Redis; stopped on exit,
    with their children, whatever happens. With ``manifest`` (production's static files)
    it runs ``collectstatic`` when the manifest is older than ``static/``; without, static
    files come from the finders (``benchmarks.load_settings``)."""
    from django.conf import settings

    logs.mkdir(parents=True, exist_ok=True)
    queue = f"influence-load-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "influence.settings" if manifest else "benchmarks.load_settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        "CELERY_IMPORT_QUEUE": f"{queue}-imports",
        "VAR_DIR": str(settings.VAR_DIR),
        "SECRET_KEY": settings.SECRET_KEY,
        "HANDLE_HASH_KEY": settings.HANDLE_HASH_KEY.decode(),
        "DEBUG": "false",
        "HTTPS": "false",
    }
    if manifest and not static_collected():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
    port = free_port()
    started: list[subprocess.Popen[bytes]] = []
    try:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "influence.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(web_workers), "--timeout", "120", "--log-level", "warning",
             *(["--worker-class", "gthread", "--threads", str(web_threads), "--keep-alive", "5"]
               if web_threads > 1 else [])],
            cwd=ROOT, env=env, stdout=(logs / "web.log").open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        started.append(web)
        worker_log = logs / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "influence", "worker", "--loglevel", "INFO",
             "--concurrency", str(worker_concurrency), "--without-gossip", "--without-mingle",
             "-Q", f"{queue},{queue}-imports", "-n", f"{queue}@%h"],
            cwd=ROOT, env=env, stdout=worker_log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        started.append(worker)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        web_up = worker_up = False
        while not (web_up and worker_up):
            for proc, name in ((web, "web.log"), (worker, "worker.log")):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} ended early:\n{(logs / name).read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn or the worker did not start in 60 s")
            if not web_up:
                with contextlib.suppress(OSError):
                    web_up = urllib.request.urlopen(f"{url}/healthz", timeout=5).status == 200
            worker_up = worker_up or b"ready." in worker_log.read_bytes()
            time.sleep(0.2)
        yield Stack(url=url, web=web, worker=worker, logs=logs, queue=queue)
    finally:
        for proc in started:
            _stop(proc)


@dataclass
class EndpointStats:
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


@dataclass
class LoadResult:
    seconds: float
    endpoints: dict[str, EndpointStats]
    total: EndpointStats
    failures: list[str] = field(default_factory=list)
    exit_code: int = 0

    def table(self) -> str:
        """The figures as a Markdown table, page views marked."""
        lines = [
            "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | req/s |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in [*sorted(self.endpoints.values(), key=lambda r: r.name), self.total]:
            name = f"{row.name} *" if row.name in PAGE_VIEWS else row.name
            lines.append(
                f"| {name} | {row.requests} | {row.failures} | {row.p50:.0f} | "
                f"{row.p95:.0f} | {row.p99:.0f} | {row.rps:.1f} |"
            )
        return "\n".join(lines)


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group
    (Linux /proc): gunicorn's or the worker's master and every process it started."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5, the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def named_cpu_seconds(name: str) -> float:
    """CPU seconds used so far by every process named ``name`` (``comm``: "postgres",
    "redis-server"), with what their exited children used (PostgreSQL's postmaster reaps
    the backends of closed connections). Machine-wide: anyone else's use counts too."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text.split(" (", 1)[1].rsplit(")", 1)
        if comm == name:
            fields = rest.split()
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """The whole machine's (busy, total) CPU seconds since boot, every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    total = sum(values[:8])
    return (total - idle) / os.sysconf("SC_CLK_TCK"), total / os.sysconf("SC_CLK_TCK")


def endpoint_costs(
    *, url: str, web_pgid: int, population: dict[str, Any], repeat: int = 30
) -> dict[str, float]:
    """gunicorn's CPU milliseconds per request for each page, one request at a time (so
    the figure does not depend on queueing): where a request's time goes."""
    import requests

    member, other = population["members"][0], population["members"][-1]
    cookie = {population["session_cookie"]: member["session"]}
    pages = {
        "GET /@[handle]": (f"/@{other['handle']}", None),
        "GET /@[handle]/badge.svg": (f"/@{other['handle']}/badge.svg", None),
        "GET /people/": ("/people/", None),
        "GET /people/?q=[topic]": (f"/people/?q={population['topics'][0]}", None),
        "GET /@[handle] (signed in)": (f"/@{other['handle']}", cookie),
        "GET /dashboard/": ("/dashboard/", cookie),
        "GET /topics/": ("/topics/", cookie),
        "GET /consent/": ("/consent/", cookie),
        "GET /imports/new/": ("/imports/new/", cookie),
    }
    costs = {}
    for name, (path, cookies) in pages.items():
        requests.get(url + path, cookies=cookies, timeout=30)  # warm (the page cache too)
        before = group_cpu_seconds(web_pgid)
        for _ in range(repeat):
            response = requests.get(url + path, cookies=cookies, timeout=30)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        costs[name] = 1000 * (group_cpu_seconds(web_pgid) - before) / repeat
    return costs


def _stats_row(row: dict[str, str]) -> EndpointStats:
    name = row["Name"] if row["Type"] in ("", "None") else f"{row['Type']} {row['Name']}"

    def pct(key: str) -> float:
        return float(row[key]) if row[key] not in ("", "N/A") else 0.0

    return EndpointStats(
        name=name, requests=int(row["Request Count"]), failures=int(row["Failure Count"]),
        p50=pct("50%"), p95=pct("95%"), p99=pct("99%"), rps=float(row["Requests/s"]),
    )  # fmt: skip


def locust_run(
    *,
    url: str,
    population: dict[str, Any],
    users: int,
    spawn_rate: float,
    seconds: int,
    out: Path,
) -> LoadResult:
    """Run the scenario headless for ``seconds`` (locust in its own process, as gevent
    patches the standard library) and read its CSV statistics."""
    out.mkdir(parents=True, exist_ok=True)
    population_file = out / "population.json"
    population_file.write_text(json.dumps(population))
    prefix = out / "locust"
    member_users = min(len(population["members"]), users)
    proc = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
         "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", f"{seconds}s",
         "--stop-timeout", "10", "--csv", str(prefix), "--only-summary",
         "--loglevel", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120,
        env={**os.environ, "LOAD_POPULATION": str(population_file),
             "LOAD_MEMBER_USERS": str(member_users)},
    )  # fmt: skip
    (out / "locust.log").write_text(proc.stdout + proc.stderr)
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = [_stats_row(row) for row in csv.DictReader(f)]
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = [
            f"{row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}x)"
            for row in csv.DictReader(f)
        ]
    # An exception in a task is not a failed request to locust: count it here.
    with open(f"{prefix}_exceptions.csv", newline="") as f:
        failures += [f"exception: {row['Message']} ({row['Count']}x)" for row in csv.DictReader(f)]
    total = next(r for r in rows if r.name == "Aggregated")
    if proc.returncode not in (0, 1):  # 1 is locust's answer to failed requests
        failures.append(f"locust exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return LoadResult(
        seconds=seconds,
        endpoints={r.name: r for r in rows if r.name != "Aggregated"},
        total=total,
        failures=failures,
        exit_code=proc.returncode,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=200, help="locust users, 1 task/s each")
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--members", type=int, default=40, help="members; one user each")
    parser.add_argument(
        "--form-signins", type=int, default=20,
        help="members that sign in through the form (allauth allows 30 a minute per address)",
    )  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--web-threads", type=int, default=1,
        help="threads a gunicorn worker (over 1: gthread workers, which keep connections open)",
    )  # fmt: skip
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument(
        "--costs", action="store_true", help="then gunicorn's CPU a request, page by page"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "influence.settings")
    os.environ.setdefault("HTTPS", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from influence.cache import cache_clear_own_keys

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("the load test measures PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    call_command("migrate", verbosity=0)
    population = population_seed(
        members=args.members, prefix="load", form_signins=args.form_signins
    )
    cache_clear_own_keys()  # allauth's sign-in rate limit counts in the cache
    connection.close()
    out = Path(settings.VAR_DIR) / "load"
    with stack_running(
        web_workers=args.web_workers, worker_concurrency=args.worker_concurrency, logs=out,
        web_threads=args.web_threads,
    ) as stack:  # fmt: skip
        web0, worker0 = group_cpu_seconds(stack.web.pid), group_cpu_seconds(stack.worker.pid)
        machine0, children0 = machine_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
        services0 = {n: named_cpu_seconds(n) for n in ("postgres", "redis-server")}
        result = locust_run(
            url=stack.url, population=population, users=args.users,
            spawn_rate=args.spawn_rate, seconds=args.seconds, out=out,
        )  # fmt: skip
        web = group_cpu_seconds(stack.web.pid) - web0
        worker = group_cpu_seconds(stack.worker.pid) - worker0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust = (children.ru_utime + children.ru_stime) - (children0.ru_utime + children0.ru_stime)
        machine = [b - a for a, b in zip(machine0, machine_cpu(), strict=True)]
        services = {n: named_cpu_seconds(n) - v for n, v in services0.items()}
        load = os.getloadavg()[0]
        costs = {}
        if args.costs:
            costs = endpoint_costs(url=stack.url, web_pgid=stack.web.pid, population=population)
    kind = (
        f"gthread workers of {args.web_threads} threads" if args.web_threads > 1 else "sync workers"
    )
    print(
        f"{args.seconds} s, {args.users} users ({min(args.members, args.users)} members), "
        f"gunicorn {args.web_workers} {kind}, Celery worker concurrency "
        f"{args.worker_concurrency}, PostgreSQL and Redis; * = page view"
    )
    print(result.table())
    pages = [r for r in result.endpoints.values() if r.name in PAGE_VIEWS]
    worst = max(pages, key=lambda r: r.p95)
    print(
        f"\n{result.total.rps:.1f} req/s, {result.total.failures} failures; "
        f"worst page view p95 {worst.p95:.0f} ms ({worst.name})"
    )
    requests = max(result.total.requests, 1)
    print(
        f"CPU seconds in the run: gunicorn {web:.1f} ({1000 * web / requests:.1f} ms a "
        f"request), Celery worker {worker:.1f}, locust {locust:.1f}, PostgreSQL "
        f"{services['postgres']:.1f}, Redis {services['redis-server']:.1f} (all of the "
        f"machine's), the rest {machine[0] - web - worker - locust - sum(services.values()):.1f}"
        f" (the kernel and anything else); the machine was {machine[0] / machine[1]:.0%} busy "
        f"({machine[0]:.0f} of {machine[1]:.0f} CPU seconds; load average {load:.1f} at the "
        f"end); cores: {os.cpu_count()}"
    )
    for name, ms in costs.items():
        print(f"gunicorn CPU ms a request, one at a time: {name:<28} {ms:6.1f}")
    for line in result.failures:
        print("FAILURE", line)
    print(f"logs and CSV in {out}")
    sys.exit(1 if result.failures or result.total.failures else 0)


if __name__ == "__main__":
    main()
