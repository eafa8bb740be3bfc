"""The theme's colours, derived from the course's one brand colour so that every pairing stays readable.

A coach picks a brand colour for looks, not for contrast: a pale yellow or a light blue would make white button
text or brand-coloured links unreadable. The palette keeps the brand's hue and shifts only its lightness until each
text colour reaches the WCAG AA ratio (4.5:1) against the background it sits on, in light and in dark mode.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from functools import cache

AA_TEXT = 4.5

# The fixed, neutral part of the theme: warm paper and ink in light mode, warm charcoal in dark mode.
PAGE = "#f4efea"
CARD = "#ffffff"
INK = "#2b2523"
MUTED = "#5f5a57"
RULE = "#e8dfd9"
DARK_PAGE = "#161312"
DARK_CARD = "#221d1b"
DARK_INK = "#efe7e2"
DARK_MUTED = "#c9bfb9"
DARK_RULE = "#3a3230"
WHITE = "#ffffff"


def rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def hex_colour(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in (red, green, blue))


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(c) for c in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """WCAG 2.1 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(colour: str, base: str, amount: float) -> str:
    """`amount` of `colour` laid over `base` (0 gives base, 1 gives colour)."""
    return hex_colour(*(c * amount + b * (1 - amount) for c, b in zip(rgb(colour), rgb(base), strict=True)))


def with_lightness(colour: str, lightness: float) -> str:
    hue, _, saturation = colorsys.rgb_to_hls(*rgb(colour))
    return hex_colour(*colorsys.hls_to_rgb(hue, lightness, saturation))


def readable_on(colour: str, *backgrounds: str, ratio: float = AA_TEXT) -> str:
    """`colour`, made darker or lighter (same hue) until it reaches `ratio` against every background."""
    if all(contrast(colour, b) >= ratio for b in backgrounds):
        return colour
    lighten = luminance(backgrounds[0]) < 0.18
    _, start, _ = colorsys.rgb_to_hls(*rgb(colour))
    steps = 100
    for step in range(1, steps + 1):
        lightness = start + (1 - start) * step / steps if lighten else start * (1 - step / steps)
        candidate = with_lightness(colour, lightness)
        if all(contrast(candidate, b) >= ratio for b in backgrounds):
            return candidate
    return WHITE if lighten else "#000000"


@dataclass(frozen=True)
class Palette:
    brand: str  # the colour as the author wrote it: the progress bar and other non-text accents
    brand_text: str  # links, labels and the course name on white and on the action box
    button: str  # button background
    on_button: str  # button text
    action_bg: str
    action_rule: str
    dark_brand_text: str
    dark_action_bg: str
    dark_action_rule: str
    progress_rest: str
    dark_progress_rest: str
    page: str = PAGE
    card: str = CARD
    ink: str = INK
    muted: str = MUTED
    rule: str = RULE
    dark_page: str = DARK_PAGE
    dark_card: str = DARK_CARD
    dark_ink: str = DARK_INK
    dark_muted: str = DARK_MUTED
    dark_rule: str = DARK_RULE


@cache
def palette(brand: str) -> Palette:
    """The theme's colours for one brand colour; worked out once per colour, not once per email."""
    action_bg = mix(brand, CARD, 0.08)
    dark_action_bg = mix(brand, DARK_CARD, 0.22)
    button = brand
    if max(contrast(brand, WHITE), contrast(brand, INK)) < AA_TEXT:
        button = readable_on(brand, WHITE)  # a mid-tone: darken it until white text reads on it
    on_button = WHITE if contrast(button, WHITE) >= contrast(button, INK) else INK
    return Palette(
        brand=brand,
        brand_text=readable_on(brand, CARD, action_bg),
        button=button,
        on_button=on_button,
        action_bg=action_bg,
        action_rule=mix(brand, CARD, 0.28),
        dark_brand_text=readable_on(brand, DARK_CARD, dark_action_bg),
        dark_action_bg=dark_action_bg,
        dark_action_rule=mix(brand, DARK_CARD, 0.45),
        progress_rest=mix(brand, CARD, 0.16),
        dark_progress_rest=mix(brand, DARK_CARD, 0.3),
    )
