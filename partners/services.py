"""API keys: made, revoked, resolved for a request, marked used. Making and revoking a key are
audited (moderation.audit) in the same transaction; the audit never holds the key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.audit import audit_record
from partners.keys import key_digest, key_generate, key_is_well_formed
from partners.models import ApiKey

# A request resolves its key from the cache; revoking clears that entry, and any other copy
# (a process-local cache) expires within this many seconds.
RESOLVE_SECONDS = 60
# last_used_at is written at most once per key per this many seconds.
USED_SECONDS = 60
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class Partner:
    """The caller a valid key stands for. DRF sees an authenticated user, so the anonymous
    throttle leaves its requests to the key's own throttle."""

    key_id: int
    prefix: str
    name: str
    rate: str

    is_authenticated = True
    is_anonymous = False


def apikey_create(
    *, name: str, contact_email: str, rate: str = "", actor: Any = None
) -> tuple[ApiKey, str]:
    """A new key and its raw value: the only time the raw value exists outside the caller."""
    new = key_generate()
    key = ApiKey(name=name, contact_email=contact_email, prefix=new.prefix, key_hash=new.digest)
    if rate:
        key.rate = rate
    key.full_clean(exclude=["prefix", "key_hash"])
    with transaction.atomic():
        key.save()
        audit_record(
            actor=actor,
            action="apikey.create",
            target=key,
            before={},
            after={"name": key.name, "prefix": key.prefix, "rate": key.rate},
        )
    return key, new.raw


def apikey_change(*, key: ApiKey, name: str, contact_email: str, rate: str, actor: Any) -> ApiKey:
    """Rename a key, change its contact or its rate limit: audited, since the rate is the
    access a partner has (the contact address is private: the log says only that it changed)."""
    with transaction.atomic():
        stored = ApiKey.objects.select_for_update().get(pk=key.pk)
        before = {"name": stored.name, "rate": stored.rate}
        email_changed = stored.contact_email != contact_email
        stored.name, stored.contact_email, stored.rate = name, contact_email, rate
        stored.full_clean(exclude=["prefix", "key_hash"])
        after = {"name": name, "rate": rate}
        if before == after and not email_changed:
            return stored
        stored.save(update_fields=["name", "contact_email", "rate"])
        audit_record(
            actor=actor,
            action="apikey.change",
            target=stored,
            before=before,
            after={**after, "contact_changed": email_changed},
        )
    return stored


def apikey_revoke(*, prefix: str, actor: Any = None) -> ApiKey:
    with transaction.atomic():
        try:
            key = ApiKey.objects.select_for_update().get(prefix=prefix)
        except ApiKey.DoesNotExist:
            raise ValidationError({"prefix": f"No API key has the prefix {prefix!r}."}) from None
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="apikey.revoke",
                target=key,
                before={"revoked": False},
                after={"revoked": True},
            )
    cache.delete(_resolve_key(key.key_hash))
    return key


class KeyRejected(Exception):
    pass


def apikey_resolve(raw: str) -> Partner:
    """The partner a raw key stands for, or KeyRejected (unknown, malformed or revoked)."""
    if not key_is_well_formed(raw):
        raise KeyRejected("is not an API key")
    digest = key_digest(raw)
    found = cache.get(_resolve_key(digest))
    if found is None:
        key = ApiKey.objects.filter(key_hash=digest).first()
        if key is None:
            found = _UNKNOWN
        else:
            found = (key.id, key.prefix, key.name, key.rate, key.revoked_at is not None)
        cache.set(_resolve_key(digest), found, RESOLVE_SECONDS)
    if found == _UNKNOWN:
        raise KeyRejected("is not a known API key")
    key_id, prefix, name, rate, revoked = found
    if revoked:
        raise KeyRejected("has been revoked")
    return Partner(key_id=key_id, prefix=prefix, name=name, rate=rate)


def apikey_mark_used(partner: Partner) -> None:
    """Bumps last_used_at, at most once a minute per key (one cache.add otherwise)."""
    if cache.add(f"apikey-used:{partner.key_id}", 1, USED_SECONDS):
        ApiKey.objects.filter(pk=partner.key_id).update(last_used_at=timezone.now())


def _resolve_key(digest: str) -> str:
    return f"apikey:{digest}"
