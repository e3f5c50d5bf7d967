"""The pure rules of incident records: which incidents are public (the diversity rule), where
an incident is (one country, several, international; "iOS app only"), each country's ratio to
its usual share, and how sure we are (the "works for me" reports). No database: plain values
in, plain values out, so they read and test on their own; outages.services.incidents applies
them to the rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from outages.models import Incident

MIN_REPORTERS = 10
MAX_SOURCE_SHARE = 0.5
# A country is affected when it sent at least this many reports and this many times its own
# usual number; the verdict is "one country" when one holds ONE_COUNTRY_SHARE of the excess.
COUNTRY_MIN_REPORTS = 5
COUNTRY_MIN_RATIO = 2.0
ONE_COUNTRY_SHARE = 0.8
SEVERAL_MAX = 4
ONLY_SHARE = 0.9


@dataclass(frozen=True)
class Diversity:
    """Who sent a service's reports over a period, as far as hashes tell."""

    reports: int
    reporters: int  # distinct fingerprints
    networks: int  # distinct hashed network prefixes
    top_network_share: float
    top_origin_share: float  # of the reports sent through one embedding origin

    @property
    def passes(self) -> bool:
        return (
            self.reporters >= MIN_REPORTERS
            and self.top_network_share <= MAX_SOURCE_SHARE
            and self.top_origin_share <= MAX_SOURCE_SHARE
        )


# (service id, since, until) -> Diversity, from the raw reports: reports.selectors's
# report_diversity, handed in by config/tasks.py (outages does not import reports).
DiversityLookup = Callable[[int, datetime, datetime], Diversity]


@dataclass(frozen=True)
class SeriesFigures:
    """What the detection pass knows of an open incident's series at its last minute."""

    expected_total: float  # reports the baseline expected since the incident started
    recent: float  # problem reports in the last 15 minutes
    recent_expected: float
    recent_works: float  # "works for me" reports in the last 15 minutes (whole service)


def scope_verdict(countries: Sequence[Mapping[str, object]]) -> str:
    """One country, several or international, from each country's count and its expected
    count under its usual share (see the constants above)."""
    excess = {
        str(c["country"]): max(float(c["count"]) - float(c["expected"] or 0.0), 0.0)  # type: ignore[arg-type]
        for c in countries
    }
    total = sum(excess.values())
    if not total:
        return ""
    affected = [c for c in countries if _affected(c)]
    if max(excess.values()) >= ONE_COUNTRY_SHARE * total or len(affected) <= 1:
        return Incident.Scope.ONE
    return Incident.Scope.SEVERAL if len(affected) <= SEVERAL_MAX else Incident.Scope.INTERNATIONAL


def _affected(country: Mapping[str, object]) -> bool:
    ratio = country["ratio"]
    return float(country["count"]) >= COUNTRY_MIN_REPORTS and (  # type: ignore[arg-type]
        ratio is None or float(ratio) >= COUNTRY_MIN_RATIO  # type: ignore[arg-type]
    )


def only_segment(
    counts: Mapping[str, Counter[str]],
    usual: Mapping[str, Mapping[str, float]],
    *,
    expected_total: float,
) -> str:
    """The "dimension:name" (platform or country) holding ONLY_SHARE of the excess over each
    one's usual share ("iOS app only"), else "". `counts` and `usual` are by dimension, then
    by name. When both a platform and a country qualify, the one that is usually the smaller
    share of reports says more."""
    found = []
    for dimension, by_name in counts.items():
        shares = usual[dimension]
        excess = {n: c - expected_total * shares[n] for n, c in by_name.items()}
        total = sum(max(e, 0.0) for e in excess.values())
        name, top = max(excess.items(), key=lambda item: item[1], default=("", 0.0))
        if total > 0 and top >= ONLY_SHARE * total:
            found.append((shares[name], f"{dimension}:{name}"))
    return min(found)[1] if found else ""


def country_rows(
    counts: Counter[str], usual: Mapping[str, float | None], *, expected_total: float
) -> list[dict[str, object]]:
    """Each country's count and its ratio to what its usual share of the baseline expected
    (None for a country without a share of its own)."""
    rows: list[dict[str, object]] = []
    for country, count in counts.most_common():
        share = usual.get(country)
        expected = expected_total * share if share is not None else None
        rows.append(
            {
                "country": country,
                "count": count,
                "expected": round(expected, 1) if expected is not None else None,
                "ratio": round(count / max(expected, 0.5), 1) if expected is not None else None,
            }
        )
    return rows


def confidence(figures: SeriesFigures) -> tuple[float, bool]:
    """ "Works for me" reports lower confidence in a small spike, and mark recovery once they
    outnumber the excess of problem reports: (confidence, recovering)."""
    excess = max(figures.recent - figures.recent_expected, 0.0)
    works = figures.recent_works
    sure = round(excess / (excess + works), 3) if excess + works else 1.0
    return sure, works > 0 and works >= excess


def shares(counts: Counter[str], total: int) -> dict[str, float]:
    return {name: round(count / total, 4) for name, count in counts.most_common()}
