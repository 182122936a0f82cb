"""Charts drawn on the server as inline SVG: no chart library, nothing to load, readable without JavaScript.

Built with plain string formatting rather than format_html: a list page draws 50 sparklines of 24 bars, and
format_html's per-call escaping made them most of the page's render time. The only text inside is the
bucket labels, which are escaped here; every other value is a number formatted by this module.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe


def _bars(buckets: list[tuple[str, int]], width: float, height: float) -> str:
    """One bar per (label, count), scaled to the largest count; an empty bucket is a 1-unit baseline mark."""
    peak = max((count for _, count in buckets), default=0) or 1
    step = width / max(len(buckets), 1)
    parts = []
    for i, (label, count) in enumerate(buckets):
        bar_height = max(1.0, count / peak * height) if count else 1.0
        y = height - bar_height
        rect = f'<rect x="{i * step:.1f}" y="{y:.1f}" width="{step * 0.85:.1f}" height="{bar_height:.1f}"></rect>'
        parts.append(f"<g><title>{escape(label)}: {int(count)}</title>{rect}</g>")
    return "".join(parts)


def sparkline(counts: list[int], bar_width: int = 4, height: int = 24, label: str = "") -> SafeString:
    """A small bar chart of `counts` as one SVG path (one element, integer coordinates: 50 render per list page);
    `label` says what it shows (by default, events in the last 24 hours)."""
    label = label or f"{sum(counts)} events in the last 24 hours"
    peak = max(counts, default=0) or 1
    path = []
    for i, count in enumerate(counts):
        bar_height = max(1, round(count / peak * height)) if count else 1
        path.append(f"M{i * bar_width} {height}v-{bar_height}h{bar_width - 1}v{bar_height}z")
    width = bar_width * len(counts)
    return mark_safe(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><path d="{"".join(path)}"></path></svg>'
    )


def histogram(buckets: list[tuple[str, int]], width: int = 480, height: int = 80) -> SafeString:
    total = sum(int(count) for _, count in buckets)
    return mark_safe(
        f'<svg class="histogram" viewBox="0 0 {width} {height}" preserveAspectRatio="none" width="100%" '
        f'height="{height}" role="img" aria-label="{total} events">{_bars(buckets, width, height)}</svg>'
    )
