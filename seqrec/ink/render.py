"""Drawing an ink as a PNG, the way it was written (y downward, equal aspect)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqrec.extras import require
from seqrec.ink.ink import Ink

FigureCanvasAgg = require("report", "matplotlib.backends.backend_agg").FigureCanvasAgg
Figure = require("report", "matplotlib.figure").Figure


def draw_strokes(axes: Any, ink: Ink, linewidth: float = 1.5) -> None:
    """Draw ``ink``'s strokes on matplotlib ``axes`` in black, as written.

    Y grows downward, the aspect is equal and the axes are hidden; a one-point stroke is drawn
    as a dot. The one ink drawing of seqrec: PNGs, corpus previews and report plots use it.

    Args:
        axes: the matplotlib axes to draw on (its y axis is inverted).
        ink: the ink to draw.
        linewidth: the line width in points (a dot's marker size is twice it).
    """
    for stroke in ink.strokes:
        if len(stroke) == 1:
            axes.plot(stroke[:, 0], stroke[:, 1], "k.", markersize=linewidth * 2)
        else:
            axes.plot(stroke[:, 0], stroke[:, 1], "k-", linewidth=linewidth)
    axes.set_aspect("equal", adjustable="datalim")
    axes.invert_yaxis()
    axes.set_axis_off()


def render_ink(
    ink: Ink,
    path: str | Path,
    title: str | None = None,
    height: float = 2.0,
    dpi: int = 100,
    linewidth: float = 1.5,
) -> Path:
    """Write ``ink`` as a PNG; its width follows the ink's aspect.

    Uses matplotlib's Agg canvas directly, so it needs no display and leaves pyplot alone.

    Args:
        ink: the ink to draw (an empty one gives a blank square).
        path: the PNG to write; missing parent folders are created.
        title: a title above the drawing; None: none.
        height: the drawing's height in inches (the width is kept between 1 and 40 inches).
        dpi: pixels per inch.
        linewidth: the stroke width in points.

    Returns:
        ``path`` as a Path.
    """
    path = Path(path)
    if ink.num_points:
        x0, y0, x1, y1 = ink.bounds
        aspect = (x1 - x0 + 1e-9) / (y1 - y0 + 1e-9)
    else:
        aspect = 1.0
    width = min(max(height * aspect, 1.0), 40.0)
    figure = Figure(figsize=(width, height + (0.4 if title else 0.0)), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    draw_strokes(axes, ink, linewidth)
    if title:
        axes.set_title(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", bbox_inches="tight", pad_inches=0.1)
    return path
