"""Text to pen strokes with the Hershey single-stroke fonts (package ``Hershey-Fonts``).

Coordinates are Hershey font units: y grows downward, the cap line is at ``cap_line`` (-12 in
every font used here) and the baseline at ``base_line`` (9). The duplex, complex and triplex
fonts draw thick lines as 2-3 parallel strokes; a font is loaded with one pen line for each.
Dimensions: N points in a stroke.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from seqrec.extras import require

HersheyFonts = require("synth", "HersheyFonts").HersheyFonts

JOIN_TOLERANCE = 3.5  # font units (1/6 of the cap height): a pen lift this short is not made
LOOKAHEAD = 4  # strokes searched for one that continues the pen
PARALLEL_TOLERANCE = 1.4  # font units: a stroke this close to others all along is a thickening


@dataclass(frozen=True)
class Glyph:
    """One character: strokes (N, 2) with x measured from its left side, and its advance.

    Attributes:
        strokes: the glyph's strokes (N, 2) in font units, one pen line per thick line.
        advance: how far the glyph moves the pen to the right, in font units.
    """

    strokes: tuple[np.ndarray, ...]
    advance: float


@dataclass(frozen=True)
class HersheyFont:
    """The glyphs of one Hershey font and its vertical metrics.

    Attributes:
        name: the built-in font's name, e.g. ``futural``.
        glyphs: each character's glyph.
        cap_line: y of the cap line, in font units.
        base_line: y of the baseline, in font units.
    """

    name: str
    glyphs: dict[str, Glyph]
    cap_line: float
    base_line: float

    @classmethod
    @cache
    def load(cls, name: str) -> HersheyFont:
        """Read the built-in font ``name`` (e.g. ``futural``, ``scripts``); cached per name."""
        font = HersheyFonts()
        font.load_default_font(name)
        glyphs = {
            char: Glyph(
                single_line(
                    [np.array(s, dtype=np.float64) - [g.left_offset, 0] for s in g.strokes]
                ),
                float(g.char_width),
            )
            for char, g in font.all_glyphs.items()
        }
        options = font.render_options
        return cls(name, glyphs, float(options["cap_line"]), float(options["base_line"]))

    @property
    def cap_height(self) -> float:
        """Baseline to cap line, in font units."""
        return self.base_line - self.cap_line


def resample(stroke: np.ndarray, spacing: float) -> np.ndarray:
    """Points (N, 2) evenly spaced along the polyline ``stroke``, both ends kept.

    Args:
        stroke: the polyline (N, 2); repeated points are ignored.
        spacing: the wanted distance between points; the actual one divides the length evenly.

    Returns:
        At least two points (M, 2) at equal arc-length steps, or the first point alone (1, 2)
        when the stroke has no length.
    """
    steps = np.hypot(*np.diff(stroke, axis=0).T)
    stroke = stroke[np.concatenate([[True], steps > 0])]
    arc = np.concatenate([[0.0], np.cumsum(steps[steps > 0])])
    if arc[-1] == 0.0:
        return stroke[:1]
    at = np.linspace(0.0, arc[-1], max(2, round(arc[-1] / spacing) + 1))
    return np.stack([np.interp(at, arc, stroke[:, 0]), np.interp(at, arc, stroke[:, 1])], axis=1)


def single_line(
    strokes: list[np.ndarray], tolerance: float = PARALLEL_TOLERANCE
) -> tuple[np.ndarray, ...]:
    """Drop the strokes of a glyph that run within ``tolerance`` of its other strokes all along.

    Shortest first, so of two parallel lines the longer stays.

    Args:
        strokes: the glyph's strokes (N, 2).
        tolerance: the largest distance, in font units, at which a stroke counts as running
            along the others.

    Returns:
        The strokes kept, in their order.
    """
    dense = [resample(s, tolerance / 4) for s in strokes]
    keep = list(range(len(strokes)))
    for i in sorted(keep, key=lambda i: len(dense[i])):
        others = [dense[j] for j in keep if j != i]
        if others:
            gaps = np.linalg.norm(dense[i][:, None] - np.vstack(others)[None], axis=2).min(axis=1)
            if gaps.max() <= tolerance:
                keep.remove(i)
    return tuple(strokes[i] for i in keep)


def layout(
    text: str, font: HersheyFont, tracking: float = 0.0, word_spacing: float = 1.0
) -> list[np.ndarray]:
    """Place the glyphs of ``text`` left to right without kerning.

    Args:
        text: the characters to place.
        font: the font.
        tracking: added to each glyph's advance (spaces excepted), in font units.
        word_spacing: a space advances by its width times this.

    Returns:
        The glyphs' strokes (N, 2) in font units, in text order.

    Raises:
        KeyError: for a character the font lacks.
    """
    strokes: list[np.ndarray] = []
    x = 0.0
    for char in text:
        glyph = font.glyphs[char]
        if char == " ":
            x += glyph.advance * word_spacing
            continue
        strokes += [s + [x, 0.0] for s in glyph.strokes]
        x += glyph.advance + tracking
    return strokes


def join_strokes(
    strokes: list[np.ndarray], tolerance: float = JOIN_TOLERANCE, lookahead: int = LOOKAHEAD
) -> list[np.ndarray]:
    """Merge strokes into pen-down traces.

    The continuing stroke may be any of the next ``lookahead`` ones, so the strokes it skips
    (the dot of a cursive ``i``, the bar of a ``t``) are drawn after the trace, as writers do.

    Args:
        strokes: strokes (N, 2) in writing order.
        tolerance: a stroke that starts within this distance of where the pen is continues the
            trace.
        lookahead: how many of the next strokes are searched for one that continues it.

    Returns:
        The traces (N, 2), each its strokes' points concatenated.
    """
    pending = list(strokes)
    joined: list[np.ndarray] = []
    while pending:
        near = None
        if joined:
            end = joined[-1][-1]
            window = pending[:lookahead]
            near = next((i for i, s in enumerate(window) if _gap(s[0], end) <= tolerance), None)
        if near is None:
            joined.append(pending.pop(0))
        else:
            joined[-1] = np.vstack([joined[-1], pending.pop(near)])
    return joined


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(a[0] - b[0], a[1] - b[1]))


def text_strokes(
    text: str,
    font: HersheyFont,
    tracking: float = 0.0,
    word_spacing: float = 1.0,
    tolerance: float = JOIN_TOLERANCE,
) -> list[np.ndarray]:
    """Pen-down traces (N, 2) in font units of ``text`` written in ``font``.

    Args:
        text: the text to write.
        font: the font.
        tracking: added to each glyph's advance, in font units (see ``layout``).
        word_spacing: a space advances by its width times this.
        tolerance: the longest pen lift that is not made (see ``join_strokes``).

    Returns:
        The traces (N, 2), as ``join_strokes`` merges the placed glyphs' strokes.

    Raises:
        KeyError: for a character the font lacks.
    """
    return join_strokes(layout(text, font, tracking, word_spacing), tolerance)


__all__ = [
    "Glyph",
    "HersheyFont",
    "join_strokes",
    "layout",
    "resample",
    "single_line",
    "text_strokes",
]
