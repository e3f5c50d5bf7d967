"""Bar 1: reports accepted per second by POST /api/v1/services/<slug>/reports, against a bare
JSON view served by the same gunicorn in the same run (and its p99 against the bare p99).

Bare and intake run in alternating rounds (bare, intake, intake, bare, ...), so that other
work on the machine weighs on both alike. Extras priced in the same run, one run each: the
intake behind DRF, the bare view through the intake's lean stack (common/lean.py), with Redis
fsyncing once a second instead of on every write, with no middleware, and on gunicorn's
gthread workers (2x16, the web tier's former setting) instead of gevent's.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from bench.loadgen import Load, merged, wrk

INTAKE_PATH = "/api/v1/services/{slug}/reports"
DRF_PATH = "/bench/drf/services/{slug}/reports"
BARE_PATH = "/api/bench/bare"
BARE_LEAN_PATH = "/api/bench/bare-lean"
ROUNDS = 4


@dataclass(frozen=True)
class Server:
    url: str
    gunicorn_pid: int
    redis_pid: int

    @property
    def pids(self) -> dict[str, int]:
        return {"web": self.gunicorn_pid, "redis": self.redis_pid}


@dataclass(frozen=True)
class Pair:
    bare: Load
    intake: Load
    round_ratios: list[float]  # intake/bare throughput of each round
    stream_entries: int  # reports the intake rounds added to the stream, counted by Redis


@dataclass(frozen=True)
class Extras:
    drf: Load
    fsync_everysec: Load
    bare_lean: Load  # the bare view through the intake's lean stack


def warm_up(url: str, paths: list[str], *, slugs: list[str]) -> None:
    """Imports, the salt, the slug map and the Lua script, in both workers."""
    for path in paths:
        wrk("warmup", url, path, slugs=slugs, seconds=2, servers={})


def pair(
    server: Server,
    *,
    slugs: list[str],
    seconds: float,
    redis: Redis,
    stream: str,
    rounds: int = ROUNDS,
) -> Pair:
    """Bare and intake for `seconds` each, in alternating rounds."""
    warm_up(server.url, [BARE_PATH, INTAKE_PATH], slugs=slugs)
    runs: dict[str, list[Load]] = {BARE_PATH: [], INTAKE_PATH: []}
    entries_before = redis.xlen(stream)
    for i in range(rounds):
        for path in (BARE_PATH, INTAKE_PATH) if i % 2 == 0 else (INTAKE_PATH, BARE_PATH):
            runs[path].append(
                wrk(
                    path,
                    server.url,
                    path,
                    slugs=slugs,
                    seconds=seconds / rounds,
                    servers=server.pids,
                )
            )
    ratios = [
        i.ok_per_second / b.ok_per_second
        for b, i in zip(runs[BARE_PATH], runs[INTAKE_PATH], strict=True)
    ]
    return Pair(
        bare=merged("bare", runs[BARE_PATH]),
        intake=merged("intake", runs[INTAKE_PATH]),
        round_ratios=ratios,
        stream_entries=redis.xlen(stream) - entries_before,
    )


def extras(server: Server, *, slugs: list[str], seconds: float, redis: Redis) -> Extras:
    warm_up(server.url, [DRF_PATH, BARE_LEAN_PATH], slugs=slugs)
    drf = wrk("drf", server.url, DRF_PATH, slugs=slugs, seconds=seconds, servers=server.pids)
    bare_lean = wrk(
        "bare, lean stack",
        server.url,
        BARE_LEAN_PATH,
        slugs=slugs,
        seconds=seconds,
        servers=server.pids,
    )
    redis.config_set("appendfsync", "everysec")
    try:
        everysec = wrk(
            "fsync everysec",
            server.url,
            INTAKE_PATH,
            slugs=slugs,
            seconds=seconds,
            servers=server.pids,
        )
    finally:
        redis.config_set("appendfsync", "always")
    return Extras(drf=drf, fsync_everysec=everysec, bare_lean=bare_lean)


def single(server: Server, name: str, path: str, *, slugs: list[str], seconds: float) -> Load:
    warm_up(server.url, [path], slugs=slugs)
    return wrk(name, server.url, path, slugs=slugs, seconds=seconds, servers=server.pids)
