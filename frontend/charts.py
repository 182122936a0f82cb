"""Charts drawn on the server as inline SVG: no chart library, nothing to load, readable without JavaScript."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _bars(buckets: list[tuple[str, int]], width: float, height: float) -> SafeString:
    """One bar per (label, count), scaled to the largest count; an empty bucket is a 1-unit baseline mark."""
    peak = max((count for _, count in buckets), default=0) or 1
    step = width / max(len(buckets), 1)
    rows = []
    for i, (label, count) in enumerate(buckets):
        bar_height = max(1.0, count / peak * height) if count else 1.0
        geometry = (f"{i * step:.1f}", f"{height - bar_height:.1f}", f"{step * 0.85:.1f}", f"{bar_height:.1f}")
        rows.append((label, count, *geometry))
    return format_html_join(
        "",
        '<g><title>{}: {}</title><rect x="{}" y="{}" width="{}" height="{}"></rect></g>',
        rows,
    )


def sparkline(buckets: list[tuple[str, int]], width: int = 96, height: int = 24) -> SafeString:
    total = sum(count for _, count in buckets)
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{total} events in the last 24 hours">{bars}</svg>',
        w=width,
        h=height,
        total=total,
        bars=_bars(buckets, width, height),
    )


def histogram(buckets: list[tuple[str, int]], width: int = 480, height: int = 80) -> SafeString:
    total = sum(count for _, count in buckets)
    return format_html(
        '<svg class="histogram" viewBox="0 0 {w} {h}" preserveAspectRatio="none" width="100%" height="{h}" '
        'role="img" aria-label="{total} events">{bars}</svg>',
        w=width,
        h=height,
        total=total,
        bars=_bars(buckets, width, height),
    )
