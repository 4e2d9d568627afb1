"""The network view of a plan: an SVG drawn on the server (guests on a circle, a line per meeting).

Labels point outwards along their radius, like the spokes of a wheel, so neighbours never overlap:
the circle grows with the number of guests to keep at least `LABEL_GAP` pixels between two
neighbouring labels (80 guests stay readable), and long names are cut.
"""
from __future__ import annotations

import math

from markupsafe import Markup, escape

#: one colour per round (repeats after eight)
ROUND_COLOURS = ["#1b7f6b", "#c0622b", "#3f5fbf", "#a03c8c", "#6f8f1f", "#b8902a", "#2a8fb8", "#7a4b2a"]
#: font size of the names, and the least distance between two neighbouring names' baselines
FONT_SIZE = 12
LABEL_GAP = 14
#: names longer than this are cut (the full name is in the node's tooltip and in the by-guest table)
NAME_CHARS = 22
#: room outside the circle for the longest name
LABEL_ROOM = NAME_CHARS * FONT_SIZE * 0.6 + 16


def round_colour(round_no: int) -> str:
    return ROUND_COLOURS[(round_no - 1) % len(ROUND_COLOURS)]


def short_name(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1].rstrip() + "…"


def layout_radius(count: int) -> float:
    """The circle's radius: at least 200 px, more when neighbours would sit closer than LABEL_GAP."""
    return max(200.0, LABEL_GAP * count / (2 * math.pi))


def network_svg(guests: list[tuple[int, str]], meetings: list[tuple[int, int, int]]) -> Markup:
    """guests: (id, name); meetings: (round, id, id). Returns inline, escaped SVG markup."""
    if not guests:
        return Markup("")
    radius = layout_radius(len(guests))
    size = round(2 * (radius + LABEL_ROOM))
    centre = size / 2
    spot = {}
    for i, (guest_id, _) in enumerate(guests):
        angle = 2 * math.pi * i / len(guests) - math.pi / 2
        spot[guest_id] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle), angle)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="plan-network" '
             f'role="img" aria-label="Who meets whom, one colour per round; the same as the table by guest">']
    for round_no, a, b in meetings:
        if a in spot and b in spot:
            (x1, y1, _), (x2, y2, _) = spot[a], spot[b]
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                         f'stroke="{round_colour(round_no)}" stroke-width="2" stroke-opacity=".75">'
                         f'<title>round {round_no}</title></line>')
    for guest_id, name in guests:
        x, y, angle = spot[guest_id]
        right = math.cos(angle) >= -1e-9
        degrees = math.degrees(angle) if right else math.degrees(angle) + 180
        lx, ly = x + 9 * math.cos(angle), y + 9 * math.sin(angle)
        parts.append(f'<g><title>{escape(name)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#222"/>'
                     f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="{FONT_SIZE}" text-anchor="{"start" if right else "end"}" '
                     f'dominant-baseline="middle" transform="rotate({degrees:.1f} {lx:.1f} {ly:.1f})">'
                     f'{escape(short_name(name))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
