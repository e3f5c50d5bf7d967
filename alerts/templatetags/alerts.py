from __future__ import annotations

from django import template

from alerts.forms import NotifyForm
from outages.models import Service

register = template.Library()


@register.inclusion_tag("alerts/notify_form.html", takes_context=True)
def notify_form(context: template.Context, service: Service) -> dict[str, object]:
    return {"service": service, "form": NotifyForm(prefix="notify"),
            "csrf_token": context.get("csrf_token")}  # fmt: skip
