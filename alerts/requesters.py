"""Who asks for a subscription (the reporter fingerprint of reports' intake: no address is
kept), and how a refused confirmation reads, alike on the form and in the API."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from alerts.services.quota import ConfirmationsExhausted
from reports.intake.client import client_of
from reports.intake.fingerprint import fingerprints_for


def requester_of(request: HttpRequest) -> str:
    client = client_of(request)
    now = timezone.now()
    return fingerprints_for(address=client.address, user_agent=client.user_agent, now=now).reporter


def refused_detail(refused: ConfirmationsExhausted) -> str:
    now = timezone.now()
    wait = timeuntil(now + timedelta(seconds=refused.retry_after), now, depth=1)
    if refused.by == "address":
        return _(
            "Too many confirmation e-mails are waiting at this address: follow one of the "
            "links already sent, or try again in %(wait)s."
        ) % {"wait": wait}
    return _(
        "Too many confirmation e-mails were asked for from here today: follow one of the "
        "links already sent, or try again in %(wait)s."
    ) % {"wait": wait}
