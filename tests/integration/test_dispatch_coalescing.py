"""Requests for a score coalesce (scoring/enqueue.py): a burst of requests sends one
dispatch and makes one run, and a request made once that dispatch has started sends
another. On a real worker and broker."""

from __future__ import annotations

from typing import Any

import pytest
from celery.signals import before_task_publish

from scoring.enqueue import SCORING_DISPATCH
from scoring.models import Score, ScoringRun
from scoring.services.runs import score_request
from tests.conftest import WorkerProcess, wait_for
from tests.integration.members import member_with_signals

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dispatches_sent() -> Any:
    sent: list[dict[str, Any]] = []

    def capture(sender: str | None = None, headers: dict[str, Any] | None = None, **_: Any) -> None:
        if sender == SCORING_DISPATCH:
            sent.append(headers or {})

    before_task_publish.connect(capture, weak=False)
    yield sent
    before_task_publish.disconnect(capture)


def test_a_burst_of_requests_makes_one_run_and_a_later_request_another(
    settings: Any, celery_worker_process: WorkerProcess, dispatches_sent: list[dict[str, Any]]
) -> None:
    settings.SCORING_DISPATCH_COALESCE_SECONDS = 1.5
    burst = [member_with_signals(n, prefix="burst") for n in range(6)]
    for member in burst:  # six requests, each committed on its own (autocommit)
        score_request(user_id=member.pk)

    assert len(dispatches_sent) == 1, "the requests after the first rode on its dispatch"
    assert dispatches_sent[0].get("eta"), "sent to run later, not at once"
    wait_for(
        lambda: Score.objects.filter(user__in=burst).count() == len(burst),
        timeout=60,
        what=f"the burst to be scored; worker log:\n{celery_worker_process.output()}",
    )
    assert ScoringRun.objects.count() == 1, "one run scored the whole burst"
    assert ScoringRun.objects.get().members == len(burst)

    # The dispatch has run (it cleared its pending mark before claiming): a new request
    # sends a new dispatch, and its member gets a run of its own.
    late = member_with_signals(99, prefix="late")
    score_request(user_id=late.pk)
    assert len(dispatches_sent) == 2
    wait_for(
        lambda: Score.objects.filter(user=late).exists(),
        timeout=60,
        what=f"the late member to be scored; worker log:\n{celery_worker_process.output()}",
    )
    assert ScoringRun.objects.count() == 2


def test_with_coalescing_off_every_request_sends_a_dispatch_at_once(
    settings: Any, dispatches_sent: list[dict[str, Any]]
) -> None:
    settings.SCORING_DISPATCH_COALESCE_SECONDS = 0
    for n in range(3):
        score_request(user_id=member_with_signals(n, prefix="plain").pk)
    assert len(dispatches_sent) == 3
    assert not any(h.get("eta") for h in dispatches_sent)
