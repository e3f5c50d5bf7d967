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
* c / n >= MIN_SHARE of the window's reports;
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
MIN_SHARE = 0.05
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


def find_bursts(
    *, service: np.ndarray, minute: np.ndarray, keys: Mapping[str, np.ndarray]
) -> list[Burst]:
    """Bursts of every kind given in `keys` ({kind: codes}), largest first."""
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
    # Reports per service per window (dense: services x windows).
    per_bin = np.zeros((len(services), nbins + WINDOW_BINS), dtype=np.int64)
    np.add.at(per_bin, (service_index, bins), 1)
    per_window = _window_sums(per_bin)
    service_totals = per_bin.sum(axis=1)
    by_service = np.sort(service_index * _SHIFT + rel)
    found: list[Burst] = []
    for kind in KINDS:
        if kind in keys:
            codes = np.asarray(keys[kind], dtype=np.int64)
            found += _bursts_of_kind(
                kind, codes, service_index, rel, bins, per_window, service_totals, by_service,
                services, origin,
            )  # fmt: skip
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
    service_index: np.ndarray,
    rel: np.ndarray,
    bins: np.ndarray,
    per_window: np.ndarray,
    service_totals: np.ndarray,
    by_service: np.ndarray,
    services: np.ndarray,
    origin: int,
) -> list[Burst]:
    present = codes >= 0
    # One group per (service, key); only groups with MIN_SIZE reports overall can burst.
    pair = service_index[present] * (int(codes.max(initial=0)) + 1) + codes[present]
    groups, group_of, group_size = np.unique(pair, return_inverse=True, return_counts=True)
    big = group_size >= MIN_SIZE
    if not big.any():
        return []
    keep = big[group_of]
    group_of = group_of[keep].astype(np.int64)
    kept_rel = rel[present][keep]
    kept_bins = bins[present][keep]
    # Reports per (group, bin), then per (group, window) by adding each bin to the windows
    # that contain it.
    cell, cell_count = np.unique(group_of * _SHIFT + kept_bins, return_counts=True)
    cell_group, cell_bin = cell // _SHIFT, cell % _SHIFT
    # (Window starts are offset by WINDOW_BINS in the composite key to stay non-negative.)
    starts = np.concatenate([cell_bin + WINDOW_BINS - s for s in range(WINDOW_BINS)])
    window_cell, counts = _sum_by(
        np.tile(cell_group, WINDOW_BINS) * _SHIFT + starts, np.tile(cell_count, WINDOW_BINS)
    )
    w_group, w_start = window_cell // _SHIFT, window_cell % _SHIFT - WINDOW_BINS
    valid = (w_start >= 0) & (counts >= MIN_SIZE)
    w_group, w_start, c = w_group[valid], w_start[valid], counts[valid].astype(float)
    divisor = int(codes.max(initial=0)) + 1
    w_service = (groups[w_group] // divisor).astype(np.int64)
    n = per_window[w_service, w_start].astype(float)
    usual = (group_size[w_group] - c) / np.maximum(service_totals[w_service] - n, 1.0)
    expected = n * usual
    z = (c - expected) / np.sqrt(expected + (DISPERSION * expected) ** 2 + 1.0)
    hit = (c >= MIN_SHARE * n) & (c >= MIN_LIFT * expected) & (z >= MIN_Z)
    if not hit.any():
        return []
    # The sorted (group, minute) of every kept report, to tighten and size merged windows.
    by_group = np.sort(group_of * _SHIFT + kept_rel)
    bursts = []
    for g, first, last in _runs(w_group[hit], w_start[hit]):
        lo, hi = first * BIN_MINUTES, (last + WINDOW_BINS) * BIN_MINUTES
        mine = by_group[np.searchsorted(by_group, g * _SHIFT + lo) : np.searchsorted(
            by_group, g * _SHIFT + hi)] - g * _SHIFT  # fmt: skip
        start, end = int(mine[0]), int(mine[-1]) + 1
        s = int(groups[g] // divisor)
        total = int(
            np.searchsorted(by_service, s * _SHIFT + end)
            - np.searchsorted(by_service, s * _SHIFT + start)
        )
        share_elsewhere = (group_size[g] - len(mine)) / max(service_totals[s] - total, 1)
        bursts.append(
            Burst(
                service=int(services[s]),
                kind=kind,
                code=int(groups[g] % divisor),
                start=origin + start,
                end=origin + end,
                size=len(mine),
                total=total,
                expected=round(float(total * share_elsewhere), 2),
            )  # fmt: skip
        )
    return bursts


def _sum_by(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(ids, return_inverse=True)
    return unique, np.bincount(inverse, weights=weights).astype(np.int64)


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
            k for k in kept
            if k.service == burst.service and k.start < burst.end and burst.start < k.end
        ]  # fmt: skip
        if rivals:
            mine = _members(burst, service, minute, keys)
            if any((mine & _members(k, service, minute, keys)).sum() >= OVERLAP * burst.size
                   for k in rivals):  # fmt: skip
                continue
        kept.append(burst)
    return sorted(kept, key=lambda b: (-b.size, rank[b.kind], b.service, b.start))


def _members(
    burst: Burst, service: np.ndarray, minute: np.ndarray, keys: Mapping[str, np.ndarray]
) -> np.ndarray:
    return (
        (service == burst.service)
        & (minute >= burst.start)
        & (minute < burst.end)
        & (np.asarray(keys[burst.kind]) == burst.code)
    )
