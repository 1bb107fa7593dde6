"""Shared fixtures: the named people, a real Celery worker process, and Chromium.

alice consented to everything; bob never consented to scoring; carol withdrew scoring;
mallory tries to reach others' data; mod is a moderator.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from influence.cache import cache_clear_own_keys
from profiles.models import User
from profiles.purposes import OPTIONAL_PURPOSES, Purpose
from profiles.services import consent_withdraw, consents_record_signup

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# there unless told otherwise.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


# CI sets these, so a test that needs a service it cannot reach fails instead of skipping.
REQUIRE_BROWSER = _required("REQUIRE_BROWSER")
REQUIRE_POSTGRES = _required("REQUIRE_POSTGRES")
REQUIRE_REDIS = _required("REQUIRE_REDIS")
# One queue per test run, so a dev worker on the same broker never takes test tasks.
# (Under pytest-xdist each test process imports this module: each has queues of its own.)
TEST_QUEUE = f"influence-test-{uuid.uuid4().hex[:8]}"
# Settings the test process and the workers it starts share.
TEST_WORKER_ENV = {"SCORING_DISPATCH_COALESCE_SECONDS": "0.2"}


def _redis_url_with_db(url: str, offset: int) -> str:
    """REDIS_URL with its database number moved up by ``offset``."""
    parts = urllib.parse.urlsplit(url)
    db = int(parts.path.strip("/") or 0) + offset
    if db > 15:
        raise pytest.UsageError(
            f"pytest-xdist: process {offset} would need Redis database {db} ({url} plus "
            f"{offset}); Redis has 16. Use a lower database in REDIS_URL or fewer processes."
        )
    return urllib.parse.urlunsplit(parts._replace(path=f"/{db}"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: Any, specs: list[Any]) -> None:
    """`pytest -n N` (make test): each test process gets what a test run has to itself, as
    its test database has (pytest-django names it per process): a Redis database (REDIS_URL's
    own for gw0, the next ones up for gw1...), since the cache is cleared by key prefix before
    every test and allauth counts rate limits in it; and a VAR_DIR folder. The environment
    is set before the process loads the settings, and its worker processes inherit it."""
    for spec in specs:
        n = int(spec.id.removeprefix("gw"))
        if settings.REDIS_URL:
            spec.env["REDIS_URL"] = _redis_url_with_db(settings.REDIS_URL, n)
        spec.env["VAR_DIR"] = str(Path(settings.VAR_DIR) / f"xdist-{spec.id}")


def import_queue_of(queue: str) -> str:
    """The import queue that goes with a test queue (settings.CELERY_IMPORT_QUEUE)."""
    return f"{queue}-imports"


@pytest.fixture(autouse=True)
def _fast_tests(settings: Any) -> Iterator[None]:

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Requests for a score still coalesce, over a shorter wait than production's 2 s (the
    # workers the tests start have the same, TEST_WORKER_ENV).
    settings.SCORING_DISPATCH_COALESCE_SECONDS = float(
        TEST_WORKER_ENV["SCORING_DISPATCH_COALESCE_SECONDS"]
    )
    # allauth's rate limits count in the cache; each test starts with a clean slate.
    cache_clear_own_keys()
    from profiles.public_cache import _local as public_pages_in_process

    public_pages_in_process.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _flush_survives_a_deadlock() -> Iterator[None]:
    """Transactional tests end with `flush` (TRUNCATE of every table). The session's real
    worker may still be finishing a task an earlier test queued, holding a lock on one table
    while it waits for another that TRUNCATE already holds: PostgreSQL then cancels one of
    the two, and when that is the flush, the next test starts on leftover rows. Retry it."""
    from django.core.management.base import CommandError
    from django.core.management.commands import flush

    original = flush.Command.handle

    def handle(self: Any, *args: Any, **options: Any) -> Any:
        for attempt in range(4):
            try:
                return original(self, *args, **options)
            except CommandError as exc:  # it wraps the database's error
                if attempt == 3 or "deadlock detected" not in str(exc.__cause__):
                    raise
                time.sleep(0.25 * (attempt + 1))
        return None

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = original  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def _static_files() -> Iterator[None]:
    # The live server serves static files through the finders, which know only unhashed
    # names; the hashed manifest build is tested by test_deploy instead.
    from django.test.utils import override_settings

    override = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        },
        # The test client and the live server speak plain http, like `make run`
        # (HTTPS=false); the production defaults are tested by test_deploy.
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(scope="session", autouse=True)
def _test_queue() -> None:
    from influence.celery import app

    app.conf.task_default_queue = TEST_QUEUE
    # Imports are routed by signals.enqueue.route_task, which reads this at each send.
    settings.CELERY_IMPORT_QUEUE = import_queue_of(TEST_QUEUE)


def make_member(email: str, purposes: list[str], *, verified: bool = True) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(email=email, password="correct horse battery staple")
    consents_record_signup(user=user, granted=[Purpose.TERMS, *purposes])
    # The named people confirmed their address at sign-up, as allauth asks.
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


@pytest.fixture
def alice(db: None) -> User:
    return make_member("alice@example.org", [p.purpose for p in OPTIONAL_PURPOSES])


@pytest.fixture
def bob(db: None) -> User:
    return make_member("bob@example.org", [])


@pytest.fixture
def carol(db: None) -> User:
    user = make_member("carol@example.org", [Purpose.SCORING])
    consent_withdraw(user=user, purpose=Purpose.SCORING)
    return user


@pytest.fixture
def mallory(db: None) -> User:
    return make_member("mallory@example.org", [Purpose.SCORING])


# mod's TOTP secret (base32), so a test can sign in with a code from it.
MOD_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_enrol(user: User, secret: str = MOD_TOTP_SECRET) -> None:
    """Give a member allauth TOTP, as its activation page does."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)


def moderators_group_restore() -> None:
    """The Moderators group as its data migration makes it: a transactional test's flush
    empties the group tables (permissions come back, with post_migrate; groups do not)."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("moderation.migrations.0003_console_queue_reviews_freezes")
    migration.group_fill(Group, Permission)


@pytest.fixture
def mod(db: None) -> User:
    """A moderator as `grant_staff --moderator` makes one (the Moderators group, not
    superuser), with TOTP set up, as staff must have before any staff page opens."""
    from profiles.services.members import member_staff_set

    moderators_group_restore()
    user = make_member("mod@example.org", [])
    member_staff_set(email=user.email, staff=True, moderator=True)
    totp_enrol(user)
    user.refresh_from_db()
    return user


# --- A real worker --------------------------------------------------------------------


def _database_url() -> str:
    """The URL of the test database, for a worker in another process."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


class WorkerProcess:
    def __init__(
        self,
        extra_env: dict[str, str] | None = None,
        concurrency: int = 1,
        queue: str | None = None,
        imports: bool = True,
        cwd: Path | None = None,
    ) -> None:
        queue = queue or TEST_QUEUE
        queues = f"{queue},{import_queue_of(queue)}" if imports else queue
        env = {
            **os.environ,
            # The project stays importable from any working directory (another machine).
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "DATABASE_URL": _database_url(),
            "CELERY_QUEUE": queue,
            "CELERY_IMPORT_QUEUE": import_queue_of(queue),
            "VAR_DIR": str(settings.VAR_DIR),
            "HANDLE_HASH_KEY": settings.HANDLE_HASH_KEY.decode(),
            "SECRET_KEY": settings.SECRET_KEY,
            **TEST_WORKER_ENV,
            **(extra_env or {}),
        }
        self.log = Path(settings.VAR_DIR) / f"test-worker-{uuid.uuid4().hex[:6]}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "influence", "worker",
                "--loglevel", "INFO", "--concurrency", str(concurrency), "--pool", "prefork",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-Q", queues, "-n", f"test-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=cwd or ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes the pool too
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if b"ready." in self.log.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crash would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def private_queue() -> Iterator[str]:
    """Send this process's tasks to a queue of their own, for a worker of the test's own,
    so the session's shared worker cannot take them."""
    from influence.celery import app

    queue = f"influence-test-{uuid.uuid4().hex[:8]}"
    shared = app.conf.task_default_queue, settings.CELERY_IMPORT_QUEUE
    app.conf.task_default_queue = queue
    settings.CELERY_IMPORT_QUEUE = import_queue_of(queue)
    try:
        yield queue
    finally:
        app.conf.task_default_queue, settings.CELERY_IMPORT_QUEUE = shared


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup: None, django_db_blocker: Any) -> Iterator[WorkerProcess]:
    """A real `celery worker` process on the configured broker and the test database, on
    the session's test queues, emptied first: tests without a worker leave the tasks they
    sent waiting there, and a worker that had to work through that backlog first would
    run this test's tasks late (a test timing a race would then see no race)."""
    worker_queues_purge()
    worker = WorkerProcess()
    yield worker
    worker.stop()


def worker_queues_purge() -> int:
    """Empty the session's test queues (only those: the broker is shared); the number of
    waiting messages dropped."""
    from influence.celery import app

    dropped = 0
    with app.connection_for_write() as conn:
        channel: Any = conn.default_channel  # kombu types it as StdChannel, without queue_purge
        for name in (TEST_QUEUE, import_queue_of(TEST_QUEUE)):
            with contextlib.suppress(Exception):  # a queue nobody declared yet
                dropped += channel.queue_purge(name) or 0
    return dropped


def wait_for(
    check: Callable[[], Any],
    *,
    timeout: float = 60,
    what: str = "condition",
    interval: float = 0.25,
) -> Any:
    """Poll until check() is truthy; the worker is a separate process, so this is real time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- Tests that need PostgreSQL or Redis -----------------------------------------------


def pytest_sessionstart(session: Any) -> None:
    from django.db import connection

    if REQUIRE_POSTGRES and connection.vendor != "postgresql":
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    if REQUIRE_REDIS and not settings.REDIS_URL:
        raise pytest.UsageError("REQUIRE_REDIS is set but REDIS_URL is not set")


def pytest_runtest_setup(item: Any) -> None:
    """`@pytest.mark.postgres` and `@pytest.mark.redis` tests skip on the embedded default,
    and fail when REQUIRE_POSTGRES / REQUIRE_REDIS say the service must be there."""
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        reason = "needs PostgreSQL (set DATABASE_URL=postgres://...)"
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES is set, but this test {reason}")
        pytest.skip(reason)
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        reason = "needs Redis as the broker (set REDIS_URL=redis://...)"
        if REQUIRE_REDIS:
            pytest.fail(f"REQUIRE_REDIS is set, but this test {reason}")
        pytest.skip(reason)


# --- Chromium -------------------------------------------------------------------------


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    if REQUIRE_BROWSER:
        return  # the browser fixture fails loudly instead of skipping
    print(f"\nSkipping browser tests: {reason}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"REQUIRE_BROWSER is set but Chromium is missing at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }  # fmt: skip


@pytest.fixture
def archive_file(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "archive.jsonl") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
