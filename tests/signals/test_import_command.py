from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from profiles.models import User
from scoring.models import Score, ScoringRun, ScoringState
from signals.models import Engagement, ImportJob
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "archive.jsonl"
    path.write_text(text)
    return path


def test_the_command_imports_and_leaves_scoring_to_the_dispatcher(
    alice: User, tmp_path: Path, capsys
) -> None:
    call_command("import_archive", "--user", alice.email, str(write(tmp_path, archive_text())))
    assert "Imported 16 interactions" in capsys.readouterr().out
    # Never scored in-process: the member is due, for the dispatcher's next run.
    assert not Score.objects.filter(user=alice).exists()
    assert not ScoringRun.objects.exists()
    state = ScoringState.objects.get(user=alice)
    assert state.next_score_due is not None and state.claimed_run is None
    assert ImportJob.objects.get(user=alice).status == "scoring"


def test_the_command_refuses_a_member_without_scoring_consent(bob: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Score my activity"):
        call_command("import_archive", "--user", bob.email, str(write(tmp_path, archive_text())))
    assert not ImportJob.objects.exists()


def test_the_command_reports_each_bad_line(alice: User, tmp_path: Path) -> None:
    path = write(tmp_path, archive_text() + "{}\n")
    with pytest.raises(CommandError, match=r"line \d+: "):
        call_command("import_archive", "--user", alice.email, str(path))
    assert not Engagement.objects.exists()


def test_the_command_names_an_unknown_member_or_file(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No member"):
        call_command("import_archive", "--user", "nobody@example.org", str(write(tmp_path, "x")))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_archive", "--user", "x@example.org", str(tmp_path / "missing"))
