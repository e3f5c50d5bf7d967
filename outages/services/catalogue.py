"""Services and their aliases: create or update them from a catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from outages.demo import DemoService
from outages.models import Service, ServiceAlias


@transaction.atomic
def services_ensure(*, catalogue: Iterable[DemoService]) -> list[Service]:
    """Create missing services (and aliases) from the catalogue; leave existing ones alone."""
    services = []
    for entry in catalogue:
        service, created = Service.objects.get_or_create(
            slug=entry.slug,
            defaults={"name": entry.name, "category": entry.category, "url": entry.url},
        )
        if created:
            for alias in entry.aliases:
                ServiceAlias.objects.get_or_create(service=service, alias=alias.lower())
        services.append(service)
    return services
