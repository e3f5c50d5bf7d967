"""Find suspicious report bursts: windows where one key (a reporter fingerprint, a hashed
network prefix, a user-agent hash or an embedding origin) sends an unusual share of a
service's reports. Pure: numpy in, `Burst`s out, no Django.

Each report is a row of parallel arrays: its service, its minute (any integer minute count,
e.g. minutes since the epoch) and one integer code per key kind (-1 where the report has no
such key, e.g. no embedding origin); `key_codes` turns hash strings into codes.

The rule, per service, per key kind, over windows of WINDOW_BINS bins of BIN_MINUTES sliding
by one bin. In a window the service received n reports, c of them from the key. The key's
usual share p is its share of the service's reports outside that window (leave-one-out, so a
burst does not make itself look usual; a common browser's user agent usually holds a large
share, a /24 network a tiny one). The window is a burst when all of these hold:

* c >= MIN_SIZE reports (a handful of reports is not a flood worth a moderator's time);
* c / n >= MIN_SHARE of the window's reports (15%: below it, ordinary traffic);
* c >= MIN_LIFT x n p (the key sends several times its usual share);
* (c - n p) / sqrt(n p + (DISPERSION n p)^2 + 1) >= MIN_Z: the excess is far beyond chance,
  allowing shares to drift by about DISPERSION relative to their usual value.

Consecutive or overlapping burst windows of one key merge into one burst, whose start and end
are tightened to the key's first and last report inside them. When bursts of several kinds
cover the same reports (one machine: one fingerprint, network and user agent), the most
specific is kept (fingerprint, then network, agent, origin): voiding it removes the flood and
the fewest bystanders. A burst is dropped when OVERLAP of its reports are in one kept before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

KINDS = ("fingerprint", "network", "agent", "origin")  # most specific first

BIN_MINUTES = 10
WINDOW_BINS = 3  # windows of 30 minutes, sliding by 10
MIN_SIZE = 15
# A key under 15% of a window's reports is ordinary traffic however unusual its lift (a large
# office or mobile network on a busy evening); voiding it would change the figures by less.
MIN_SHARE = 0.15
MIN_LIFT = 3.0
MIN_Z = 5.0
DISPERSION = 0.25
OVERLAP = 0.8  # a burst sharing this much of its reports with a larger one is the same flood

_SHIFT = np.int64(1 << 32)  # composite sort keys: group * _SHIFT + minute


@dataclass(frozen=True)
class Burst:
    service: int
    kind: str  # one of KINDS
    code: int  # the key's code in that kind's array
    start: int  # first minute, inclusive
    end: int  # last minute + 1
    size: int  # the key's reports in [start, end)
    total: int  # the service's reports in [start, end)
    expected: float  # the key's reports there at its usual share

    @property
    def share(self) -> float:
        """The burst's share of the service's reports over its window (of the spike)."""
        return self.size / self.total if self.total else 0.0


def key_codes(values: Sequence[str] | np.ndarray, *, empty_is_absent: bool = True):  # type: ignore[no-untyped-def]
    """(codes, uniques): integer codes for key strings, -1 for "" when empty_is_absent."""
    array = np.asarray(values, dtype=object)
    uniques, codes = np.unique(array, return_inverse=True)
    codes = codes.astype(np.int64)
    if empty_is_absent and len(uniques) and uniques[0] == "":
        codes -= 1  # "" sorts first: it becomes -1 and the other codes shift down
        uniques = uniques[1:]
    return codes, uniques


@dataclass(frozen=True)
class _Strata:
    """Reports grouped by the population a key's share is measured in: a service's reports,
    or (for user agents) those of one service and platform."""

    index: np.ndarray  # per report
    service: np.ndarray  # per stratum: its service's position in `services`
    per_window: np.ndarray  # (strata, windows) reports
    totals: np.ndarray  # (strata,) reports over the whole period
    by_minute: np.ndarray  # sorted stratum * _SHIFT + minute, to count any range

    @classmethod
    def of(
        cls, index: np.ndarray, service: np.ndarray, rel: np.ndarray, bins: np.ndarray, nbins: int
    ) -> _Strata:
        width = nbins + WINDOW_BINS
        per_bin = np.bincount(index * width + bins, minlength=len(service) * width)
        per_bin = per_bin.reshape(len(service), width).astype(np.int64)
        return cls(
            index,
            service,
            _window_sums(per_bin),
            per_bin.sum(axis=1),
            np.sort(index * _SHIFT + rel),
        )

    def count(self, stratum: int, start: int, end: int) -> int:
        base = stratum * _SHIFT
        lo, hi = np.searchsorted(self.by_minute, [base + start, base + end])
        return int(hi - lo)


def find_bursts(
    *,
    service: np.ndarray,
    minute: np.ndarray,
    keys: Mapping[str, np.ndarray],
    platform: np.ndarray | None = None,
) -> list[Burst]:
    """Bursts of every kind given in `keys` ({kind: codes}), largest first.

    With `platform` (codes per report), a user agent's share is measured among the reports of
    its service and platform: an outage of one app lifts all of that app's user agents
    together, which is not one user agent flooding a service.
    """
    service = np.asarray(service, dtype=np.int64)
    minute = np.asarray(minute, dtype=np.int64)
    if not len(service):
        return []
    origin = int(minute.min())
    rel = minute - origin
    bins = rel // BIN_MINUTES
    nbins = int(bins.max()) + 1
    services, service_index = np.unique(service, return_inverse=True)
    service_index = service_index.astype(np.int64)
    whole = _Strata.of(service_index, np.arange(len(services)), rel, bins, nbins)
    by_platform = whole
    if platform is not None:
        platform = np.asarray(platform, dtype=np.int64)
        pairs, index = np.unique(
            service_index * (int(platform.max()) + 1) + platform, return_inverse=True
        )
        owner = pairs // (int(platform.max()) + 1)
        by_platform = _Strata.of(index.astype(np.int64), owner, rel, bins, nbins)
    found: list[Burst] = []
    for kind in KINDS:
        if kind in keys:
            strata = by_platform if kind == "agent" else whole
            codes = np.asarray(keys[kind], dtype=np.int64)
            found += _bursts_of_kind(kind, codes, strata, whole, rel, bins, services, origin)
    return _distinct(found, service, minute, keys)


def _window_sums(per_bin: np.ndarray) -> np.ndarray:
    """Sums over WINDOW_BINS consecutive bins; column w is the window starting at bin w."""
    out = per_bin.copy()
    for shift in range(1, WINDOW_BINS):
        out[:, :-shift] += per_bin[:, shift:]
    return out


def _bursts_of_kind(
    kind: str,
    codes: np.ndarray,
    strata: _Strata,
    whole: _Strata,
    rel: np.ndarray,
    bins: np.ndarray,
    services: np.ndarray,
    origin: int,
) -> list[Burst]:
    present = codes >= 0
    divisor = int(codes.max(initial=0)) + 1
    # One group per (stratum, key); only groups with MIN_SIZE reports overall can burst. A
    # sort finds them (most keys have a handful of reports), then each report is looked up
    # among those few groups.
    pair = strata.index[present] * divisor + codes[present]
    ordered = np.sort(pair)
    edges = np.flatnonzero(np.diff(ordered)) + 1
    starts_at = np.concatenate([[0], edges])
    sizes = np.diff(np.concatenate([starts_at, [len(ordered)]]))
    big = sizes >= MIN_SIZE
    if not big.any():
        return []
    groups, group_size = ordered[starts_at[big]], sizes[big]
    slot = np.minimum(np.searchsorted(groups, pair), len(groups) - 1)
    keep = groups[slot] == pair
    group_of = slot[keep].astype(np.int64)
    # Count the big groups' reports per bin (dense, by chunks of groups to bound memory)
    # and per window, and test every window at once.
    kept_rel = rel[present][keep]
    width = strata.per_window.shape[1]
    per_bin = np.bincount(group_of * width + bins[present][keep], minlength=len(groups) * width)
    per_bin = per_bin.reshape(len(groups), width)
    hits_group, hits_start = [], []
    chunk = max(1, 4_000_000 // width)
    for first in range(0, len(groups), chunk):
        rows = slice(first, first + chunk)
        c = _window_sums(per_bin[rows]).astype(float)
        stratum = (groups[rows] // divisor).astype(np.int64)
        n = strata.per_window[stratum].astype(float)
        usual = (group_size[rows, None] - c) / np.maximum(strata.totals[stratum, None] - n, 1.0)
        expected = n * usual
        z = (c - expected) / np.sqrt(expected + (DISPERSION * expected) ** 2 + 1.0)
        hit = (c >= MIN_SIZE) & (c >= MIN_SHARE * n) & (c >= MIN_LIFT * expected) & (z >= MIN_Z)
        hit_group, hit_start = np.nonzero(hit)
        hits_group.append(hit_group + first)
        hits_start.append(hit_start)
    w_group, w_start = np.concatenate(hits_group), np.concatenate(hits_start)
    if not len(w_group):
        return []
    # The sorted (group, minute) of every kept report, to tighten and size merged windows.
    by_group = np.sort(group_of * _SHIFT + kept_rel)
    bursts = []
    for g, first, last in _runs(w_group, w_start):
        lo, hi = first * BIN_MINUTES, (last + WINDOW_BINS) * BIN_MINUTES
        a, b = np.searchsorted(by_group, [g * _SHIFT + lo, g * _SHIFT + hi])
        mine = by_group[a:b] - g * _SHIFT
        start, end = int(mine[0]), int(mine[-1]) + 1
        stratum = int(groups[g] // divisor)
        s = int(strata.service[stratum])
        among = strata.count(stratum, start, end)
        usual_share = (group_size[g] - len(mine)) / max(strata.totals[stratum] - among, 1)
        bursts.append(
            Burst(
                service=int(services[s]),
                kind=kind,
                code=int(groups[g] % divisor),
                start=origin + start,
                end=origin + end,
                size=len(mine),
                total=whole.count(s, start, end),
                expected=round(float(among * usual_share), 2),
            )
        )
    return bursts


def _runs(groups: np.ndarray, starts: np.ndarray) -> list[tuple[int, int, int]]:
    """(group, first window, last window) of each run of overlapping windows of a group."""
    order = np.lexsort((starts, groups))
    runs: list[tuple[int, int, int]] = []
    for g, s in zip(groups[order].tolist(), starts[order].tolist(), strict=True):
        if runs and runs[-1][0] == g and s <= runs[-1][2] + WINDOW_BINS:
            runs[-1] = (g, runs[-1][1], s)
        else:
            runs.append((g, s, s))
    return runs


def _distinct(
    bursts: list[Burst], service: np.ndarray, minute: np.ndarray, keys: Mapping[str, np.ndarray]
) -> list[Burst]:
    """Drop a burst whose reports mostly belong to a more specific one; largest first."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    ordered = sorted(bursts, key=lambda b: (rank[b.kind], -b.size, b.service, b.start))
    kept: list[Burst] = []
    for burst in ordered:
        rivals = [
            k
            for k in kept
            if k.service == burst.service and k.start < burst.end and burst.start < k.end
        ]
        if rivals:
            mine = _members(burst, service, minute, keys)
            if any(
                (mine & _members(k, service, minute, keys)).sum() >= OVERLAP * burst.size
                for k in rivals
            ):
                continue
        kept.append(burst)
    return sorted(kept, key=lambda b: (-b.size, rank[b.kind], b.service, b.start))


def _members(
    burst: Burst, service: np.ndarray, minute: np.ndarray, keys: Mapping[str, np.ndarray]
) -> np.ndarray:
    members: np.ndarray = (
        (service == burst.service)
        & (minute >= burst.start)
        & (minute < burst.end)
        & (np.asarray(keys[burst.kind]) == burst.code)
    )
    return members
