from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from comments import views as comments_views
from common.cross_origin import public_form
from config import health, pages
from outages import apis as outages_apis
from outages import badges, feeds, series_exports
from outages import views as outages_views
from outages.edge import edge_read
from outages.embed import views as embed_views
from reports import apis as reports_apis
from reports import views as reports_views
from reports.widget import views as widget_views

urlpatterns = [
    path("", outages_views.home, name="home"),
    path(
        "s/<slug:slug>/",
        outages_views.service_detail,
        {"sections": pages.SERVICE_SECTIONS},
        name="service_detail",
    ),
    path("s/<slug:slug>/report/", reports_views.report_form, name="report_form"),
    path("s/<slug:slug>/live.json", outages_views.service_live, name="service_live"),
    path("s/<slug:slug>/series.csv", series_exports.series_csv, name="service_series_csv"),
    path("s/<slug:slug>/series.json", series_exports.series_json, name="service_series_json"),
    path("s/<slug:slug>/feed.atom", feeds.ServiceIncidentsAtom(), name="service_feed_atom"),
    path("s/<slug:slug>/feed.rss", feeds.ServiceIncidentsRss(), name="service_feed_rss"),
    path("badge/<slug:slug>.svg", badges.badge_svg, name="badge_svg"),
    path("badge/<slug:slug>.json", badges.badge_json, name="badge_json"),
    path("region/<str:cc>/", outages_views.region, name="region"),
    path("search", outages_views.search, name="search"),
    path("about/", outages_views.about, name="about"),
    path("incidents/", outages_views.incident_list, name="incident_list"),
    path("incidents/feed.atom", feeds.IncidentsAtom(), name="incidents_feed_atom"),
    path("incidents/feed.rss", feeds.IncidentsRss(), name="incidents_feed_rss"),
    path("incidents/<int:pk>/", outages_views.incident_detail, name="incident_detail"),
    path(
        "api/v1/services/<str:slug>/reports",
        reports_apis.report_create,
        name="api_report_create",
    ),
    path("api/v1/services", outages_apis.ServiceListApi.as_view(), name="api_services"),
    path("api/v1/categories", outages_apis.CategoryListApi.as_view(), name="api_categories"),
    path(
        "api/v1/services/<slug:slug>",
        edge_read()(outages_apis.ServiceStatusApi.as_view()),
        name="api_service_status",
    ),
    path(
        "api/v1/services/<slug:slug>/series",
        edge_read(per_minute=True)(outages_apis.ServiceSeriesApi.as_view()),
        name="api_service_series",
    ),
    path(
        "api/v1/services/<slug:slug>/breakdowns",
        outages_apis.ServiceBreakdownsApi.as_view(),
        name="api_service_breakdowns",
    ),
    path("api/v1/incidents", outages_apis.IncidentListApi.as_view(), name="api_incidents"),
    path(
        "api/v1/incidents/<int:pk>",
        outages_apis.IncidentDetailApi.as_view(),
        name="api_incident_detail",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's init script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("i18n/setlang/", public_form(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("moderation/", include("moderation.urls")),
    path("widget.js", embed_views.widget_js, name="widget_js"),
    path("embed/<slug:slug>/", embed_views.embed_page, name="embed_page"),
    path("embed/<slug:slug>/report", widget_views.embed_report, name="embed_report"),
    path("embed/<slug:slug>/token", widget_views.embed_token, name="embed_token"),
    path("metrics", health.metrics_view, name="metrics"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("s/<slug:slug>/comments/", comments_views.comment_post, name="comment_post"),
    path(
        "s/<slug:slug>/comments/<int:pk>/flag/",
        comments_views.comment_flag,
        name="comment_flag",
    ),
]

handler404 = "common.api_errors.not_found"
# A database or Redis that cannot be reached is a 503 with Retry-After, not a 500.
handler500 = "common.unavailable.server_error_or_unavailable"
urlpatterns += [path("", include("alerts.urls"))]
