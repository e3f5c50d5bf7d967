"""Merging a duplicate service into the one kept: everything keyed by the duplicate moves to
the kept service in one transaction, and the duplicate is deleted.

Minute buckets that exist for both are summed exactly; baselines, detection states and
incidents that collide keep the kept service's; the duplicate's slug and name become aliases
of the kept service, so searches and old links by name still find it. Rows of any other model
keyed by the service (raw reports, comments, ...) simply move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Subquery

from common.audit import audit_record
from outages.models import (
    Incident,
    MinuteBucket,
    SeriesBaseline,
    SeriesState,
    Service,
    ServiceAlias,
)

BUCKET_KEY = ("minute", "kind", "platform", "problem", "country")
SERIES_KEY = ("dimension", "value")
INCIDENT_KEY = ("dimension", "value", "started_at")


def service_merge(*, actor: Any, keep: Service, duplicate: Service) -> dict[str, int]:
    """Move everything of `duplicate` to `keep`, then delete `duplicate`. Returns how many rows
    of each model moved (or were summed into the kept service's)."""
    if keep.pk == duplicate.pk:
        raise ValidationError({"duplicate": "A service cannot be merged into itself."})
    with transaction.atomic():
        locked = Service.objects.select_for_update().in_bulk([keep.pk, duplicate.pk])
        if len(locked) != 2:
            raise ValidationError({"duplicate": "One of the two services no longer exists."})
        keep, duplicate = locked[keep.pk], locked[duplicate.pk]
        before = {
            "kept": {"slug": keep.slug, "name": keep.name, "aliases": _aliases(keep)},
            "duplicate": {
                "slug": duplicate.slug,
                "name": duplicate.name,
                "aliases": _aliases(duplicate),
            },
        }
        moved: dict[str, int] = {}
        for relation in _relations():
            # (related_model is this same class, typed as maybe "self" by the stubs)
            model, field = relation.field.model, relation.field.name
            mover = _MOVERS.get(model, _move_rows)
            count = mover(model, field, keep, duplicate)
            if count:
                moved[model._meta.label_lower] = count
        moved["aliases added"] = _aliases_add(keep, duplicate)
        duplicate.delete()
        audit_record(
            actor=actor,
            action="service.merge",
            target=keep,
            before=before,
            after={"aliases": _aliases(keep), "moved": moved},
        )
    return moved


def _relations() -> list[models.ForeignObjectRel]:
    """Every foreign key to Service, those without a reverse accessor (related_name="+")
    included, from any installed app."""
    return [
        field
        for field in Service._meta.get_fields(include_hidden=True)
        if isinstance(field, models.ForeignObjectRel) and (field.one_to_many or field.one_to_one)
    ]


def _aliases(service: Service) -> list[str]:
    return sorted(service.aliases.values_list("alias", flat=True))


def _aliases_add(keep: Service, duplicate: Service) -> int:
    own = {keep.slug.lower(), keep.name.strip().lower()}
    added = 0
    for alias in {duplicate.slug.lower(), duplicate.name.strip().lower()} - own:
        _, created = ServiceAlias.objects.get_or_create(alias=alias, defaults={"service": keep})
        added += created
    return added


def _same_key(model: type[models.Model], field: str, service: Service, key: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return model._base_manager.filter(**{field: service}, **{name: OuterRef(name) for name in key})


def _move_buckets(model: type[models.Model], field: str, keep: Service, dup: Service) -> int:
    """Sum the counts of buckets both services have, then move the duplicate's others."""
    theirs = _same_key(model, field, dup, BUCKET_KEY)
    ours = _same_key(model, field, keep, BUCKET_KEY)
    summed = (
        MinuteBucket.objects.filter(service=keep)
        .filter(Exists(theirs))
        .update(count=F("count") + Subquery(theirs.values("count")[:1]))
    )
    MinuteBucket.objects.filter(service=dup).filter(Exists(ours)).delete()
    return summed + MinuteBucket.objects.filter(service=dup).update(service=keep)


def _keep_ours_on_collision(key: tuple[str, ...]) -> Callable[..., int]:
    """Move the duplicate's rows except those whose key the kept service already has, which
    are dropped (a baseline is refitted hourly; the kept incident stands for the story)."""

    def move(model: type[models.Model], field: str, keep: Service, dup: Service) -> int:
        ours = _same_key(model, field, keep, key)
        model._base_manager.filter(**{field: dup}).filter(Exists(ours)).delete()
        return model._base_manager.filter(**{field: dup}).update(**{field: keep})

    return move


def _move_rows(model: type[models.Model], field: str, keep: Service, dup: Service) -> int:
    rows = model._base_manager.filter(**{field: dup})
    if model._meta.get_field(field).one_to_one:
        # One per service (a status, a logo): the kept service's stays.
        if model._base_manager.filter(**{field: keep}).exists():
            rows.delete()
            return 0
    return rows.update(**{field: keep})


_MOVERS: dict[type[models.Model], Callable[..., int]] = {
    MinuteBucket: _move_buckets,
    SeriesBaseline: _keep_ours_on_collision(SERIES_KEY),
    SeriesState: _keep_ours_on_collision(SERIES_KEY),
    Incident: _keep_ours_on_collision(INCIDENT_KEY),
}
