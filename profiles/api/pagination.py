"""Every list is cursor-paginated: stable under inserts, opaque ``next``/``previous`` links."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Newest first unless a view names its own ``ordering`` (a unique, indexed order)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        return tuple(getattr(view, "ordering", None) or self.ordering)
