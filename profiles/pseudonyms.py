"""Members' pseudonyms: a keyed hash of the user id, the same in receipts and the audit log.

The key (``MEMBER_PSEUDONYM_KEY``) stays on the server, so a pseudonym cannot be turned
back into an id by anyone who lacks it, and once an account is erased nothing links it to
a person any more.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def member_pseudonym(user_id: int) -> str:
    return hmac.new(
        settings.MEMBER_PSEUDONYM_KEY, f"member:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
