from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_the_broker(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_healthz_answers_503_when_the_broker_is_unreachable(client, monkeypatch) -> None:
    from influence.celery import app

    # A real broker address with nothing listening: port 1 on this machine.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] is False
