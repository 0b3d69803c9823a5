"""The drift report as JSON or as one offline HTML page (inline CSS and SVG, no scripts, no CDN)."""
from __future__ import annotations

import json

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import escape

from classifier.drift import CONFIDENCE_BINS, DriftReport

_TEMPLATES = Environment(loader=PackageLoader("classifier", "resources"), autoescape=select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)
ROWS_SHOWN = 15  # labels per task in the HTML table; the JSON keeps them all


def render_json(report: DriftReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def _bars(reference: float, current: float, width: int = 160) -> str:
    """Two thin bars: the reference share (grey) over the current one (blue)."""
    top = max(reference, current, 1e-9)
    scale = width / max(top, 0.05)
    return (f'<svg width="{width}" height="14" role="img" aria-label="reference {reference:.1%}, current {current:.1%}">'
            f'<rect x="0" y="1" width="{reference * scale:.1f}" height="5" fill="#9e9e9e"/>'
            f'<rect x="0" y="8" width="{current * scale:.1f}" height="5" fill="#1e88e5"/></svg>')


def _timeline_chart(timeline: list[dict], width: int = 900, height: int = 160) -> str:
    """Complaints per month (bars) with the needs-review share and unseen-word share (lines, 0-100 %)."""
    if not timeline:
        return ""
    left, bottom, top = 40, 24, 10
    step = (width - left - 10) / len(timeline)
    most = max(m["complaints"] for m in timeline) or 1
    plot = height - bottom - top
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="complaints per month">']
    for k, month in enumerate(timeline):
        x = left + k * step
        bar = plot * month["complaints"] / most
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{top + plot - bar:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{bar:.1f}" fill="#bbdefb"><title>{escape(month["month"])}: {month["complaints"]}'
                     f' complaints</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(month["month"])}</text>')
    for key, colour in (("needs_review_share", "#e53935"), ("unseen_token_share", "#6a1b9a")):
        points = " ".join(f"{left + (k + 0.5) * step:.1f},{top + plot * (1 - m[key]):.1f}"
                          for k, m in enumerate(timeline))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append(f'<text x="{left}" y="{top - 1}">bars: complaints (max {most}); red: need review, purple: unseen '
                 f'words (0-100 %)</text></svg>')
    return "".join(parts)


def render_html(report: DriftReport, title: str = "aduan drift report") -> str:
    bins = [f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:])]
    data = report.to_dict()
    return _TEMPLATES.get_template("drift_report.html").render(
        report=data, title=title, rows_shown=ROWS_SHOWN, bars=_bars, confidence_bins=bins,
        timeline_chart=_timeline_chart(data["timeline"]))
