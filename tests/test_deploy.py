"""Production is the same code with other environment values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7Gv2#kL9q!pW4zR8tY1uI6oP3aS5dF0gH2jK4lZ6xC8vB1nM3qW5eR7tY9uI0oP",
    "HANDLE_HASH_KEY": "a-long-random-production-handle-hash-key",
    "ALLOWED_HOSTS": "influence.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://influence.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_COOKIES": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "TRUST_X_FORWARDED_PROTO": "true",
}


def base_env() -> dict[str, str]:
    # The test process's own switches are not part of a deployment.
    skip = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL"}
    return {k: v for k, v in os.environ.items() if k not in skip}


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base_env(), "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=600,  # collectstatic compresses the API docs (Swagger UI, Redoc) too
    )


def test_the_deploy_check_passes_with_the_documented_production_values(tmp_path: Path) -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_false_alone_gives_a_clean_deploy_check(tmp_path: Path) -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={"DEBUG": "false"}, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_false_turns_on_hsts_secure_cookies_and_the_ssl_redirect(tmp_path: Path) -> None:
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE)"
    )
    result = manage("shell", "-v", "0", "-c", script, env={"DEBUG": "false"}, tmp_path=tmp_path)
    assert result.stdout.split() == ["31536000", "True", "True", "True"], result.stderr


def test_plain_http_for_a_local_run_is_an_explicit_choice_the_check_warns_about(
    tmp_path: Path,
) -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={"HTTPS": "false"}, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr


def test_static_files_build_with_hashed_names_for_whitenoise(tmp_path: Path) -> None:
    result = manage("collectstatic", "--noinput", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "css/app.css" in manifest


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECURE_HSTS_SECONDS", "a year"),
        ("DEBUG", "maybe"),
        ("HTTPS", "perhaps"),
        ("DATABASE_URL", "mysql-ish://nowhere"),
        ("REDIS_URL", "localhost:6379"),
        ("OIDC_PROVIDERS", '[{"id": "x"}]'),
        ("ACCOUNT_EMAIL_VERIFICATION", "sometimes"),
        ("IMPORT_MAX_MB", "lots"),
    ],
)
def test_a_malformed_variable_stops_start_up_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    result = manage("check", env={name: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert name in result.stderr.splitlines()[-1], result.stderr[-2000:]
