"""`Ink`: a pen trajectory as strokes of (x, y, t) points.

Dimensions: N points in one stroke, P points in the whole ink.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

INK_FORMAT = "seqrec-ink"
INK_FORMAT_VERSION = 1
TIME_SOURCES = ("recorded", "rate", "index")


class InkError(ValueError):
    """Ink that cannot be read or used; the message names the file and the problem.

    Example:
        >>> try:  # doctest: +SKIP
        ...     Ink.load("broken.xml")
        ... except InkError as error:
        ...     print(error)
        broken.xml: malformed XML (unclosed token: line 3, column 0)
    """


@dataclass(eq=False)
class Ink:
    """Strokes of float arrays (N, 3) holding x, y, t; t in seconds, y grows downward.

    Attributes:
        strokes: one (N, 3) array of x, y, t per pen-down stroke, in writing order.
        time_source: where t came from: ``recorded`` (the device's clock), ``rate`` (point
            index over the file's points-per-second) or ``index`` (point index, one unit
            per point, when the file gives no rate).
        source: the file the ink was read from; None for ink built in memory.

    Raises:
        InkError: for an unknown ``time_source`` or a stroke that is not an (N, 3) array.

    Example:
        >>> import numpy as np
        >>> stroke = np.array([[0.0, 0.0, 0.0], [5.0, 8.0, 0.02], [10.0, 0.0, 0.04]])
        >>> ink = Ink([stroke, stroke + [12.0, 0.0, 0.1]])
        >>> ink.num_points, ink.to_dict()["format"]
        (6, 'seqrec-ink')
        >>> Ink.from_dict(ink.to_dict()) == ink
        True
    """

    strokes: list[np.ndarray]
    time_source: str = "recorded"
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.time_source not in TIME_SOURCES:
            raise InkError(f"{self.name}: time_source must be one of {TIME_SOURCES}")
        self.strokes = [_as_stroke(s, self.name) for s in self.strokes]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ink):
            return NotImplemented
        return (
            self.time_source == other.time_source
            and len(self.strokes) == len(other.strokes)
            and all(np.array_equal(a, b) for a, b in zip(self.strokes, other.strokes, strict=True))
        )

    @property
    def name(self) -> str:
        """The file the ink came from, or ``<ink>`` for one built in memory."""
        return self.source or "<ink>"

    @property
    def num_points(self) -> int:
        """The number of points over all strokes."""
        return sum(len(s) for s in self.strokes)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) over all points; raises InkError on empty ink."""
        xy = self.points()[:, :2]
        if len(xy) == 0:
            raise InkError(f"{self.name}: empty ink has no bounds")
        return (*map(float, xy.min(0)), *map(float, xy.max(0)))

    @property
    def duration(self) -> float:
        """Seconds from the first to the last point (0 for empty ink)."""
        t = self.points()[:, 2]
        return float(t.max() - t.min()) if len(t) else 0.0

    def points(self) -> np.ndarray:
        """All points as (P, 4) float32: x, y, t, and 1.0 where a stroke starts.

        Returns:
            The strokes' points in order, stacked to (P, 4) float32 with a pen-down column
            (1.0 at each stroke's first point, else 0.0); (0, 4) for empty ink.

        Example:
            >>> xy_t = ink.points()[:, :3]  # doctest: +SKIP
            >>> stroke_starts = ink.points()[:, 3] == 1.0  # doctest: +SKIP
        """
        if not self.strokes:
            return np.zeros((0, 4), np.float32)
        parts = []
        for stroke in self.strokes:
            start = np.zeros((len(stroke), 1))
            start[:1] = 1.0
            parts.append(np.hstack([stroke, start]))
        return np.vstack(parts).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """The ink as seqrec's JSON ink: plain dicts, lists and floats.

        Returns:
            A dict with ``"format"`` (``INK_FORMAT``), ``"version"``, ``"time_source"`` and
            ``"strokes"``: per stroke, its (N, 3) points as lists of [x, y, t]. The source
            is not stored.

        Example:
            >>> json.dumps(ink.to_dict())  # doctest: +SKIP
        """
        return {
            "format": INK_FORMAT,
            "version": INK_FORMAT_VERSION,
            "time_source": self.time_source,
            "strokes": [s.tolist() for s in self.strokes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None) -> Ink:
        """The ink ``to_dict`` wrote.

        Args:
            data: a dict with ``"format"`` (``INK_FORMAT``) and a list ``"strokes"`` of
                [x, y, t] point lists (N, 3); ``"time_source"`` is optional ("recorded").
            source: the file it came from, kept as ``.source`` and named in errors.

        Returns:
            The ``Ink``, its strokes as float arrays (N, 3).

        Raises:
            InkError: naming ``source`` when ``data`` is not seqrec ink, has no list
                ``"strokes"``, or names an unknown time source.
            ValueError: when a stroke's values cannot be read as (N, 3) points.

        Example:
            >>> ink = Ink.from_dict(json.loads(text), source="a.json")  # doctest: +SKIP
        """
        name = source or "<ink>"
        if not isinstance(data, dict) or data.get("format") != INK_FORMAT:
            raise InkError(f'{name}: not a seqrec ink (expected "format": "{INK_FORMAT}")')
        if "strokes" not in data or not isinstance(data["strokes"], list):
            raise InkError(f'{name}: missing list "strokes"')
        strokes = [np.asarray(s, dtype=np.float64).reshape(-1, 3) for s in data["strokes"]]
        return cls(strokes, data.get("time_source", "recorded"), source)

    def save(self, path: str | Path) -> None:
        """Write seqrec JSON ink.

        Args:
            path: the file to write (conventionally ``.json``, so that ``load`` reads it);
                its folder must exist.

        Returns:
            None.

        Example:
            >>> ink.save("sample.json")  # doctest: +SKIP
            >>> Ink.load("sample.json") == ink  # doctest: +SKIP
            True
        """
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")))

    @classmethod
    def load(cls, path: str | Path) -> Ink:
        """Read any supported ink file by its extension (.json, .xml, .inkml).

        Args:
            path: a seqrec JSON ink (.json), an IAM-OnDB stroke file (.xml) or an InkML file
                (.inkml); the extension is matched case-insensitively.

        Returns:
            The ``Ink``, with ``.source`` the file's path.

        Raises:
            InkError: naming the file when its extension is unknown or it cannot be read
                as ink of its kind.

        Example:
            >>> ink = Ink.load("samples/line.xml")  # doctest: +SKIP
            >>> ink.render("line.png", title=ink.name)  # doctest: +SKIP
        """
        from seqrec.ink.formats import read_ink

        return read_ink(Path(path))

    def render(self, path: str | Path, title: str | None = None, **options: Any) -> Path:
        """Draw the ink as a PNG, as written (see ``seqrec.ink.render.render_ink``).

        Args:
            path: the PNG file to write; its folder is created.
            title: a title above the drawing (None: no title).
            **options: passed on to ``render_ink``: ``height`` in inches (the width follows
                the ink's aspect), ``dpi`` and ``linewidth``.

        Returns:
            ``path`` as a ``Path``.

        Example:
            >>> Ink.load("a.json").render("a.png", title="hello")  # doctest: +SKIP
        """
        from seqrec.ink.render import render_ink

        return render_ink(self, path, title, **options)


def _as_stroke(stroke: Any, name: str) -> np.ndarray:
    array = np.asarray(stroke, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3:
        raise InkError(f"{name}: a stroke must have shape (N, 3), got {array.shape}")
    return array
