"""WhiteNoise's header hook (imported by settings, so it imports nothing of Django)."""

STATIC_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def static_file_headers(headers: dict[str, str], path: str, url: str) -> None:
    """Static files get a Content-Security-Policy too. It only binds a file opened as a
    document (an SVG, say): it may run nothing and load nothing."""
    headers["Content-Security-Policy"] = STATIC_POLICY
