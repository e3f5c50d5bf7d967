"""Who may open a moderation page: staff with the page's permission and, for administrators
when it is required, a verified second factor. Anonymous visitors go to the admin's login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from moderation.sites import otp_satisfied

View = Callable[..., HttpResponse]


# Any one of these opens the moderation home (each page then asks for its own).
PANEL_PERMISSIONS = (
    "comments.moderate_comment",
    "reports.void_burst",
    "moderation.review_incident",
)


def moderator_required(*permissions: str) -> Callable[[View], View]:
    """Staff holding any one of `permissions` (and a verified device when one is required)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            # As the admin does: an account that may not use it signs in as another.
            if not (user.is_authenticated and user.is_active and user.is_staff) or not (
                otp_satisfied(user)
            ):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not any(map(user.has_perm, permissions)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorate
