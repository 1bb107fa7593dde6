"""State changes about people: consent, export, erasure. Views, API, tasks and admin call these.

The consent services are re-exported here, where the rest of the project imports them from.
"""

from profiles.services.consent import (
    ConsentError,
    consent_give,
    consent_withdraw,
    consents_reconsent,
    consents_record_signup,
)

__all__ = [
    "ConsentError",
    "consent_give",
    "consent_withdraw",
    "consents_reconsent",
    "consents_record_signup",
]
