"""The comment queue under /moderation/comments/: filters, search, sort, bulk actions (a
deletion asks for confirmation, an approval or rejection can be undone) and redaction."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comments import services
from comments.models import Comment, CommentFlag
from moderation.access import moderator_required
from moderation.models import AuditEntry
from moderation.panel.comment_actions import comment_redact, comments_moderation_undo
from moderation.panel.comment_queue import (
    SORTS,
    VIEWS,
    comment_queue_page,
    queue_filter,
    services_with_comments,
)

MODERATE = "comments.moderate_comment"
UNDO_KEY = "moderation:comment-undo"  # the session's last undoable batch


def _view_labels() -> dict[str, str]:
    return {
        "review": _("To review"),
        "approved": _("Approved"),
        "rejected": _("Rejected"),
        "all": _("All"),
    }


def _sort_labels() -> dict[str, str]:
    return {
        "priority": _("Hidden and new first"),
        "oldest": _("Oldest first"),
        "newest": _("Newest first"),
        "spam": _("Highest spam score"),
        "flags": _("Most flags"),
    }


@moderator_required(MODERATE)
@require_http_methods(["GET", "POST"])
def comment_queue(request: HttpRequest) -> HttpResponse:
    here = request.get_full_path()
    if request.method == "POST":
        return _act(request, here)
    chosen, errors = queue_filter(request.GET.dict())
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    limit = settings.COMMENTS_QUEUE_PAGE
    page = comment_queue_page(chosen=chosen, offset=offset, limit=limit)
    query = request.GET.copy()
    query.pop("offset", None)
    context = {
        "menu": "comments",
        "rows": page.rows,
        "chosen": chosen,
        "filter_errors": errors,
        "view": chosen.view,
        "views": [(n, _view_labels()[n], page.counts[n]) for n in VIEWS],
        "sorts": [(n, _sort_labels()[n]) for n in SORTS],
        "reasons": CommentFlag.Reason.choices,
        "services": services_with_comments(),
        "query": query.urlencode(),
        "next_offset": offset + limit if page.more else None,
        "previous_offset": max(0, offset - limit) if offset else None,
        "hide_after": settings.COMMENTS_FLAGS_TO_HIDE,
        "undo": request.session.get(UNDO_KEY),
    }
    return render(request, "moderation/comment_queue.html", context, status=400 if errors else 200)


def _act(request: HttpRequest, here: str) -> HttpResponse:
    action = request.POST.get("action", "")
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    if action not in services.ACTIONS:
        messages.error(request, _("Choose approve, reject or delete."))
        return redirect(here)
    if not ids:
        messages.error(request, _("Select at least one comment."))
        return redirect(here)
    if action == "delete" and request.POST.get("confirmed") != "yes":
        chosen = Comment.objects.filter(pk__in=ids).select_related("service")
        return render(
            request,
            "moderation/comment_delete.html",
            {"comments": chosen, "back": here, "menu": "comments"},
        )
    last = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0
    done = services.comments_moderate(
        actor=request.user, ids=ids, action=action, now=timezone.now()
    )
    request.session.pop(UNDO_KEY, None)
    if action != "delete" and done:
        entries = AuditEntry.objects.filter(
            pk__gt=last, actor_id=request.user.pk, action=f"comment.{action}"
        )
        request.session[UNDO_KEY] = {
            "entries": list(entries.values_list("pk", flat=True)),
            "count": done,
        }
    messages.success(request, services.moderated_message(action, done))
    return redirect(here)


@moderator_required(MODERATE)
@require_POST
def comments_undo(request: HttpRequest) -> HttpResponse:
    batch = request.session.pop(UNDO_KEY, None) or {}
    restored = comments_moderation_undo(actor=request.user, entry_ids=batch.get("entries", []))
    messages.success(
        request,
        ngettext("%(n)d comment put back.", "%(n)d comments put back.", restored) % {"n": restored},
    )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/moderation/comments/") else "moderation:comments")


@moderator_required(MODERATE)
@require_http_methods(["GET", "POST"])
def comment_redact_view(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("service"), pk=pk)
    error = ""
    if request.method == "POST":
        try:
            comment_redact(
                actor=request.user,
                comment_id=comment.pk,
                part=request.POST.get("part", ""),
                now=timezone.now(),
                approve=request.POST.get("approve") == "yes",
            )
        except ValidationError as invalid:
            error = " ".join(invalid.message_dict.get("part", invalid.messages))
        else:
            messages.success(request, _("Comment %(pk)d redacted.") % {"pk": comment.pk})
            return redirect("moderation:comments")
    context = {
        "comment": comment,
        "error": error,
        "part": request.POST.get("part", ""),
        "menu": "comments",
    }
    return render(request, "moderation/comment_redact.html", context, status=400 if error else 200)
