"""manage.py evaluate_scoring: the scoring model against planted attacks and two baselines.

A synthetic population, no database. The figures go in docs/evaluation.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from benchmarks.evaluation import MEMBERSHIP_RATES, SEEDS, matrix, matrix_text, run


class Command(BaseCommand):
    help = "Evaluate the scoring model on a synthetic population with planted attacks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=10_000, help="honest accounts")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument(
            "--membership", type=float, default=0.7, help="share of accounts that are members"
        )
        parser.add_argument(
            "--cold-start", action="store_true", help="nobody has a verified source yet"
        )
        parser.add_argument(
            "--matrix",
            action="store_true",
            help=f"every membership rate {MEMBERSHIP_RATES} on seeds {SEEDS}, summarised",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        say = lambda msg: self.stderr.write(msg)  # noqa: E731
        if options["matrix"]:
            reports = matrix(
                accounts=options["accounts"], cold_start=options["cold_start"], log=say
            )
            for report in reports:
                self.stdout.write(report.text() + "\n")
            self.stdout.write(matrix_text(reports))
            return
        report = run(
            accounts=options["accounts"],
            seed=options["seed"],
            log=say,
            member_share=options["membership"],
            cold_start=options["cold_start"],
        )
        self.stdout.write(report.text())
