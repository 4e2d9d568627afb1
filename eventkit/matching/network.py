"""The network view of a plan: an SVG drawn on the server (guests on a circle, a line per meeting)."""
from __future__ import annotations

import math

from markupsafe import Markup, escape

#: one colour per round (repeats after eight)
ROUND_COLOURS = ["#1b7f6b", "#c0622b", "#3f5fbf", "#a03c8c", "#6f8f1f", "#b8902a", "#2a8fb8", "#7a4b2a"]


def round_colour(round_no: int) -> str:
    return ROUND_COLOURS[(round_no - 1) % len(ROUND_COLOURS)]


def network_svg(guests: list[tuple[int, str]], meetings: list[tuple[int, int, int]], size: int = 640) -> Markup:
    """guests: (id, name); meetings: (round, id, id). Returns inline, escaped SVG markup."""
    if not guests:
        return Markup("")
    centre, radius = size / 2, size / 2 - 110
    spot = {}
    for i, (guest_id, _) in enumerate(guests):
        angle = 2 * math.pi * i / len(guests) - math.pi / 2
        spot[guest_id] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle), angle)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="plan-network" '
             f'role="img" aria-label="Who meets whom, one colour per round">']
    for round_no, a, b in meetings:
        if a in spot and b in spot:
            (x1, y1, _), (x2, y2, _) = spot[a], spot[b]
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                         f'stroke="{round_colour(round_no)}" stroke-width="2" stroke-opacity=".75">'
                         f'<title>round {round_no}</title></line>')
    for guest_id, name in guests:
        x, y, angle = spot[guest_id]
        anchor = "start" if math.cos(angle) >= 0 else "end"
        lx, ly = x + 8 * math.cos(angle), y + 8 * math.sin(angle)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#222"/>'
                     f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="12" text-anchor="{anchor}" '
                     f'dominant-baseline="middle">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
