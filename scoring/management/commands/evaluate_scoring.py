"""manage.py evaluate_scoring: the scoring model against planted attacks and two baselines.

A synthetic population, no database. The figures go in docs/evaluation.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from benchmarks.evaluation import run


class Command(BaseCommand):
    help = "Evaluate the scoring model on a synthetic population with planted attacks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=10_000, help="honest accounts")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        report = run(
            accounts=options["accounts"],
            seed=options["seed"],
            log=lambda msg: self.stderr.write(msg),
        )
        self.stdout.write(report.text())
