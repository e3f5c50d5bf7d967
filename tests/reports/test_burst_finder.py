"""The burst finder, a pure library: numpy arrays in, bursts out, no Django."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.bursts import finder
from reports.bursts.finder import MIN_SIZE, find_bursts, key_codes


def organic(rng: np.random.Generator, n: int, *, services: int = 5, minutes: int = 1440):  # type: ignore[no-untyped-def]
    """Diffuse reporters and networks, a few popular user agents (one holds about a third)."""
    agents = np.minimum(rng.zipf(1.6, n), 300) - 1
    return {
        "service": rng.integers(0, services, n),
        "minute": rng.integers(0, minutes, n),
        "fingerprint": rng.integers(0, 10**9, n),
        "network": rng.integers(0, 200_000, n),
        "agent": agents,
        "origin": np.where(rng.random(n) < 0.1, rng.integers(0, 5, n), -1),
    }


def inject(data, *, service: int, start: int, minutes: int, size: int, rng, **fixed):  # type: ignore[no-untyped-def]
    """Add `size` reports of one service in [start, start + minutes) with the `fixed` keys."""
    extra = organic(rng, size, services=1)
    extra["service"][:] = service
    extra["minute"] = rng.integers(start, start + minutes, size)
    for kind, code in fixed.items():
        extra[kind] = np.full(size, code)
    return {k: np.concatenate([data[k], extra[k]]) for k in data}


def run(data):  # type: ignore[no-untyped-def]
    return find_bursts(
        service=data["service"],
        minute=data["minute"],
        keys={k: data[k] for k in ("fingerprint", "network", "agent", "origin")},
    )


def test_a_network_brigade_is_found_with_its_exact_window_size_and_share():
    rng = np.random.default_rng(1)
    data = inject(
        organic(rng, 50_000), service=3, start=600, minutes=25, size=120, rng=rng, network=999_999
    )
    (burst,) = run(data)
    assert (burst.service, burst.kind, burst.code) == (3, "network", 999_999)
    mine = data["network"] == 999_999
    assert burst.start == data["minute"][mine].min()
    assert burst.end == data["minute"][mine].max() + 1
    assert burst.size == 120
    in_window = (data["service"] == 3) & (data["minute"] >= burst.start)
    in_window &= data["minute"] < burst.end
    assert burst.total == in_window.sum()
    assert burst.share == 120 / burst.total
    assert burst.expected < 1


def test_organic_traffic_and_an_organic_spike_give_no_burst():
    rng = np.random.default_rng(2)
    data = organic(rng, 60_000)
    # A real outage on service 1: ten times the reports for an hour, from everyone as usual.
    spike = organic(rng, 5_000, services=1)
    spike["service"][:] = 1
    spike["minute"] = rng.integers(700, 760, 5_000)
    data = {k: np.concatenate([data[k], spike[k]]) for k in data}
    assert run(data) == []


def test_a_user_agent_brigade_is_told_from_a_popular_agent():
    rng = np.random.default_rng(3)
    data = organic(rng, 60_000)
    # Agent 0 is everyone's browser (about a third of reports); agent 50 is rare.
    data = inject(data, service=2, start=300, minutes=40, size=200, rng=rng, agent=50)
    bursts = run(data)
    assert [(b.kind, b.code, b.size) for b in bursts] == [("agent", 50, 200)]


def test_one_machine_is_one_burst_of_its_most_specific_key():
    rng = np.random.default_rng(4)
    data = inject(
        organic(rng, 30_000),
        service=0,
        start=100,
        minutes=10,
        size=60,
        rng=rng,
        fingerprint=10**9 + 7,
        network=777_777,
        agent=1_000,
    )
    bursts = run(data)
    assert [(b.kind, b.size) for b in bursts] == [("fingerprint", 60)]


def test_reports_without_the_key_never_form_a_burst():
    rng = np.random.default_rng(5)
    data = organic(rng, 20_000)
    data = inject(data, service=4, start=50, minutes=10, size=300, rng=rng, origin=-1)
    assert [b for b in run(data) if b.kind == "origin"] == []


def test_key_codes_make_empty_keys_absent():
    codes, uniques = key_codes(["b", "", "a", "b"])
    assert codes.tolist() == [1, -1, 0, 1]
    assert uniques.tolist() == ["a", "b"]
    codes, uniques = key_codes(["x", "y"])
    assert codes.tolist() == [0, 1]


def test_the_finder_imports_no_django():
    code = (
        "import sys, reports.bursts.finder;"
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    assert finder.__name__ == "reports.bursts.finder"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 3_000),
    size=st.integers(0, 200),
    minutes=st.integers(1, 90),
)
def test_every_burst_is_consistent_and_order_does_not_matter(seed, n, size, minutes):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    data = inject(
        organic(rng, n, minutes=600),
        service=1,
        start=200,
        minutes=minutes,
        size=size,
        rng=rng,
        network=-2 + 300_000,
    )
    bursts = run(data)
    for b in bursts:
        keys = data[b.kind]
        window = (data["service"] == b.service) & (data["minute"] >= b.start)
        window &= data["minute"] < b.end
        assert b.size == (window & (keys == b.code)).sum()
        assert b.total == window.sum()
        assert MIN_SIZE <= b.size <= b.total
        assert b.start < b.end
    order = rng.permutation(len(data["service"]))
    shuffled = run({k: v[order] for k, v in data.items()})
    assert sorted(shuffled, key=repr) == sorted(bursts, key=repr)
    if size >= 3 * MIN_SIZE and minutes <= 20:
        assert any(b.kind == "network" and b.code == 299_998 for b in bursts)


def test_an_app_outage_lifts_its_user_agents_together_and_is_no_burst(monkeypatch):
    rng = np.random.default_rng(6)
    data = organic(rng, 40_000)
    data["platform"] = np.zeros(len(data["service"]), dtype=np.int64)  # web
    # App users (platform 1) with their own user agents, at all times...
    apps = organic(rng, 15_000)
    apps["agent"] = 5_000 + np.minimum(rng.zipf(1.6, 15_000), 50)
    apps["platform"] = np.ones(15_000, dtype=np.int64)
    # ...and an outage of the app on service 3: six times its reports for an hour.
    outage = organic(rng, 1_500, services=1)
    outage["service"][:] = 3
    outage["minute"] = rng.integers(800, 860, 1_500)
    outage["agent"] = 5_000 + np.minimum(rng.zipf(1.6, 1_500), 50)
    outage["platform"] = np.ones(1_500, dtype=np.int64)
    data = {k: np.concatenate([data[k], apps[k], outage[k]]) for k in data}
    keys = {k: data[k] for k in ("fingerprint", "network", "agent", "origin")}
    by_platform = find_bursts(
        service=data["service"], minute=data["minute"], keys=keys, platform=data["platform"]
    )
    assert by_platform == []
    # Measured against the whole service instead (and with a share rule loose enough to let
    # the app's top user agent through), it looks like one.
    monkeypatch.setattr(finder, "MIN_SHARE", 0.05)
    whole = find_bursts(service=data["service"], minute=data["minute"], keys=keys)
    assert [(b.service, b.kind) for b in whole][:1] == [(3, "agent")]


def test_a_key_with_a_tenth_of_a_window_is_ordinary_traffic_not_a_burst():
    rng = np.random.default_rng(7)
    base = organic(rng, 50_000)  # about 7 reports a minute per service: ~210 in a window
    modest = inject(base, service=2, start=600, minutes=30, size=25, rng=rng, network=888_888)
    assert run(modest) == []  # ~10% of the window, the rows a moderator found to be traffic
    flood = inject(base, service=2, start=600, minutes=30, size=80, rng=rng, network=888_888)
    assert [(b.kind, b.code) for b in run(flood)] == [("network", 888_888)]
