"""Comment pages: posting and flagging (CSRF-protected forms that work without JavaScript).
The moderators' queue is part of the moderation panel (moderation/panel/comment_views.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from comments import selectors, services
from comments.forms import CommentForm, FlagForm
from comments.models import Comment
from common.cross_origin import public_form
from outages.models import Incident, Service
from reports.intake.client import client_of
from reports.intake.fingerprint import fingerprints_for


def comments_section_context(
    request: HttpRequest, service: Service, incidents: Sequence[Incident]
) -> dict[str, Any]:
    """What the service page needs for its comments section (one query)."""
    return {
        "comments": selectors.comments_public(
            service_id=service.id, incidents=incidents, limit=settings.COMMENTS_ON_PAGE
        ),
        "comment_form": CommentForm(slug=service.slug, now=timezone.now()),
        "flag_form": FlagForm(),
    }


@public_form
@require_POST
def comment_post(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=slug, is_active=True)
    now = timezone.now()
    form = CommentForm(request.POST, slug=slug, now=now)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.comment_submit(
                service=service,
                name=data["name"],
                email=data["email"],
                text=data["text"],
                fingerprint=_fingerprint(request, now),
                fill_seconds=data["started"],
                now=now,
            )
        except services.CommentRejected as rejection:
            form.add_error(rejection.field, rejection.message)
            status = 429 if rejection.code == "rate_limited" else 400
        else:
            messages.success(request, _("Thank you: your comment will appear after review."))
            return redirect(f"{reverse('service_detail', args=[slug])}#comments")
    return render(
        request,
        "comments/comment_page.html",
        {"service": service, "comment_form": form},
        status=status,
    )


@public_form
@require_http_methods(["GET", "POST"])
def comment_flag(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, slug=slug, is_active=True)
    comment = get_object_or_404(
        Comment.objects.only(*selectors.PUBLIC_FIELDS),
        pk=pk,
        service=service,
        state=Comment.State.APPROVED,
    )
    form = FlagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            outcome = services.comment_flag(
                comment_id=comment.pk,
                service=service,
                fingerprint=_fingerprint(request, now),
                reason=form.cleaned_data["reason"],
                now=now,
            )
        except Comment.DoesNotExist:  # hidden meanwhile: already waiting for a moderator
            outcome = services.FlagOutcome.COUNTED
        if outcome is services.FlagOutcome.RATE_LIMITED:
            form.add_error(None, _("You have flagged many comments lately: please wait a while."))
            context = {"service": service, "comment": comment, "flag_form": form}
            return render(request, "comments/flag_page.html", context, status=429)
        if outcome is services.FlagOutcome.COUNTED:
            messages.success(request, _("Thank you: a moderator will look at this comment."))
        else:
            messages.info(request, _("You already flagged this comment."))
        return redirect(f"{reverse('service_detail', args=[slug])}#comments")
    context = {"service": service, "comment": comment, "flag_form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "comments/flag_page.html", context, status=status)


def _fingerprint(request: HttpRequest, now: datetime) -> str:
    client = client_of(request)
    return fingerprints_for(address=client.address, user_agent=client.user_agent, now=now).reporter
