"""How each state looks on the map: a shape and a colour class (maps.css), defined once and used by the
legend (maps/folium_page.py) and the markers (siaga-map.js reads them from the page's config).

Colour alone never tells two states apart (every state of a mode has its own shape), and the START triage
colours (red, yellow, green, black) belong to incidents only: TPS states and meal states use blues, purples,
teal and greys, so a merah incident never hides among "late" TPS of the same red."""
from __future__ import annotations

# 20x20 viewBox outlines.
SHAPES = {
    "circle": "M10 2a8 8 0 1 0 0.001 0z",
    "square": "M3 3h14v14H3z",
    "diamond": "M10 1l9 9-9 9-9-9z",
    "triangle": "M10 1l9 17H1z",
    "triangle-down": "M1 2h18l-9 17z",
    "hexagon": "M10 1l8 4.5v9L10 19l-8-4.5v-9z",
}
# mode -> state code -> shape (the colour comes from the class "mark-<mode>-<state>" in maps.css).
MARKS = {
    "status": {"setup": "circle", "open": "square", "voting_closed": "diamond", "counted": "hexagon",
               "handed_over": "triangle"},
    # "arrived" is not a square: the medic stations' icon is one (a blue square with a cross).
    "meals": {"pending": "circle", "arrived": "hexagon", "short": "diamond", "late": "triangle-down"},
    "triage": {"merah": "circle", "kuning": "triangle", "hijau": "square", "hitam": "diamond"},
}


def mark_svg(mode: str, state: str, size: int = 14) -> str:
    """The legend's swatch: the marker's own shape and class (no inline style: the CSP)."""
    path = SHAPES[MARKS[mode][state]]
    return (f'<svg class="mark mark-{mode}-{state}" width="{size}" height="{size}" viewBox="0 0 20 20" '
            f'aria-hidden="true"><path d="{path}"/></svg>')


def config() -> dict:
    """For siaga-map.js: each mode's shapes as path data."""
    return {mode: {state: SHAPES[shape] for state, shape in states.items()} for mode, states in MARKS.items()}
