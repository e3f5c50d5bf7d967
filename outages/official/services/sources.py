"""Official sources set by an administrator (the admin and `manage.py official_sources`).

The URL's form is checked here with the SSRF guard's own rules, so a mistake is told at once;
its addresses are checked again at every connect (DNS can change).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common import ssrf
from outages.models import Service
from outages.official.models import OfficialSource
from outages.official.services.poll import status_policy

MIN_INTERVAL = 30


def source_errors(
    *, kind: str, url: str, components: Sequence[str], interval: int
) -> dict[str, str]:
    """Field -> why, for the admin form and the command alike."""
    errors: dict[str, str] = {}
    if kind not in OfficialSource.Kind.values:
        errors["kind"] = _("Unknown format; one of %(kinds)s.") % {
            "kinds": ", ".join(OfficialSource.Kind.values)
        }
    try:
        ssrf.target_check(url, policy=status_policy())
    except ssrf.Refused as exc:
        errors["url"] = _("This URL cannot be polled: %(why)s.") % {"why": exc}
    if components and kind == OfficialSource.Kind.INSTATUS:
        errors["components"] = _("Instatus summaries list no components to narrow to.")
    if not isinstance(components, list | tuple) or not all(
        isinstance(name, str) and name.strip() for name in components
    ):
        errors["components"] = _("A list of component names.")
    if interval < MIN_INTERVAL:
        errors["interval_seconds"] = _("At least %(n)d seconds.") % {"n": MIN_INTERVAL}
    return errors


def source_create(
    *,
    service: Service,
    kind: str,
    url: str,
    page_url: str = "",
    components: Sequence[str] = (),
    interval: int = 120,
) -> OfficialSource:
    errors = source_errors(kind=kind, url=url, components=list(components), interval=interval)
    if errors:
        raise ValidationError(errors)
    return OfficialSource.objects.create(
        service=service,
        kind=kind,
        url=url,
        page_url=page_url,
        components=[name.strip() for name in components],
        interval_seconds=interval,
    )
