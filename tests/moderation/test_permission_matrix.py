"""What an anonymous visitor, a staff account without a role, a moderator and an administrator
may see and do, for every admin and moderation URL.

The URLs are enumerated from the URL configuration by prefix (/admin/, /moderation/), so a
page added later (a comment queue, a burst list) is in the matrix the day it is routed. The
expectations are written out for the models whose roles this project decides; a model the
table does not name yet is held to its own ModelAdmin's permission methods.

Over 300 lines: one table of every moderation and admin URL walked as each role.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.models import AuditEntry
from moderation.services import incident_note_set
from outages.models import Incident
from tests.comments.helpers import make_comment
from tests.factories import (
    AccessAttemptFactory,
    AccessFailureLogFactory,
    AccessLogFactory,
    IncidentFactory,
    ServiceFactory,
    TOTPDeviceFactory,
)
from tests.moderation.conftest import member, signed_in

pytestmark = pytest.mark.django_db
PREFIXES = ("admin/", "moderation/")
ROLES = ("anonymous", "staff", "moderator", "administrator")
MODEL_VIEWS = ("changelist", "add", "history", "delete", "change")

# Model admin pages a moderator may open (GET); everything else of the admin is 403 to them.
MODERATOR_MAY = {
    "outages.incident": {"changelist", "change", "history", "object"},
    "outages.service": {"changelist", "change", "history", "object"},
    "moderation.auditentry": {"changelist", "change", "history", "object"},
    "comments.comment": {"changelist", "change", "history", "object"},
}
# Model admin pages even an administrator may not open: the audit log is written by actions
# only; incidents are opened by detection only; axes' records are written by logins only.
NOBODY_MAY = {
    "moderation.auditentry": {"add", "delete"},
    "outages.incident": {"add"},
    "axes.accessattempt": {"add"},
    "axes.accesslog": {"add"},
    "axes.accessfailurelog": {"add"},
    # Comments are written by readers and removed by the audited actions only; keys are
    # revoked, never deleted.
    "comments.comment": {"add", "delete"},
    "partners.apikey": {"delete"},
}

# The moderation panel's pages: a moderator and an administrator open them (GET), a staff
# account without a role is refused, an anonymous visitor is sent to sign in.
OUR_MODERATION_PAGES = {
    "moderation:home",
    "moderation:counts",
    "moderation:totp",
    "moderation:comments",
    "moderation:comment_redact",
    "moderation:bursts",
    "moderation:incident_queue",
    "moderation:incident_review",
}
# Panel actions that only take a POST: the roles hold first, then a GET is refused (405).
PANEL_POST_ONLY = {
    "moderation:comments_undo",
    "moderation:burst_void",
    "moderation:burst_undo",
}
# One burst: its criteria come in the query string; without them the page says which
# field is missing (400), to those who may see it.
PANEL_NEEDS_QUERY = {"moderation:burst"}


@dataclass(frozen=True)
class Page:
    name: str  # "admin:outages_incident_change", "moderation:incident_review"
    route: str  # as routed, with converters


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Page]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            yield Page(namespace + (entry.name or "object"), prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and "app_label" in str(entry.pattern):
            for label in re.search(r"\(\?P<app_label>([^)]*)\)", str(entry.pattern))[1].split("|"):
                yield Page(f"{namespace}app_list:{label}", f"{prefix}{label}/")


PAGES = sorted(
    {p for p in _walk(get_resolver()) if p.route.startswith(PREFIXES)}, key=lambda p: p.route
)


def test_the_walk_finds_the_admin_and_the_moderation_pages():
    names = {page.name for page in PAGES}
    assert {
        "admin:index",
        "admin:outages_incident_change",
        "admin:outages_service_merge",
        "admin:auth_user_changelist",
        "moderation:incident_review",
    } <= names
    ours = OUR_MODERATION_PAGES | PANEL_POST_ONLY | PANEL_NEEDS_QUERY
    assert {n for n in names if n.startswith("moderation:")} == ours, (
        "a new moderation page: say in the matrix who may open it"
    )
    assert not [p for p in PAGES if p.route.startswith("moderation/") and ":" not in p.name]
    assert len(PAGES) > 60


# --- The world the matrix runs in -----------------------------------------------------------


@pytest.fixture
def world():
    actors = {
        "staff": member("staff", None),
        "moderator": member("mod", "Moderators"),
        "administrator": member("boss", "Administrators"),
    }
    service = ServiceFactory(slug="twitter")
    incident = IncidentFactory(service=service)
    incident_note_set(actor=actors["moderator"], incident=incident, note="Seen.")
    TOTPDeviceFactory(user=actors["administrator"])
    AccessAttemptFactory()
    AccessLogFactory()
    AccessFailureLogFactory()
    comment = make_comment(service)
    clients = {"anonymous": Client(), **{r: signed_in(u) for r, u in actors.items()}}
    return actors, clients, {"incident": incident, "service": service, "comment": comment}


def _model_of(page: Page):  # type: ignore[no-untyped-def]
    match = re.match(r"admin/(\w+)/(\w+)/", page.route)
    if not match or match[1] == "r":
        return None
    try:
        return apps.get_model(match[1], match[2])
    except LookupError:
        return None


def _path(page: Page, objects: dict[str, object]) -> str:
    model = _model_of(page)
    first = model._default_manager.order_by("pk").first() if model else None
    if page.name.startswith("moderation:incident"):
        first = objects["incident"]
    if page.name == "moderation:comment_redact":
        first = objects["comment"]
    ident = str(first.pk) if first is not None else "999999"
    path = re.sub(r"<(?:\w+:)?(?:object_id|pk|id)>", ident, page.route)
    path = re.sub(r"<(?:\w+:)?content_type_id>", "1", path)
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", path)


def _view(page: Page) -> str:
    last = page.name.rsplit("_", 1)[-1]
    return last if last in MODEL_VIEWS else ("object" if page.name == "admin:object" else "")


def _allowed(role: str, page: Page, path: str, user: User) -> bool:
    """May this role open the page (GET)? The table above for the models it names, else the
    page's own ModelAdmin."""
    model, view = _model_of(page), _view(page)
    label = model._meta.label_lower if model else ""
    if role == "administrator":
        return view not in NOBODY_MAY.get(label, set())
    if role == "staff":
        return False
    if label in MODERATOR_MAY or label.split(".")[0] in {"auth", "axes", "otp_totp"}:
        return view in MODERATOR_MAY.get(label, set())
    model_admin = getattr(resolve(path).func, "model_admin", None)
    request = RequestFactory().get("/")
    request.user = user
    checks = {"add": "has_add_permission", "delete": "has_delete_permission"}
    check = checks.get(view, "has_view_or_change_permission")
    return bool(model_admin and getattr(model_admin, check)(request))


