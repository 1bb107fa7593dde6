"""manage.py verify_receipt FILE: say whether each consent receipt in FILE is genuine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profiles.receipts import receipt_tokens, receipt_verify


class Command(BaseCommand):
    help = (
        "Verify consent receipts: FILE holds one JWS, one receipt's JSON, or the JSON of all "
        "receipts downloaded from the consent centre ('-' reads standard input). "
        "Exits 0 only if every receipt is genuine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(errors="replace")
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}") from exc
        tokens = receipt_tokens(text)
        if not tokens:
            raise CommandError(f"No consent receipt found in {name}.")
        failed = 0
        for token in tokens:
            result = receipt_verify(token)
            receipt_id = (result.receipt or {}).get("consentReceiptID", "receipt")
            if result.genuine:
                self.stdout.write(f"{receipt_id}: {result.reason}")
            else:
                failed += 1
                self.stdout.write(f"{receipt_id}: NOT GENUINE. {result.reason}")
        if failed:
            raise CommandError(f"{failed} of {len(tokens)} receipts are not genuine.")
