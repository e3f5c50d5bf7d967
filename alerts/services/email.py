"""E-mails: the confirmation of a new subscription, alerts, and the notice of a pause.

Every alert carries a one-click unsubscribe link, in its body and in the List-Unsubscribe and
List-Unsubscribe-Post headers (RFC 8058), a plain-text and an HTML body, and the feed links;
all in the subscriber's language.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.models import Subscription
from alerts.services.messages import Alert, absolute
from alerts.services.subscriptions import confirm_link_token, unsubscribe_link_token


def templated_message(
    subscription: Subscription, *, subject: str, template: str, context: dict[str, object],
    unsubscribe: bool,
) -> EmailMultiAlternatives:  # fmt: skip
    headers: dict[str, str] = {}
    slug = subscription.service.slug
    context = {
        "subscription": subscription, "service": subscription.service,
        "feed_atom": absolute(reverse("service_feed_atom", args=[slug])),
        "feed_rss": absolute(reverse("service_feed_rss", args=[slug])), **context,
    }  # fmt: skip
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
    return templated_message(subscription, subject=subject, template="confirm",
                    context={"confirm_url": link}, unsubscribe=False)  # fmt: skip


def confirmation_send(subscription: Subscription) -> None:
    confirmation_message(subscription).send()


def alert_message(subscription: Subscription, alert: Alert) -> EmailMultiAlternatives:
    return templated_message(subscription, subject=alert.title, template="alert",
                    context={"alert": alert}, unsubscribe=True)  # fmt: skip


def paused_notice_message(subscription: Subscription) -> EmailMultiAlternatives:
    with translation.override(subscription.language):
        subject = _("Your alerts for %(name)s are paused") % {"name": subscription.service.name}
    return templated_message(subscription, subject=subject, template="paused",
                    context={"failures": subscription.consecutive_failures},
                    unsubscribe=True)  # fmt: skip


def connection() -> BaseEmailBackend:
    backend: BaseEmailBackend = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
    return backend