# --- GET, every page, every role ------------------------------------------------------------


def _expected(role: str, page: Page, path: str, user: User | None) -> set[int]:
    name = page.name
    if name == "admin:logout":
        return {302, 405}  # a GET never signs anyone out (checked below)
    if name in PANEL_POST_ONLY:
        return {"anonymous": {302}, "staff": {403}}.get(role, {405})
    if name in PANEL_NEEDS_QUERY:
        return {"anonymous": {302}, "staff": {403}}.get(role, {400})
    if role == "anonymous":
        return {200} if name == "admin:login" else {302}
    if name == "admin:login":
        return {302} if role != "staff" else {302, 200}
    if name.startswith("moderation:"):
        return {403} if role == "staff" else {200}
    if name.startswith("admin:app_list:"):
        label = name.rsplit(":", 1)[-1]
        if role == "administrator":
            return {200}
        shown = {m.split(".")[0] for m in MODERATOR_MAY} if role == "moderator" else set()
        return {200} if label in shown else {404}
    if name in {
        "admin:index",
        "admin:password_change",
        "admin:password_change_done",
        "admin:jsi18n",
    }:
        return {200}
    if name in {
        "admin:autocomplete",
        "admin:otp_totp_totpdevice_config",
        "admin:otp_totp_totpdevice_qrcode",
    }:
        return {403}  # no query; TOTP secrets are never shown (OTP_ADMIN_HIDE_SENSITIVE_DATA)
    if name == "admin:view_on_site":
        return {404}
    if name == "admin:object":  # the catch-all and <object_id>/, which redirects to change
        return {302, 404}
    if name == "admin:outages_service_merge":
        return {200} if role == "administrator" else {403}
    if name == "admin:auth_user_password_change":
        return {200} if role == "administrator" else {403}
    if not _allowed(role, page, path, user):
        # (the history of an object that does not exist redirects before asking who you are)
        return {403, 302} if "999999" in path else {403}
    return {200, 302} if "999999" in path else {200}


