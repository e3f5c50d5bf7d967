"""Subscriptions: create, confirm, change, rotate, unsubscribe, delete.

A subscription's owner holds a management token (only its hash is stored). E-mail
subscriptions wait for a click on a signed confirmation link before anything is sent to them;
webhook subscriptions are active at once (their URL is checked, their secret returned once).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django_countries import countries

from alerts import signing as webhook_signing
from alerts.models import Delivery, Subscription
from alerts.services import chat, quota
from common import ssrf
from outages.models import Service
from outages.vocabulary import Platform, problems_of

CONFIRM_SALT = "alerts.confirm"
UNSUBSCRIBE_SALT = "alerts.unsubscribe"
CONFIRM_MAX_AGE = 7 * 24 * 3600
CHANGEABLE = (
    "platform",
    "problem",
    "country",
    "min_level",
    "format",
    "url",
    "email",
    "daily_digest",
    "only_unacknowledged",
)


class SubscriptionInvalid(Exception):
    """Bad input: (field, reason) pairs; nothing was changed."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {r}" for f, r in errors))
        self.errors = errors


@dataclass(frozen=True)
class Created:
    subscription: Subscription
    token: str  # shown once


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook_policy() -> ssrf.Policy:
    return ssrf.Policy(
        allow_loopback=settings.ALERTS_ALLOW_LOOPBACK,
        https_only=settings.ALERTS_HTTPS_ONLY,
        connect_timeout=settings.ALERTS_CONNECT_TIMEOUT,
        read_timeout=settings.ALERTS_READ_TIMEOUT,
        max_response_bytes=settings.ALERTS_MAX_RESPONSE_BYTES,
    )


def _validate(values: Mapping[str, Any], channel: str, category: str) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if values.get("platform") and values["platform"] not in Platform.values:
        errors.append(("platform", f"Unknown platform; one of {', '.join(Platform.values)}."))
    problems = problems_of(category)  # the service's own types: no other is ever reported
    if values.get("problem") and values["problem"] not in problems:
        errors.append(
            (
                "problem",
                f"Not one of the problem types of a '{category}' service: {', '.join(problems)}.",
            )
        )
    if values.get("country") and values["country"] not in countries:
        errors.append(("country", "Not an ISO 3166-1 alpha-2 country code."))
    if values.get("min_level", 1) not in (1, 2):
        errors.append(("min_level", "1 (possible problems) or 2 (problems)."))
    if values.get("format", "standard") not in Subscription.Format.values:
        errors.append(("format", f"One of {', '.join(Subscription.Format.values)}."))
    email = values.get("email") or ""
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors.append(("email", "Not a valid e-mail address."))
    if channel == Subscription.Channel.EMAIL and not email:
        errors.append(("email", "An e-mail subscription needs an address."))
    if channel == Subscription.Channel.WEBHOOK:
        url = values.get("url") or ""
        if not url:
            errors.append(("url", "A webhook subscription needs a URL."))
        elif len(url) > 500:
            errors.append(("url", "At most 500 characters."))
        else:
            try:
                scheme, port, host = ssrf.target_check(url, policy=webhook_policy())
                ssrf.resolve(host, port, policy=webhook_policy())
            except ssrf.Refused as exc:
                errors.append(("url", f"Refused: {exc}."))
            why = chat.url_error(values.get("format", "standard"), url)
            if why:
                errors.append(("url", why))
    return errors


def subscription_create(
    *,
    service: Service,
    channel: str,
    email: str = "",
    url: str = "",
    format: str = Subscription.Format.STANDARD,
    platform: str = "",
    problem: str = "",
    country: str = "",
    min_level: int = 1,
    daily_digest: bool = False,
    only_unacknowledged: bool = False,
    language: str | None = None,
    requester: str = "",
    now: datetime | None = None,
    confirmation_enqueue: Callable[[int], None],
) -> Created:
    """A new subscription and its management token. An e-mail one stays pending until its
    confirmation link is followed; the link is sent by a task once this transaction has
    committed, never in the request (a slow mail server must not hold it), within the daily
    caps per address and per requester (`requester`: the reporter fingerprint), else
    quota.ConfirmationsExhausted and nothing is created. `confirmation_enqueue` queues that
    task (alerts.tasks.confirmation_enqueue, handed in by the caller: services never import
    tasks)."""
    if channel not in Subscription.Channel.values:
        raise SubscriptionInvalid([("channel", "email or webhook.")])
    now = now or timezone.now()
    country = (country or "").upper()
    values = {
        "email": email,
        "url": url,
        "format": format,
        "platform": platform,
        "problem": problem,
        "country": country,
        "min_level": min_level,
    }
    errors = _validate(values, channel, service.category)
    if errors:
        raise SubscriptionInvalid(errors)
    token = "alt_" + secrets.token_urlsafe(32)
    webhook = channel == Subscription.Channel.WEBHOOK
    with transaction.atomic():  # a refused confirmation leaves no subscription behind
        subscription = Subscription.objects.create(
            service=service,
            channel=channel,
            email=email,
            url=url if webhook else "",
            format=format if webhook else Subscription.Format.STANDARD,
            platform=platform,
            problem=problem,
            country=country,
            min_level=min_level,
            daily_digest=daily_digest,
            only_unacknowledged=only_unacknowledged,
            language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
            secret=webhook_signing.secret_new() if webhook else "",
            token_hash=token_hash(token),
            state=Subscription.State.ACTIVE if webhook else Subscription.State.PENDING,
            confirmed_at=now if webhook else None,
        )
        if not webhook:
            quota.confirmation_quota_take(
                email=email, requester=requester, subscription=subscription, now=now
            )
            transaction.on_commit(lambda: confirmation_enqueue(subscription.pk))
    return Created(subscription, token)


