from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from alerts.forms import NotifyForm
from outages.models import Service

register = template.Library()


@register.inclusion_tag("alerts/notify_form.html", takes_context=True)
def notify_form(context: template.Context, service: Service) -> dict[str, object]:
    return {
        "service": service,
        "fields": _fields(get_language(), service.category),
        "csrf_token": context.get("csrf_token"),
    }


@lru_cache(maxsize=128)
def _fields(language: str | None, category: str) -> SafeString:
    """The unbound form's fields, the same on every service page of a category (its problem
    types) in a language: rendered once per process, language and category. Through Django's
    widget templates its select of 250 countries alone cost ~9 ms, a seventh of a busy
    service page."""
    return NotifyForm(prefix="notify", category=category).as_p()
