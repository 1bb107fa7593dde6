"""Signal archive (v1): streaming reader, validator and aggregator. No Django here.

See docs/archive-format.md for the format; `read_archive` is the one entry point.
"""

from .handles import handle_key, make_hasher, normalise_handle
from .model import (
    INTERACTION_KINDS,
    KIND_INDEX,
    NETWORKS,
    Account,
    Archive,
    ArchiveInvalid,
    EdgeAgg,
    EdgeColumns,
    LineError,
    PostAgg,
)
from .reader import read_archive

__all__ = [
    "INTERACTION_KINDS",
    "KIND_INDEX",
    "NETWORKS",
    "Account",
    "Archive",
    "ArchiveInvalid",
    "EdgeAgg",
    "EdgeColumns",
    "LineError",
    "PostAgg",
    "handle_key",
    "make_hasher",
    "normalise_handle",
    "read_archive",
]