def subscription_by_token(pk: int, token: str) -> Subscription | None:
    """The subscription if the token is its management token (constant-time compare)."""
    found = Subscription.objects.select_related("service").filter(pk=pk).first()
    if found is None or not token:
        return None
    return found if secrets.compare_digest(found.token_hash, token_hash(token)) else None


def subscription_update(subscription: Subscription, *, changes: Mapping[str, Any]) -> Subscription:
    """Change narrowing, threshold, format, target; `resume` reactivates a paused one."""
    unknown = [k for k in changes if k not in (*CHANGEABLE, "resume")]
    if unknown:
        raise SubscriptionInvalid([(k, "Cannot be changed.") for k in unknown])
    merged = {k: getattr(subscription, k) for k in CHANGEABLE} | dict(changes)
    merged["country"] = (merged.get("country") or "").upper()
    errors = _validate(merged, subscription.channel, subscription.service.category)
    if subscription.channel == Subscription.Channel.EMAIL and "email" in changes:
        errors.append(("email", "Subscribe again to use another address."))
    if errors:
        raise SubscriptionInvalid(errors)
    for field in CHANGEABLE:
        if field in changes:
            setattr(subscription, field, merged[field])
    if changes.get("resume") and subscription.state == Subscription.State.PAUSED:
        subscription.state = Subscription.State.ACTIVE
        subscription.paused_at = None
        subscription.consecutive_failures = 0
    subscription.save()
    return subscription


def subscription_secret_rotate(subscription: Subscription, *, now: datetime) -> str:
    """A new signing secret; the old one keeps signing beside it for ALERTS_SECRET_OVERLAP."""
    if subscription.channel != Subscription.Channel.WEBHOOK:
        raise SubscriptionInvalid([("channel", "Only webhook subscriptions have a secret.")])
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = now + settings.ALERTS_SECRET_OVERLAP
    subscription.secret = webhook_signing.secret_new()
    subscription.save(
        update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"]
    )
    return subscription.secret


def signing_secrets(subscription: Subscription, *, now: datetime) -> list[str]:
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and until > now:
        return [subscription.secret, subscription.previous_secret]
    return [subscription.secret]


def confirm_link_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=CONFIRM_SALT)


def unsubscribe_link_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def subscription_confirm(signed: str, *, now: datetime) -> Subscription | None:
    """Follow a confirmation link: the pending subscription becomes active."""
    try:
        pk = signing.loads(signed, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    subscription = Subscription.objects.filter(pk=pk).select_related("service").first()
    if subscription is not None and subscription.state == Subscription.State.PENDING:
        subscription.state = Subscription.State.ACTIVE
        subscription.confirmed_at = now
        subscription.save(update_fields=["state", "confirmed_at", "updated_at"])
    return subscription


def subscription_unsubscribe(signed: str) -> Subscription | None:
    """Follow an unsubscribe link (a click or RFC 8058 one-click POST): nothing more is sent."""
    try:
        pk = signing.loads(signed, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    subscription = Subscription.objects.filter(pk=pk).select_related("service").first()
    if subscription is None:
        return None
    if subscription.state != Subscription.State.UNSUBSCRIBED:
        subscription.state = Subscription.State.UNSUBSCRIBED
        subscription.save(update_fields=["state", "updated_at"])
        _pending_skip(subscription, note="unsubscribed")
    return subscription


def subscription_delete(subscription: Subscription) -> None:
    subscription.delete()


def _pending_skip(subscription: Subscription, *, note: str) -> None:
    Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED, note=note
    )
