"""Watch intervals written as people write them: ``90s``, ``30m``, ``1h``, ``1d``, ``1h30m``."""
from __future__ import annotations

import re

_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
#: Shortest and longest interval a watch may have.
MIN_INTERVAL = 60
MAX_INTERVAL = 30 * 86_400


def parse_interval(text: str) -> int:
    """Seconds in ``text``; ValueError with one line when it is not an interval or out of range."""
    raw = (text or "").strip().lower()
    if raw.isdigit():
        seconds = int(raw)
    else:
        parts = _PART.findall(raw)
        if not parts or "".join(n + u for n, u in parts) != raw:
            raise ValueError(f"interval '{text[:40]}' must look like 90s, 30m, 1h, 1d or 1h30m")
        seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValueError(f"interval '{text[:40]}' must be between 1 minute and 30 days")
    return seconds


def format_interval(seconds: int) -> str:
    """The shortest spelling of ``seconds`` (``3600`` → ``1h``)."""
    out = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"
