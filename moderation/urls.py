"""Every moderation page lives under /moderation/, in the namespace "moderation"."""

from django.urls import path

from moderation import views
from moderation.panel import burst_views, comment_views
from moderation.panel import views as panel

app_name = "moderation"
urlpatterns = [
    path("", panel.home, name="home"),
    path("counts.json", panel.counts, name="counts"),
    path("account/two-factor/", panel.totp_enrol, name="totp"),
    path("comments/", comment_views.comment_queue, name="comments"),
    path("comments/undo/", comment_views.comments_undo, name="comments_undo"),
    path("comments/<int:pk>/redact/", comment_views.comment_redact_view, name="comment_redact"),
    path("bursts/", burst_views.burst_list, name="bursts"),
    path("bursts/burst", burst_views.burst_detail, name="burst"),
    path("bursts/void", burst_views.burst_void_view, name="burst_void"),
    path("bursts/<int:pk>/undo", burst_views.burst_undo_view, name="burst_undo"),
    path("incidents/", views.incident_queue, name="incident_queue"),
    path("incidents/<int:pk>/", views.incident_review, name="incident_review"),
]
