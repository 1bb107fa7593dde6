"""The scoring model: pure functions over NumPy/SciPy arrays, no Django or ORM inside.

One scoring run: build a ``Graph`` from edge arrays, pick ``select_seeds``, compute a
``TrustContext`` once (``trust_context``), then call ``score_batch`` for each batch of
members. See docs/scoring.md.
"""

from .score import curve, score_batch
from .topics import sensitive_category
from .trust import (
    Graph,
    TrustContext,
    TrustResult,
    choose_seeds,
    propagate_trust,
    select_seeds,
    trust_context,
)
from .types import (
    MODEL_VERSION,
    Accounts,
    Components,
    Engagements,
    Flag,
    FlagKind,
    Followers,
    Kind,
    MemberBatch,
    MemberScore,
    Params,
    Posts,
    TopicScore,
    to_unix,
)

__all__ = [
    "MODEL_VERSION",
    "Accounts",
    "Components",
    "Engagements",
    "Flag",
    "FlagKind",
    "Followers",
    "Graph",
    "Kind",
    "MemberBatch",
    "MemberScore",
    "Params",
    "Posts",
    "TopicScore",
    "TrustContext",
    "TrustResult",
    "curve",
    "propagate_trust",
    "score_batch",
    "choose_seeds",
    "select_seeds",
    "sensitive_category",
    "to_unix",
    "trust_context",
]
