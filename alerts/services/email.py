"""E-mails: the confirmation of a new subscription, alerts, and the notice of a pause.

Every alert carries a one-click unsubscribe link, in its body and in the List-Unsubscribe and
List-Unsubscribe-Post headers (RFC 8058), a plain-text and an HTML body, and the feed links;
all in the subscriber's language.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.models import Subscription
from alerts.services.alert import Alert
from alerts.services.messages import absolute
from alerts.services.subscriptions import confirm_link_token, unsubscribe_link_token

log = logging.getLogger(__name__)
# A confirmation the mail server refused at subscription time is tried again for this long.
CONFIRMATION_RETRY_WINDOW = timedelta(hours=24)


def templated_message(
    subscription: Subscription,
    *,
    subject: str,
    template: str,
    context: dict[str, object],
    unsubscribe: bool,
) -> EmailMultiAlternatives:
    headers: dict[str, str] = {}
    slug = subscription.service.slug
    context = {
        "subscription": subscription,
        "service": subscription.service,
        "feed_atom": absolute(reverse("service_feed_atom", args=[slug])),
        "feed_rss": absolute(reverse("service_feed_rss", args=[slug])),
        **context,
    }
    if unsubscribe:
        link = absolute(reverse("alerts_unsubscribe", args=[unsubscribe_link_token(subscription)]))
        context["unsubscribe_url"] = link
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with translation.override(subscription.language):
        text = render_to_string(f"alerts/email/{template}.txt", context)
        html = render_to_string(f"alerts/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[subscription.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscription: Subscription) -> EmailMultiAlternatives:
    link = absolute(reverse("alerts_confirm", args=[confirm_link_token(subscription)]))
    with translation.override(subscription.language):
        subject = _("Confirm your alerts for %(name)s") % {"name": subscription.service.name}
    return templated_message(
        subscription,
        subject=subject,
        template="confirm",
        context={"confirm_url": link},
        unsubscribe=False,
    )


def confirmation_send(subscription: Subscription, *, now: datetime) -> bool:
    """Send the double opt-in link; True once the mail server has taken it. If it could not
    (the server down, refusing or silent past EMAIL_TIMEOUT), the subscription stays as it
    is, and confirmations_retry tries again."""
    try:
        confirmation_message(subscription).send()
    except OSError as error:  # smtplib's errors included; the address is never logged
        log.warning(
            "Confirmation of subscription %s not sent (%s); it will be retried",
            subscription.pk,
            error.__class__.__name__,
        )
        return False
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=now)
    return True


def confirmation_deliver(*, subscription_id: int, now: datetime) -> bool:
    """The confirmation of a new subscription, sent by the task its creation queued: only if
    it is still pending and unsent, under a row lock that confirmations_retry skips (never
    two sends at once). True once the mail server has taken it."""
    with transaction.atomic():
        subscription = _unsent().filter(pk=subscription_id).first()
        return subscription is not None and confirmation_send(subscription, now=now)


def confirmations_retry(*, now: datetime, limit: int = 100) -> int:
    """Send the confirmations the mail server did not take when their task ran (or that were
    never queued), for pending subscriptions of the last day. Those of the last minute are
    left to their own task, which may still be queued or sending. Returns how many went."""
    with transaction.atomic():
        due = _unsent().filter(
            created_at__gte=now - CONFIRMATION_RETRY_WINDOW,
            created_at__lt=now - timedelta(minutes=1),
        )
        return sum(confirmation_send(s, now=now) for s in due.order_by("created_at")[:limit])


def _unsent() -> QuerySet[Subscription]:
    """Pending e-mail subscriptions whose confirmation the mail server has not taken, each
    locked as it is read (rows another process is sending are skipped)."""
    return (
        Subscription.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("service")
        .filter(
            channel=Subscription.Channel.EMAIL,
            state=Subscription.State.PENDING,
            confirmation_sent_at__isnull=True,
        )
    )


def alert_message(subscription: Subscription, alert: Alert) -> EmailMultiAlternatives:
    return templated_message(
        subscription,
        subject=alert.title,
        template="alert",
        context={"alert": alert},
        unsubscribe=True,
    )


def paused_notice_message(subscription: Subscription) -> EmailMultiAlternatives:
    with translation.override(subscription.language):
        subject = _("Your alerts for %(name)s are paused") % {"name": subscription.service.name}
    return templated_message(
        subscription,
        subject=subject,
        template="paused",
        context={"failures": subscription.consecutive_failures},
        unsubscribe=True,
    )


def connection() -> BaseEmailBackend:
    backend: BaseEmailBackend = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
    return backend
