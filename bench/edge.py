"""Bar 6: the embeddable reads, small and nearly as cheap as a static file.

- Sizes as a client receives them: /widget.js, the badge, and the embed page with every
  stylesheet and script it links (static files as WhiteNoise serves them to a browser that
  accepts brotli or gzip; Django's own answers are not compressed by the stack, so they are
  counted gzipped, as any compressing proxy would send them; the raw figure is printed too).
- Warm requests per second (wrk, plain GETs, 16 connections) of the status JSON, the badge
  and the embed page against a static file served by the same gunicorn in the same run
  (embed.css through WhiteNoise), in alternating rounds (static, status, badge, embed, ...,
  static) so that other work on the machine weighs on all alike; also a burst of conditional
  GETs of the status JSON (304s).

Runs against the bench's gunicorn and database; `BENCH_ONLY=edge python bench/run.py` runs it
alone (about three minutes with the default 12 s per wrk run).
"""

from __future__ import annotations

import gzip
import re
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin

from bench.loadgen import GET_SCRIPT, Load, merged, wrk

SLUG = "bench-00"
WARMUP = 2.0
BARS_KB = {"widget": 4.0, "embed": 12.0, "badge": 1.5}
BAR_RATIO = 0.5
ROUNDS = 2


@dataclass(frozen=True)
class Sizes:
    widget_raw: int
    widget_gzip: int
    badge_raw: int
    badge_gzip: int
    embed_html_raw: int
    embed_html_gzip: int
    embed_assets: dict[str, int]  # URL -> bytes as served compressed (br or gzip)

    @property
    def embed_total(self) -> int:
        return self.embed_html_gzip + sum(self.embed_assets.values())


@dataclass(frozen=True)
class Result:
    sizes: Sizes
    static: Load  # every round's, merged
    status: Load
    badge: Load
    embed: Load
    status_304: Load
    static_rounds: list[float]  # req/s of each static run, to see the drift

    @property
    def static_rps(self) -> float:
        return self.static.ok_per_second


