"""A source changed by hand (the admin, the command) is shown at once: its service's cached
status summary is forgotten."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from outages.models import Service
from outages.official.models import OfficialSource
from outages.status_cache import status_summary_forget


@receiver([post_save, post_delete], sender=OfficialSource)
def _source_changed(sender: type, instance: OfficialSource, **kwargs: object) -> None:
    for slug in Service.objects.filter(id=instance.service_id).values_list("slug", flat=True):
        status_summary_forget(slug=slug)
