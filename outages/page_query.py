"""Which query parameters change a shared page (outages/page_cache.py): each page declares the
ones it reads with the values it takes, and the cache key holds only those."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from django.http import HttpRequest
from django.utils.http import urlencode

Canonical = Callable[[str], "str | None"]  # a query value as the page reads it; None: unused


def one_of(values: Collection[str], *, default: str = "", upper: bool = False) -> Canonical:
    """A query parameter the page reads only when it is one of `values`; another value, or
    none, shows the page's `default`."""
    allowed = frozenset(values) - {default}

    def canonical(value: str) -> str | None:
        value = value.upper() if upper else value
        return value if value in allowed else None

    return canonical


def free_text(limit: int) -> Canonical:
    """A free-text query parameter the page reads up to `limit` characters of."""
    return lambda value: value[:limit] or None


def query_key(request: HttpRequest, query: Mapping[str, Canonical]) -> str:
    """The query parameters that change the page, as it reads them (the value request.GET gives),
    in a fixed order."""
    read = {name: canonical(request.GET.get(name, "")) for name, canonical in query.items()}
    return urlencode(sorted((name, value) for name, value in read.items() if value is not None))