def prepare() -> None:
    """A status row with a full day's sparkline, as the detection pass would write it."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from outages.models import Service, ServiceStatus

    if not (settings.STATIC_ROOT / "staticfiles.json").exists():  # the pages bench made it
        call_command("collectstatic", interactive=False, verbosity=0)
    service = Service.objects.get(slug=SLUG)
    ServiceStatus.objects.update_or_create(
        service=service,
        defaults={
            "minute": timezone.now(),
            "level": 1,
            "recent": 120,
            "expected": 31.5,
            "deviation": 4.2,
            "sparkline": [(i * 37) % 53 for i in range(96)],
        },
    )


def measure(base_url: str, *, web_pid: int, seconds: float) -> Result:
    from django.templatetags.static import static

    paths = {
        "status": f"/api/v1/services/{SLUG}",
        "badge": f"/badge/{SLUG}.svg",
        "embed": f"/embed/{SLUG}/",
        "static": static("embed/embed.css"),
    }
    for path in paths.values():
        assert _get(base_url + path)[0] == 200, path
    sizes = _sizes(base_url, paths)
    servers = {"web": web_pid}

    def load(name: str, path: str, headers: list[str] | None = None) -> Load:
        return wrk(
            name,
            base_url,
            path,
            slugs=headers or [],
            seconds=seconds,
            servers=servers,
            warmup=WARMUP,
            script=GET_SCRIPT,
        )

    runs: dict[str, list[Load]] = {name: [] for name in paths}
    for _ in range(ROUNDS):
        for name, path in paths.items():
            runs[name].append(load(name, path))
    runs["static"].append(load("static", paths["static"]))
    etag = _get(base_url + paths["status"])[1]["ETag"]
    status_304 = load("status 304", paths["status"], [f"If-None-Match: {etag}"])
    return Result(
        sizes=sizes,
        static=merged("static", runs["static"]),
        status=merged("status", runs["status"]),
        badge=merged("badge", runs["badge"]),
        embed=merged("embed", runs["embed"]),
        status_304=status_304,
        static_rounds=[load.ok_per_second for load in runs["static"]],
    )


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback only)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def _sizes(base_url: str, paths: dict[str, str]) -> Sizes:
    _, _, widget = _get(base_url + "/widget.js")
    _, _, badge = _get(base_url + paths["badge"])
    _, _, html = _get(base_url + paths["embed"])
    text = html.decode()
    linked = re.findall(r'<(?:script[^>]+src|link[^>]+href)="([^"]+)"', text)
    assets = {}
    for url in linked:
        _, headers, body = _get(
            urljoin(base_url + paths["embed"], url), **{"Accept-Encoding": "br, gzip"}
        )
        assets[url] = len(body)
        assert headers.get("Content-Encoding") in {"br", "gzip"}, (url, headers)
    return Sizes(
        widget_raw=len(widget),
        widget_gzip=_gz(widget),
        badge_raw=len(badge),
        badge_gzip=_gz(badge),
        embed_html_raw=len(html),
        embed_html_gzip=_gz(html),
        embed_assets=assets,
    )


def _gz(body: bytes) -> int:
    return len(gzip.compress(body, 6))


def rows(r: Result):  # type: ignore[no-untyped-def]
    from bench.report import Row, bar

    s = r.sizes
    kb = 1024
    assets = ", ".join(
        f"{url.rsplit('/', 1)[-1]} {size:,} B" for url, size in s.embed_assets.items()
    )
    static = " / ".join(f"{rps:,.0f}" for rps in r.static_rounds)
    loads = (r.static, r.status, r.badge, r.embed, r.status_304)

    def size_row(label: str, size: int, raw: int, limit: float) -> Row:
        return Row(
            label,
            f"{size / kb:.2f} KB",
            f"<= {limit} KB (raw {raw / kb:.2f} KB)",
            f"{size / kb / limit:.2f}",
            bar(size / kb <= limit),
        )

    def rps_row(label: str, load: Load) -> Row:
        ratio = load.ok_per_second / r.static_rps
        return Row(
            label,
            f"{load.ok_per_second:,.0f}/s, p99 {load.p99_ms:.1f} ms",
            f">= {BAR_RATIO} x static",
            f"{ratio:.2f}",
            bar(ratio >= BAR_RATIO),
        )

    return [
        size_row("6 /widget.js, gzip", s.widget_gzip, s.widget_raw, BARS_KB["widget"]),
        size_row(
            "6 /embed/<slug>/ + assets, compressed",
            s.embed_total,
            s.embed_html_raw + sum(s.embed_assets.values()),
            BARS_KB["embed"],
        ),
        Row("  embed HTML gzip / assets as served", f"{s.embed_html_gzip:,} B", assets),
        size_row("6 badge SVG, gzip", s.badge_gzip, s.badge_raw, BARS_KB["badge"]),
        Row(
            "6 Static file (WhiteNoise), warm",
            f"{r.static_rps:,.0f}/s, p99 {r.static.p99_ms:.1f} ms",
            f"each round: {static}",
        ),
        rps_row("6 Status JSON, warm", r.status),
        rps_row("6 Badge SVG, warm", r.badge),
        rps_row("6 Embed page, warm", r.embed),
        Row(
            "  status JSON, If-None-Match (304)",
            f"{r.status_304.ok_per_second:,.0f}/s, p99 {r.status_304.p99_ms:.1f} ms",
            "vs static",
            f"{r.status_304.ok_per_second / r.static_rps:.2f}",
        ),
        Row(
            "  web CPU/request: static / status / badge / embed",
            " / ".join(f"{load.cpu_us_per_request['web']:.0f}" for load in loads[:4]) + " us",
        ),
        Row(
            "  failed requests (non-2xx/3xx, socket)",
            ", ".join(str(x.failed) for x in loads),
            "static, status, badge, embed, 304",
        ),
        Row(
            "  others' CPU in each (cores of 2)",
            ", ".join(f"{max(x.other_cores, 0):.1f}" for x in loads),
            "0 = quiet machine",
        ),
    ]
