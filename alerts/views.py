"""HTML pages of the alerts app: the "notify me" form's answer, e-mail confirmation, and
unsubscribe (a page with a button, and RFC 8058 one-click POST from mail clients)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from alerts.forms import NotifyForm
from alerts.requesters import refused_detail, requester_of
from alerts.services import subscriptions as services
from alerts.services.quota import ConfirmationsExhausted
from alerts.tasks import confirmation_enqueue
from common.cross_origin import public_form
from outages.models import Service


@public_form
@require_POST
def notify(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=slug, is_active=True)
    form = NotifyForm(request.POST, prefix="notify", category=service.category)
    created = refused = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                created = services.subscription_create(
                    service=service,
                    channel=data["channel"],
                    email=data["email"],
                    url=data["url"] if data["channel"] == "webhook" else "",
                    format=data["format"],
                    min_level=data["min_level"],
                    platform=data["platform"],
                    problem=data["problem"],
                    country=data["country"],
                    language=translation.get_language(),
                    daily_digest=data["daily_digest"],
                    only_unacknowledged=data["only_unacknowledged"],
                    requester=requester_of(request),
                    confirmation_enqueue=confirmation_enqueue,
                )
        except services.SubscriptionInvalid as error:
            for field, reason in error.errors:
                form.add_error(field if field in form.fields else None, reason)
        except ConfirmationsExhausted as error:
            refused = error
    status = 201 if created else 429 if refused else 400
    context = {
        "service": service,
        "form": form,
        "created": created,
        "refused": refused_detail(refused) if refused else "",
    }
    response = render(request, "alerts/notify_result.html", context, status=status)
    if refused:
        response["Retry-After"] = str(refused.retry_after)
    return response


def confirm(request: HttpRequest, signed: str) -> HttpResponse:
    subscription = services.subscription_confirm(signed, now=timezone.now())
    return render(
        request,
        "alerts/confirmed.html",
        {"subscription": subscription},
        status=200 if subscription else 400,
    )


@csrf_exempt  # the signed link is the credential; mail clients POST it without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    if request.method == "GET":
        # A GET changes nothing (link scanners follow links): it shows the button.
        return render(request, "alerts/unsubscribe.html", {"signed": signed, "done": False})
    subscription = services.subscription_unsubscribe(signed)
    return render(
        request,
        "alerts/unsubscribe.html",
        {"subscription": subscription, "done": True},
        status=200 if subscription else 400,
    )
