"""Read side: what the pages, the API and the charts ask of services and buckets, split by
domain (catalogue, series, incidents, region); every name is also offered here."""

from outages.selectors.catalogue import (
    service_with_status,
    services_active,
    services_ranked,
    services_search,
)
from outages.selectors.incidents import (
    StatusReading,
    incident_minutes,
    incident_series,
    incidents_of_service,
    incidents_open_public,
    incidents_public,
    service_status,
)
from outages.selectors.region import (
    COUNTRY_PRIOR_SHARE,
    RegionRow,
    incidents_open_in_country,
    region_ranking,
)
from outages.selectors.series import (
    BREAKDOWN_CACHE_SECONDS,
    RANGES,
    SERIES_CACHE_SECONDS,
    BandSeries,
    breakdown,
    breakdown_cached,
    day_line,
    recent_reports,
    series_for_chart,
    series_with_band,
    service_baseline,
)

__all__ = [
    "BREAKDOWN_CACHE_SECONDS",
    "COUNTRY_PRIOR_SHARE",
    "RANGES",
    "SERIES_CACHE_SECONDS",
    "BandSeries",
    "RegionRow",
    "StatusReading",
    "breakdown",
    "breakdown_cached",
    "day_line",
    "incident_minutes",
    "incident_series",
    "incidents_of_service",
    "incidents_open_in_country",
    "incidents_open_public",
    "incidents_public",
    "recent_reports",
    "region_ranking",
    "series_for_chart",
    "series_with_band",
    "service_baseline",
    "service_status",
    "services_active",
    "services_ranked",
    "services_search",
    "service_with_status",
]
