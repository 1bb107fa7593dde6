"""Signals' doors to the apps above it (see profiles/hooks.py)."""

from __future__ import annotations

from profiles.hooks import Hook

member_data_changed = Hook(
    "signals.member_data_changed",
    "A member's signals changed (an import finished, a sync stored new data, a source was "
    "disconnected): kwargs user_id. Called inside the transaction that changed them; "
    "scoring asks the dispatcher for a fresh score after commit.",
)
