"""Atom and RSS feeds of public incidents, for all services and per service (Django's
syndication framework). Each item is one incident; suspicious ones never appear."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from outages import selectors, summaries
from outages.models import Incident, Service

GLOBAL_ITEMS = 50
SERVICE_ITEMS = 20
# The guid's namespace: an incident's guid stays the same whatever host serves the feed.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "outages:incident")


class IncidentFeed(Feed[Incident, Service]):
    """The item side, shared by every incident feed (the object: a service, or none)."""

    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def item_title(self, item: Incident) -> str:
        return f"{item.service.name}: problems since {item.started_at.astimezone(UTC):%H:%M} UTC"

    def item_description(self, item: Incident) -> str:
        return summaries.incident_summary(item)

    def item_link(self, item: Incident) -> str:
        return reverse("incident_detail", args=[item.pk])

    def item_guid(self, item: Incident) -> str:
        return f"urn:uuid:{uuid.uuid5(GUID_NAMESPACE, str(item.pk))}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Incident) -> datetime:
        return item.started_at

    def item_updateddate(self, item: Incident) -> datetime:
        return item.updated_at


class IncidentsRss(IncidentFeed):
    title = "Incidents"
    description = "Outages detected from users' problem reports, newest first."

    def link(self) -> str:
        return reverse("incident_list")

    def items(self) -> list[Incident]:
        return selectors.incidents_public(limit=GLOBAL_ITEMS)


class IncidentsAtom(IncidentsRss):
    feed_type = Atom1Feed
    subtitle = IncidentsRss.description


class ServiceIncidentsRss(IncidentFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Service:
        return get_object_or_404(Service, slug=slug, is_active=True)

    def title(self, obj: Service) -> str:
        return f"{obj.name}: incidents"

    def description(self, obj: Service) -> str:
        return f"Outages of {obj.name} detected from users' problem reports, newest first."

    def link(self, obj: Service) -> str:
        return reverse("service_detail", args=[obj.slug])

    def items(self, obj: Service) -> list[Incident]:
        incidents = selectors.incidents_of_service(service_id=obj.id, limit=SERVICE_ITEMS)
        for incident in incidents:
            incident.service = obj  # known already: no query per item
        return incidents


class ServiceIncidentsAtom(ServiceIncidentsRss):
    feed_type = Atom1Feed

    def subtitle(self, obj: Service) -> str:
        return self.description(obj)
