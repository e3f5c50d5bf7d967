"""Read side of the catalogue: which services there are, ranked, searched, with their status
row."""

from __future__ import annotations

from difflib import get_close_matches

from django.db.models import F

from outages.models import Service, ServiceAlias


def services_active() -> list[Service]:
    return list(Service.objects.filter(is_active=True))


def services_ranked(*, category: str | None = None) -> list[Service]:
    """Active services, most unusual first: public incident level, then deviation from the
    baseline over the last 15 minutes (from ServiceStatus, written by the detection pass)."""
    queryset = Service.objects.filter(is_active=True).select_related("status")
    if category:
        queryset = queryset.filter(category=category)
    return list(
        queryset.order_by(
            F("status__level").desc(nulls_last=True),
            F("status__deviation").desc(nulls_last=True),
            "name",
        )
    )


def services_search(*, query: str, limit: int = 10) -> list[Service]:
    """Services whose slug, name or an alias matches the query: exact first, then prefixes
    and substrings, then close spellings ("twiter")."""
    needle = query.strip().lower()
    if not needle:
        return []
    names: dict[str, int] = {}
    for service_id, slug, name in Service.objects.filter(is_active=True).values_list(
        "id", "slug", "name"
    ):
        names.setdefault(slug.lower(), service_id)
        names.setdefault(name.lower(), service_id)
    for alias, service_id in ServiceAlias.objects.filter(service__is_active=True).values_list(
        "alias", "service_id"
    ):
        names.setdefault(alias.lower(), service_id)
    ranked: list[int] = []
    exact = [sid for name, sid in names.items() if name == needle]
    starts = [sid for name, sid in names.items() if name.startswith(needle)]
    inside = [sid for name, sid in names.items() if needle in name]
    close = [names[n] for n in get_close_matches(needle, list(names), n=limit, cutoff=0.75)]
    for service_id in exact + starts + inside + close:
        if service_id not in ranked:
            ranked.append(service_id)
    found = Service.objects.in_bulk(ranked[:limit])
    return [found[sid] for sid in ranked[:limit]]


def service_with_status(*, slug: str) -> Service | None:
    """An active service with its ServiceStatus row joined (absent until the detection pass
    first writes it), in one query: what a badge shows, without reading any bucket."""
    return Service.objects.filter(slug=slug, is_active=True).select_related("status").first()