@pytest.mark.parametrize("page", PAGES, ids=[p.route for p in PAGES])
def test_every_page_answers_each_role_as_the_matrix_says(world, page):
    actors, clients, objects = world
    path = _path(page, objects)
    for role in ROLES:
        response = clients[role].get(path)
        expected = _expected(role, page, path, actors.get(role))
        where = f"{role} GET {path} ({page.name}) answered {response.status_code}"
        assert response.status_code in expected, where
        if role == "anonymous" and response.status_code == 302 and page.name != "admin:logout":
            assert "/login/" in response["Location"], where
        if role != "anonymous":
            assert clients[role].get("/admin/").status_code in {200, 302}, where
    assert clients["moderator"].get("/admin/").status_code == 200  # still signed in


# --- A few actions, by role -----------------------------------------------------------------


def test_only_moderators_and_administrators_review_incidents(world):
    _, clients, objects = world
    incident = objects["incident"]
    url = f"/moderation/incidents/{incident.pk}/"
    for role, expected in (("anonymous", 302), ("staff", 403)):
        assert clients[role].post(url, {"action": "dismiss"}).status_code == expected
    incident.refresh_from_db()
    assert incident.review == Incident.Review.UNREVIEWED
    assert clients["moderator"].post(url, {"action": "confirm"}).status_code == 302
    assert clients["administrator"].post(url, {"action": "dismiss"}).status_code == 302
    incident.refresh_from_db()
    assert incident.review == Incident.Review.DISMISSED


def test_a_moderator_cannot_change_services_users_or_the_log(world):
    actors, clients, objects = world
    moderator = clients["moderator"]
    service = objects["service"]
    entry = AuditEntry.objects.first()
    refused = [
        ("/admin/outages/service/add/", {"slug": "new", "name": "New", "category": "other"}),
        (f"/admin/outages/service/{service.pk}/change/", {"slug": "x", "name": "Renamed"}),
        (f"/admin/outages/service/{service.pk}/merge/", {"keep": service.pk}),
        (f"/admin/outages/service/{service.pk}/delete/", {"post": "yes"}),
        (f"/admin/moderation/auditentry/{entry.pk}/delete/", {"post": "yes"}),
        ("/admin/auth/user/add/", {"username": "eve", "password1": "x", "password2": "x"}),
        (f"/admin/auth/group/{Group.objects.first().pk}/delete/", {"post": "yes"}),
    ]
    for url, data in refused:
        assert moderator.post(url, data).status_code == 403, url
    service.refresh_from_db()
    assert service.name == "Twitter" and not User.objects.filter(username="eve").exists()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_an_administrator_manages_services_and_nobody_edits_the_log(world):
    actors, clients, objects = world
    boss = clients["administrator"]
    response = boss.post(
        "/admin/outages/service/add/",
        {
            "slug": "mastodon",
            "name": "Mastodon",
            "category": "social",
            "aliases-TOTAL_FORMS": "1",
            "aliases-INITIAL_FORMS": "0",
            "aliases-0-alias": "toot",
            "logo-TOTAL_FORMS": "1",
            "logo-INITIAL_FORMS": "0",
            "logo-0-url": "https://example.com/mastodon.png",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="service.add")
    assert entry.after["aliases"] == ["toot"]
    assert entry.after["logo"] == "https://example.com/mastodon.png"
    log = AuditEntry.objects.first()
    assert (
        boss.post(f"/admin/moderation/auditentry/{log.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        boss.post(f"/admin/moderation/auditentry/{log.pk}/change/", {"action": "x"}).status_code
        == 403
    )


def test_the_panel_actions_refuse_anonymous_visitors_and_staff_without_a_role(world):
    _, clients, objects = world
    comment, incident = objects["comment"], objects["incident"]
    posts = [
        ("/moderation/comments/", {"action": "approve", "ids": [comment.pk]}),
        ("/moderation/comments/undo/", {}),
        (f"/moderation/comments/{comment.pk}/redact/", {"part": "Comment", "approve": "yes"}),
        ("/moderation/account/two-factor/", {"token": "123456"}),
        (f"/moderation/incidents/{incident.pk}/", {"action": "undo"}),
        ("/moderation/bursts/1/undo", {}),
    ]
    for role, expected in (("anonymous", 302), ("staff", 403)):
        for url, data in posts:
            assert clients[role].post(url, data).status_code == expected, (role, url)
    comment.refresh_from_db()
    assert comment.state == "pending" and comment.text.startswith("Comment")
    assert not AuditEntry.objects.exclude(action="incident.note").exists()
    assert not TOTPDevice.objects.filter(user__username="staff").exists()
