"""UNIPEN 1.0 label files: labelled segments of on-line handwriting.

A UNIPEN corpus holds ``data/<category>/<institution>/...`` label files (``.SEGMENT`` statements
plus ``.INCLUDE`` of the ink) and ``include/<institution>/...`` ink files (``.PEN_DOWN`` /
``.PEN_UP`` blocks and headers such as ``.COORD``, ``.POINTS_PER_SECOND``, ``.WRITER_ID``).

How a label file is read here:

* every ``.INCLUDE PATH`` is expanded inline, in place (PATH relative to the corpus ``include/``
  folder, else to the including file's folder; nested includes too). A missing include is not
  fatal: segments that reach into the components it would have held are reported as problems,
  never silently renumbered;
* keywords start a line (``.NAME`` in column 0); the lines after a keyword up to the next one are
  its data (the points of a ``.PEN_DOWN`` / ``.PEN_UP`` block, else more text of the keyword);
* *components* are the ``.PEN_DOWN`` **and** ``.PEN_UP`` blocks that hold points, numbered from 0
  over the include-expanded stream; ``.START_SET`` restarts the numbering (headers such as
  ``.COORD`` and the writer stay in force). Only pen-down components become strokes;
* ``.SEGMENT TYPE DELINEATION [QUALITY] ["LABEL"]``: the delineation is a comma list of ranges
  ``A``, ``A-B``, ``A:M-B:N``, ``A-B:N``, ``A:M-B`` (components A..B, from point M of A to point N
  of B, all inclusive and 0-based); ``\\"`` in a label is a quote;
* coordinates come from the ``.COORD`` channels (default ``X Y``); y grows upward in UNIPEN and is
  negated here so that it grows downward as ``seqrec.Ink`` wants;
* time: a ``T`` channel (milliseconds) gives ``recorded`` time; else a ``.POINTS_PER_SECOND``
  rate gives ``rate`` time (one sample period per point of the stream, pen-up points included,
  and a ``.DT`` statement, in milliseconds, sets the gap before the next component); else
  ``index`` time (one unit per point). A rate above ``MAX_POINTS_PER_SECOND`` is not a pen
  sampling rate (``kai`` declares 9600, its serial line's baud rate) and is ignored;
* a segment's t starts at 0 at its first point.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqrec.ink.ink import Ink, InkError

MAX_POINTS_PER_SECOND = 1000.0
"""Declared rates above this are not pen sampling rates; time falls back to the point index."""

_KEYWORD_RE = re.compile(r"\.([A-Z][A-Z0-9_]*)(?:[ \t]+(.*))?$")
_SEGMENT_RE = re.compile(
    r'(?P<type>\S+)\s+(?P<delineation>[^\s"]+)(?:\s+(?P<quality>[^\s"]+))?'
    r'(?:\s+"(?P<label>(?:[^"\\]|\\.)*)")?\s*$',
    re.DOTALL,
)
_RANGE_RE = re.compile(r"(\d+)(?::(\d+))?(?:-(\d+)(?::(\d+))?)?$")
_PEN_KEYWORDS = ("PEN_DOWN", "PEN_UP")
_CHUNK_RE = re.compile(r"\r?\n(?=\.[A-Z])")
_BLANK_LINE_RE = re.compile(r"\n[ \t\r]*\n|\r")


@dataclass(frozen=True)
class UnipenSegment:
    """One labelled ``.SEGMENT`` with its ink (pen-down strokes only, y down, t from 0).

    Attributes:
        ink: the segment's pen-down strokes, y grown downward, t from 0 at its first point;
            its source is the label file.
        label: the segment's label, ``\\"`` unescaped.
        category: the corpus category folder (``data/CAT/...``); None outside that layout.
        institution: the corpus institution folder (``data/CAT/INST/...``); None outside it.
        writer_id: the ``.WRITER_ID`` in force at the segment's first component; None if none.
        segment_type: the ``.SEGMENT`` type, e.g. ``WORD`` or ``CHARACTER``.
        quality: the ``.SEGMENT`` quality, ``?`` when the statement gives none.
        delineation: the ``.SEGMENT`` delineation as written, e.g. ``3:2-5``.
        source: the label file, as a string.
        ink_key: identifies the ink independently of the label file that points at it: one
            ``(include file, component number in that file, first point, last point)`` per
            piece, so two label files labelling the same pen trajectory (UNIPEN categories 6
            and 7) give equal keys.
    """

    ink: Ink
    label: str
    category: str | None
    institution: str | None
    writer_id: str | None
    segment_type: str
    quality: str
    delineation: str
    source: str
    ink_key: tuple[tuple[str, int, int, int], ...]


@dataclass
class LabelFile:
    """A read label file: its usable segments and one message per segment that has no ink.

    Attributes:
        path: the label file.
        segments: its segments whose ink was resolved, in file order.
        problems: one ``FILE:LINE: message`` per segment left out (no label, no ink, a
            delineation out of range).
    """

    path: Path
    segments: list[UnipenSegment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Statement:
    """A keyword with its text; a pen block keeps its points as text, one per line."""

    keyword: str
    args: str
    line: int
    points: str = ""
    size: int = 0  # number of point lines


@dataclass
class _Component:
    """A pen block that holds points; its values are parsed only when a segment uses it."""

    block: _Statement
    file: Path
    name: str  # the include file, relative to include/
    ordinal: int  # component number within that file
    coord: tuple[str, ...]
    t_start: float
    t_step: float
    time_source: str
    writer_id: str | None
    _points: np.ndarray | None = None

    @property
    def pen_down(self) -> bool:
        return self.block.keyword == "PEN_DOWN"

    @property
    def size(self) -> int:
        return self.block.size

    def points(self) -> np.ndarray:
        """(N, 3) x, y (grown downward), t."""
        if self._points is None:
            values = _block_values(self.block, self.file, len(self.coord))
            if self.time_source == "recorded":
                t = values[:, self.coord.index("T")] / 1000.0
            else:
                t = self.t_start + self.t_step * np.arange(len(values))
            x, y = values[:, self.coord.index("X")], values[:, self.coord.index("Y")]
            self._points = np.column_stack([x, -y, t])
        return self._points


@dataclass
class _PendingSegment:
    statement: _Statement
    file: Path


def corpus_layout(path: Path) -> tuple[Path | None, str | None, str | None]:
    """(corpus root, category, institution) of a label file under ``ROOT/data/CAT/INST/...``.

    The root is the nearest ancestor holding ``data/`` (with the file under it) and ``include/``.

    Args:
        path: the label file (made absolute; need not exist).

    Returns:
        The corpus root, category and institution; category and institution are None when the
        file lies less than two folders below ``data/``, and all three are None when the file is
        not in that layout.
    """
    path = Path(path).absolute()
    for root in path.parents:
        data = root / "data"
        if (root / "include").is_dir() and path.is_relative_to(data):
            parts = path.relative_to(data).parts
            if len(parts) >= 3:
                return root, parts[0], parts[1]
            return root, None, None
    return None, None, None


def read_label_file(path: str | Path, include_dir: str | Path | None = None) -> LabelFile:
    """Read a UNIPEN label file into its segments (see the module docstring for the rules).

    Args:
        path: the label file.
        include_dir: the folder ``.INCLUDE`` paths are relative to first; None: the
            ``include/`` folder of the corpus the file lies in (see ``corpus_layout``), if any.

    Returns:
        The file's segments; a segment whose ink cannot be resolved is listed in ``problems``
        instead.

    Raises:
        InkError: naming the file and line, for a file that cannot be read or parsed: a missing
            or unreadable file, an include cycle, a malformed ``.SEGMENT`` or delineation, a
            ``.COORD`` without X or Y, a keyword that needs a number, or a bad pen block.
    """
    path = Path(path)
    root, category, institution = corpus_layout(path)
    if include_dir is None and root is not None:
        include_dir = root / "include"
    reader = _StreamReader(path, Path(include_dir) if include_dir else None, category, institution)
    return reader.read()


class _StreamReader:
    """Walks the include-expanded statement stream of one label file."""

    def __init__(
        self, path: Path, include_dir: Path | None, category: str | None, institution: str | None
    ) -> None:
        self.path = path
        self.include_dir = include_dir
        self.category = category
        self.institution = institution
        self.result = LabelFile(path)
        self.coord = ["X", "Y"]
        self.rate: float | None = None
        self.writer_id: str | None = None
        self.clock = 0.0
        self.last_t: float | None = None
        self.gap: float | None = None
        self.ordinals: dict[str, int] = {}
        self.names: dict[Path, str] = {}
        self._new_set()

    def _new_set(self) -> None:
        self.components: list[_Component] = []
        self.pending: list[_PendingSegment] = []
        self.missing: tuple[int, str] | None = None  # (components before it, include path)

    def read(self) -> LabelFile:
        for file, statement in _expand(self.path, self.include_dir, (self.path.absolute(),)):
            self._handle(file, statement)
        self._close_set()
        return self.result

    def _handle(self, file: Path, st: _Statement) -> None:
        keyword = st.keyword
        if keyword in _PEN_KEYWORDS:
            if st.size:
                self._add_component(file, st)
        elif keyword == "SEGMENT":
            self.pending.append(_PendingSegment(st, file))
        elif keyword == "COORD":
            self.coord = st.args.split() or ["X", "Y"]
            for channel in ("X", "Y"):
                if channel not in self.coord:
                    raise InkError(f"{file}:{st.line}: .COORD {st.args!r} lacks channel {channel}")
        elif keyword == "POINTS_PER_SECOND":
            rate = _number(st, file)
            self.rate = rate if 0 < rate <= MAX_POINTS_PER_SECOND else None
        elif keyword == "DT":
            self.gap = _number(st, file) / 1000.0
        elif keyword == "WRITER_ID":
            self.writer_id = st.args.strip() or None
        elif keyword == "START_SET":
            self._close_set()
            self._new_set()
        elif keyword == "MISSING_INCLUDE" and self.missing is None:
            self.missing = (len(self.components), st.args)

    def _add_component(self, file: Path, st: _Statement) -> None:
        recorded = "T" in self.coord
        step = 1.0 / self.rate if self.rate else 1.0
        if self.last_t is not None and not recorded:
            gap = self.gap if self.gap is not None and self.rate else step
            self.clock = self.last_t + gap
        self.last_t, self.gap = self.clock + step * (st.size - 1), None
        name = self.names.get(file)
        if name is None:
            name = self.names[file] = _relative_name(file, self.include_dir)
        ordinal = self.ordinals.get(name, 0)
        self.ordinals[name] = ordinal + 1
        self.components.append(
            _Component(
                block=st,
                file=file,
                name=name,
                ordinal=ordinal,
                coord=tuple(self.coord),
                t_start=self.clock,
                t_step=step,
                time_source="recorded" if recorded else "rate" if self.rate else "index",
                writer_id=self.writer_id,
            )
        )

    def _close_set(self) -> None:
        for pending in self.pending:
            where = f"{pending.file}:{pending.statement.line}"
            try:
                self.result.segments.append(self._segment(pending.statement, pending.file))
            except _SegmentProblem as problem:
                self.result.problems.append(f"{where}: {problem}")

    def _segment(self, st: _Statement, file: Path) -> UnipenSegment:
        match = _SEGMENT_RE.match(st.args)
        if match is None:
            raise InkError(f"{file}:{st.line}: malformed .SEGMENT {st.args!r}")
        if match["label"] is None:
            raise _SegmentProblem(f"segment {match['delineation']} has no label")
        label = re.sub(r"\\(.)", r"\1", match["label"])
        ranges = _parse_delineation(match["delineation"], file, st.line)
        pieces = self._pieces(ranges, match["delineation"])
        if not pieces:
            raise _SegmentProblem(f"segment {match['delineation']} holds no pen-down point")
        first = pieces[0][0]
        t0 = first.points()[pieces[0][1], 2]
        strokes = [c.points()[a : b + 1] - [0.0, 0.0, t0] for c, a, b in pieces]
        return UnipenSegment(
            ink=Ink(strokes, first.time_source, str(self.path)),
            label=label,
            category=self.category,
            institution=self.institution,
            writer_id=first.writer_id,
            segment_type=match["type"],
            quality=match["quality"] or "?",
            delineation=match["delineation"],
            source=str(self.path),
            ink_key=tuple((c.name, c.ordinal, a, b) for c, a, b in pieces),
        )

    def _pieces(
        self, ranges: list[tuple[int, int | None, int, int | None]], text: str
    ) -> list[tuple[_Component, int, int]]:
        """(pen-down component, first point, last point) of each piece of a delineation."""
        pieces = []
        for c0, p0, c1, p1 in ranges:
            if c1 < c0:
                raise _SegmentProblem(f"delineation {text}: range ends before it starts")
            if c1 >= len(self.components) or (self.missing and c1 >= self.missing[0]):
                if self.missing and c1 >= self.missing[0]:
                    raise _SegmentProblem(
                        f"delineation {text}: no ink, .INCLUDE {self.missing[1]} not found"
                    )
                raise _SegmentProblem(
                    f"delineation {text}: component {c1} out of range "
                    f"({len(self.components)} components)"
                )
            for number in range(c0, c1 + 1):
                component = self.components[number]
                size = component.size
                first = p0 if number == c0 and p0 is not None else 0
                last = p1 if number == c1 and p1 is not None else size - 1
                if first >= size or last >= size or first > last:
                    raise _SegmentProblem(
                        f"delineation {text}: points {first}-{last} outside component "
                        f"{number} ({size} points)"
                    )
                if component.pen_down:
                    pieces.append((component, first, last))
        return pieces


class _SegmentProblem(Exception):
    """A segment whose ink cannot be resolved; reported, not raised to the caller."""


def _parse_delineation(
    text: str, file: Path, line: int
) -> list[tuple[int, int | None, int, int | None]]:
    """``A:M-B:N,...`` as (A, M, B, N) tuples; M / N are None for a whole component."""
    ranges = []
    for part in text.split(","):
        match = _RANGE_RE.match(part)
        if match is None:
            raise InkError(f"{file}:{line}: malformed delineation {text!r}")
        c0, p0, c1, p1 = match.groups()
        if c1 is None:  # "A" or "A:M"
            c1, p1 = c0, p0
        ranges.append(
            (int(c0), None if p0 is None else int(p0), int(c1), None if p1 is None else int(p1))
        )
    return ranges


def _number(st: _Statement, file: Path) -> float:
    try:
        return float(st.args.split()[0])
    except (IndexError, ValueError):
        raise InkError(f"{file}:{st.line}: .{st.keyword} needs a number, got {st.args!r}") from None


def _block_values(st: _Statement, file: Path, columns: int) -> np.ndarray:
    """The points of a pen block as (N, columns) floats; InkError names the block and point."""
    try:
        values = np.array(st.points.split(), dtype=np.float64)
        if len(values) == columns * st.size:
            return values.reshape(-1, columns)
    except ValueError:
        pass
    for number, text in enumerate(st.points.splitlines()):
        fields = text.split()
        where = f"{file}:{st.line}: .{st.keyword} block, point {number} ({text.strip()!r})"
        try:
            [float(v) for v in fields]
        except ValueError:
            raise InkError(f"{where}: not a number") from None
        if len(fields) != columns:
            raise InkError(f"{where}: {len(fields)} values, .COORD declares {columns}")
    raise InkError(f"{file}:{st.line}: malformed .{st.keyword} block")


def _relative_name(file: Path, include_dir: Path | None) -> str:
    if include_dir is not None and file.is_relative_to(include_dir):
        return file.relative_to(include_dir).as_posix()
    return file.as_posix()


def _expand(
    path: Path, include_dir: Path | None, stack: tuple[Path, ...]
) -> Iterator[tuple[Path, _Statement]]:
    """(file, statement) pairs of ``path`` with every ``.INCLUDE`` expanded in place."""
    for st in _parse_file(path):
        if st.keyword != "INCLUDE":
            yield path, st
            continue
        name = st.args.strip()
        target = _resolve_include(name, path, include_dir)
        if target is None:
            yield path, _Statement("MISSING_INCLUDE", name, st.line)
        elif target.absolute() in stack:
            raise InkError(f"{path}:{st.line}: .INCLUDE {name} includes itself (cycle)")
        else:
            yield from _expand(target, include_dir, (*stack, target.absolute()))


def _resolve_include(name: str, including: Path, include_dir: Path | None) -> Path | None:
    if not name:
        return None
    for base in (include_dir, including.parent):
        if base is not None and (base / name).is_file():
            return base / name
    return None


def _parse_file(path: Path) -> tuple[_Statement, ...]:
    """The keyword statements of one file, cached while the file is unchanged."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InkError(f"{path}: file not found") from None
    except OSError as err:
        raise InkError(f"{path}: unreadable ({err.strerror})") from None
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)  # doc files are included over and over
def _parse_cached(path: Path, mtime_ns: int, size: int) -> tuple[_Statement, ...]:
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as err:
        raise InkError(f"{path}: unreadable ({err.strerror})") from None
    statements = []
    line = 1
    for chunk in _CHUNK_RE.split(text):
        head, _, body = chunk.partition("\n")
        match = _KEYWORD_RE.match(head.rstrip())
        if match is not None:
            statements.append(_statement(match[1], match[2] or "", body, line))
        line += chunk.count("\n") + 1
    return tuple(statements)


def _statement(keyword: str, args: str, body: str, line: int) -> _Statement:
    if keyword not in _PEN_KEYWORDS:
        parts = (part.strip() for part in [args, *body.split("\n")])
        return _Statement(keyword, " ".join(part for part in parts if part), line)
    body = body.strip()
    if _BLANK_LINE_RE.search(body):
        body = "\n".join(part for part in body.splitlines() if part.strip())
    return _Statement(keyword, args, line, body, body.count("\n") + 1 if body else 0)
