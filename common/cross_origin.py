"""Cross-site request forgery protection without a per-visitor token in the page, so that the
public pages can be the same bytes for everyone and live in a shared cache (outages/page_cache).

A state-changing request is judged the way Go's net/http.CrossOriginProtection judges it:

1. `Sec-Fetch-Site: same-origin` (or `none`, a request the user typed): accepted. Every current
   browser sends Fetch Metadata, and a page cannot forge or drop it.
2. `Sec-Fetch-Site` saying anything else (`same-site`, `cross-site`): refused, unless its
   `Origin` is this site or one of CSRF_TRUSTED_ORIGINS. A page on another port or another
   subdomain is another origin: refused.
3. No Fetch Metadata but an `Origin` (browsers before 2023, plain-HTTP hosts): accepted only
   if it is this site or a trusted origin, as Django itself checks it.
4. Neither header (browsers from before 2020, scripts): Django's CSRF token, bound to a cookie.
   The public forms carry no token, so such a browser gets a confirmation page (served fresh,
   never cached) that repeats its fields with a token; pressing its button sends them. A
   hostile page cannot read that token (same-origin policy) nor set the cookie, so this path is
   exactly as strong as Django's token was; the only thing a forger can obtain is our page
   asking the visitor to confirm, which is no more than a link to our form.

Views marked @public_form (the report, comment, flag and language forms) get the confirmation
page on path 4; every other view gets Django's plain 403, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.template.loader import render_to_string

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
ACCEPTED_SITES = ("same-origin", "none")
REASON_CROSS_ORIGIN = "Cross-origin request (Sec-Fetch-Site: %s, Origin: %s)."


def public_form(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose form is on a shared (cached) page and so carries no CSRF token: a
    browser that sends neither Fetch Metadata nor Origin is asked to confirm instead."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return view(request, *args, **kwargs)

    wrapped.public_form = True  # type: ignore[attr-defined]
    return wrapped


def cross_origin_verdict(request: HttpRequest, origin_verified: Callable[[], bool]) -> str:
    """ "same" (accept), "cross" (refuse) or "unknown" (neither header: the token decides)."""
    site = request.META.get("HTTP_SEC_FETCH_SITE", "").strip().lower()
    if site in ACCEPTED_SITES:
        return "same"
    has_origin = "HTTP_ORIGIN" in request.META
    if not site and not has_origin:
        return "unknown"
    return "same" if has_origin and origin_verified() else "cross"


class CrossOriginCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF middleware with Fetch Metadata and Origin checks first (see the module)."""

    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseForbidden | None:
        if (
            getattr(request, "csrf_processing_done", False)
            or getattr(callback, "csrf_exempt", False)
            or request.method in SAFE_METHODS
            or getattr(request, "_dont_enforce_csrf_checks", False)
        ):
            return super().process_view(request, callback, callback_args, callback_kwargs)
        # Django's own checks (private, absent from the stubs): the origin against this host and
        # CSRF_TRUSTED_ORIGINS, and how Django accepts and refuses.
        verdict = cross_origin_verdict(
            request,
            lambda: self._origin_verified(request),  # type: ignore[attr-defined]
        )
        if verdict == "same":
            return self._accept(request)  # type: ignore[attr-defined,no-any-return]
        if verdict == "cross":
            reason = REASON_CROSS_ORIGIN % (
                request.META.get("HTTP_SEC_FETCH_SITE", "-"),
                request.META.get("HTTP_ORIGIN", "-"),
            )
            return self._reject(request, reason)  # type: ignore[attr-defined,no-any-return]
        refused = super().process_view(request, callback, callback_args, callback_kwargs)
        if refused is not None and getattr(callback, "public_form", False):
            return confirm_page(request)
        return refused


def confirm_page(request: HttpRequest) -> HttpResponseForbidden:
    """The form's fields again, with a token, for a browser that said nothing of its origin."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken"
        for value in values
    ]
    context = {"action": request.get_full_path(), "fields": fields}
    return HttpResponseForbidden(render_to_string("confirm_post.html", context, request))
