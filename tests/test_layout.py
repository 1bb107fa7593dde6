"""The layout's contracts that import-linter cannot see: task names and hooks."""

from __future__ import annotations

import pytest
from django.conf import settings

from influence.celery import app
from profiles import enqueue as profile_enqueue
from profiles.hooks import all_hooks
from scoring import enqueue as scoring_enqueue
from signals import enqueue as signal_enqueue

# Names used before the layout step, kept for one release so queued messages still run.
LEGACY_NAMES = [
    "scoring.tasks.import_archive",
    "scoring.tasks.prune_stale_imports",
    "scoring.tasks.prune_old_signals",
    "scoring.tasks.source_sync",
    "scoring.tasks.dispatch_due_source_syncs",
    "scoring.tasks.dispatch_due_scores",
    "profiles.tasks.build_data_export",
    "profiles.tasks.prune_data_exports",
]


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()  # what a worker does at start: autodiscover
    return set(app.tasks)


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_entry_names_a_registered_task(entry: str, registered: set[str]) -> None:
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in registered


def test_every_enqueue_name_is_a_registered_task_named_after_its_service(
    registered: set[str],
) -> None:
    names = [
        *profile_enqueue.TASK_NAMES,
        *signal_enqueue.TASK_NAMES,
        *scoring_enqueue.TASK_NAMES,
    ]
    for name in names:
        assert name in registered, name
        app_label, _, function = name.partition(".tasks.")
        # The task is named after the service function it calls, in its own app.
        services = __import__(f"{app_label}.services", fromlist=["*"])
        modules = [getattr(services, m) for m in dir(services) if not m.startswith("_")]
        assert any(hasattr(m, function) for m in [services, *modules]), name


@pytest.mark.parametrize("legacy", LEGACY_NAMES)
def test_old_task_names_still_run_for_one_release(legacy: str, registered: set[str]) -> None:
    assert legacy in registered


def test_every_hook_has_a_receiver_once_django_is_set_up() -> None:
    hooks = all_hooks()
    assert {h.name for h in hooks} >= {
        "profiles.scoring_granted",
        "profiles.scoring_withdrawn",
        "signals.member_data_changed",
        "scoring.denied_labels",
    }
    for hook in hooks:
        assert hook.receivers, f"{hook.name} has no receiver: a door left unfilled"


def test_providers_with_their_own_clients_can_have_tokens_revoked() -> None:
    from profiles.token_revocation import REVOKERS, TOKEN_READERS

    assert "mastodon" in REVOKERS and "mastodon" in TOKEN_READERS
