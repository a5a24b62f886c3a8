"""Bézier-curve encoding of ink (Carbune et al. 2020, arXiv 1902.10525, section 3.1.2).

Each pen-down stroke is cut into pieces of at most about ``max_length``, split further at
the worst-fitting point until one cubic Bézier curve fits each within ``max_error``; each
gap between strokes is one straight pen-up curve; every curve becomes 10 features:

  0-1  ex, ey   vector from the curve's start to its end
  2    d1       distance from the start to the first control point
  3    d2       distance from the end to the second control point
  4    a1       signed angle between the end vector and the first control point's vector
  5    a2       signed angle between the reversed end vector and the second control point's
  6-8  g1-g3    time along the curve, t(s) = t0 + g1 s + g2 s^2 + g3 s^3
  9    pen_up   1 for the jump between strokes, 0 for drawn curves

Distances are in normalised-height units rather than relative to the end distance, so a
closed loop (end on start) stays finite; a control point on its end point has angle 0. The
curve parameter s of each point starts as its normalised arc length along the piece and is
refined by Newton steps towards the nearest curve point before a piece is split (Schneider
1990).

The pieces are fitted all at once, round by round: every piece still to fit is one segment
of flat arrays of x, y and t, and each step of the fit (parameters, least squares, errors,
Newton steps, where to cut) is one NumPy operation over all of them, with per-piece sums by
``np.add.reduceat``. A round splits every piece that does not fit in two; the next fits the
halves. So the cost is a few dozen array operations per round, not per piece, on float64.

Dimensions: P points, M points of all pieces of a round, K pieces, S curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from seqrec.features.ink import START, T, X, Y

BEZIER_FEATURES = 10
REPARAMETERIZATIONS = 2  # Newton refinements of the point parameters before splitting


class Pieces:
    """Pieces of an ink's strokes as segments of flat point arrays: piece k spans points
    ``first[k]..last[k]`` (inclusive) of the ink.

    Args:
        first: each piece's first point in the ink (K,).
        last: each piece's last point in the ink (K,), at least its first.

    Attributes:
        count: points per piece (K,).
        index: the ink points of all pieces, piece after piece (M,).
        piece: which piece each entry of ``index`` belongs to (M,).
        start: where each piece starts in ``index`` (K,).
        end: where each piece ends in ``index`` (K,), inclusive.
        fittable: True where a piece has the 4 points a cubic's inner points need (K,).
    """

    def __init__(self, first: np.ndarray, last: np.ndarray) -> None:
        self.first, self.last = first, last
        self.count = last - first + 1
        self.end = np.cumsum(self.count) - 1
        self.start = self.end - self.count + 1
        self.piece = np.repeat(np.arange(len(first)), self.count)
        self.index = np.arange(int(self.end[-1]) + 1 if len(first) else 0)
        self.index += (first - self.start)[self.piece]
        self.fittable = self.count >= 4  # a cubic's inner points need 4 points

    def sum(self, rows: np.ndarray) -> np.ndarray:
        """Per-piece sums (R, K) of per-point ``rows`` (R, M).

        Args:
            rows: values (R, M) at the points, in the order of ``index``.

        Returns:
            Each row's sum over each piece's points (R, K).
        """
        return np.add.reduceat(rows, self.start, axis=1)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Per-piece maxima (K,) of per-point ``values`` (M,).

        Args:
            values: values (M,) at the points, in the order of ``index``.

        Returns:
            The largest value of each piece's points (K,).
        """
        return np.maximum.reduceat(values, self.start)


def _basis(s: np.ndarray) -> np.ndarray:
    """Cubic Bernstein basis (4, M) at parameters s (M,)."""
    r = 1.0 - s
    basis = np.empty((4, len(s)))
    basis[0] = r * r * r
    basis[1] = 3 * s * r * r
    basis[2] = 3 * s * s * r
    basis[3] = s * s * s
    return basis


class Curves:
    """Each piece's cubic, and where each point's parameter puts it on its piece's curve.

    Args:
        controls: each piece's control points (2, K, 4), x and y.
        s: each point's curve parameter (M,), in [0, 1].
        basis: the cubic Bernstein basis (4, M) at ``s``.
        piece: which piece each point belongs to (M,).

    Attributes:
        controls: as given (2, K, 4).
        s: as given (M,).
        at: each point's piece's control points (2, M, 4).
        position: the curve's position (2, M) at each point's parameter.
    """

    def __init__(self, controls: np.ndarray, s: np.ndarray, basis: np.ndarray, piece: np.ndarray):
        self.controls, self.s = controls, s
        self.at = controls[:, piece]
        self.position = np.einsum("im,dmi->dm", basis, self.at)


def _chord_parameters(xy: np.ndarray, pieces: Pieces) -> np.ndarray:
    """Each point's normalised arc length along its piece (M,), in [0, 1], from its points
    ``xy`` (2, M); evenly spaced along a piece that has none."""
    step = np.empty(xy.shape[1])
    step[1:] = np.hypot(*np.diff(xy, axis=1))
    step[pieces.start] = 0.0
    total = np.cumsum(step)
    base = total[pieces.start]
    length = total[pieces.end] - base
    flat = length <= 0
    if not flat.any():
        return (total - base[pieces.piece]) / length[pieces.piece]
    position = np.arange(len(step)) - pieces.start[pieces.piece]
    even = position / np.maximum(pieces.count - 1, 1)[pieces.piece]
    arc = (total - base[pieces.piece]) / np.where(flat, 1.0, length)[pieces.piece]
    return np.where(flat[pieces.piece], even, arc)


def _ends(xy: np.ndarray, pieces: Pieces) -> tuple[np.ndarray, ...]:
    """The pieces' first and last points (2, K), and those of each point's piece (2, M)."""
    p0, p3 = xy[:, pieces.start], xy[:, pieces.end]
    return p0, p3, p0[:, pieces.piece], p3[:, pieces.piece]


def _fit_curves(
    xy: np.ndarray, s: np.ndarray, pieces: Pieces, ends: tuple[np.ndarray, ...] | None = None
) -> Curves:
    """Each piece's cubic through its first and last point whose inner control points
    minimise the squared error to its points ``xy`` (2, M) at parameters ``s`` (M,);
    ``ends`` (the same for every fit of a round) are the pieces' first and last points
    (2, K) and those of each point's piece (2, M). With fewer than 4 points, or no unique
    solution, the inner points sit on the chord."""
    p0, p3, at0, at3 = ends or _ends(xy, pieces)
    basis = _basis(s)
    b0, b1, b2, b3 = basis
    rows = np.empty((7, len(s)))
    np.multiply(b1, b1, out=rows[0])
    np.multiply(b1, b2, out=rows[1])
    np.multiply(b2, b2, out=rows[2])
    rest = xy - b0 * at0 - b3 * at3
    np.multiply(b1, rest, out=rows[3:5])
    np.multiply(b2, rest, out=rows[5:7])
    sums = pieces.sum(rows)
    g00, g01, g11 = sums[0], sums[1], sums[2]
    r1, r2 = sums[3:5], sums[5:7]
    det = g00 * g11 - g01 * g01
    solvable = pieces.fittable & (det > 1e-12 * np.maximum(1.0, g00 * g11))
    det[~solvable] = 1.0
    controls = np.empty((2, len(det), 4))
    controls[..., 0], controls[..., 3] = p0, p3
    third = (p3 - p0) / 3
    controls[..., 1] = np.where(solvable, (g11 * r1 - g01 * r2) / det, p0 + third)
    controls[..., 2] = np.where(solvable, (g00 * r2 - g01 * r1) / det, p3 - third)
    return Curves(controls, s, basis, pieces.piece)


def _reparameterize(xy: np.ndarray, curves: Curves, pieces: Pieces) -> np.ndarray:
    """One Newton step moving each parameter (M,) towards the curve point nearest its point
    of ``xy`` (2, M) (Schneider 1990); a piece's end parameters stay 0 and 1."""
    s = curves.s
    r = 1.0 - s
    at = curves.at
    a, b, c = at[..., 1] - at[..., 0], at[..., 2] - at[..., 1], at[..., 3] - at[..., 2]
    d1 = 3 * r * r * a + 6 * s * r * b + 3 * s * s * c  # (2, M)
    d2 = 6 * (r * (b - a) + s * (c - b))
    diff = curves.position - xy
    num, den = (diff * d1).sum(0), (d1 * d1 + diff * d2).sum(0)
    usable = np.abs(den) > 1e-12
    step = np.divide(num, den, out=np.zeros_like(num), where=usable)
    out = np.minimum(np.maximum(s - step, 0.0), 1.0)
    out[pieces.start] = 0.0
    out[pieces.end] = 1.0
    return out


def _fit_times(t: np.ndarray, s: np.ndarray, pieces: Pieces) -> np.ndarray:
    """Coefficients (K, 3) (g1, g2, g3) of each piece's least-squares cubic t(s) = g0 + g1 s
    + g2 s^2 + g3 s^3 (fewer than 4 points: the straight line from the first time to the
    last), by the normal equations, solved for all pieces at once; a piece whose parameters
    take fewer than 4 distinct values (a singular system) gets the minimum-norm solution."""
    out = np.zeros((len(pieces.first), 3))
    out[:, 0] = t[pieces.end] - t[pieces.start]
    fitted = np.flatnonzero(pieces.fittable)
    if len(fitted) == 0:
        return out
    powers = np.empty((11, len(s)))  # s^0 .. s^6, then t s^0 .. t s^3
    powers[0] = 1.0
    np.cumprod(np.broadcast_to(s, (6, len(s))), axis=0, out=powers[1:7])
    np.multiply(t, powers[:4], out=powers[7:])
    moments = pieces.sum(powers)[:, fitted].T
    gram = moments[:, np.arange(4)[:, None] + np.arange(4)]  # (K, 4, 4): sums of s^(i+j)
    rhs = moments[:, 7:]
    scale = np.sqrt(gram[:, np.arange(4), np.arange(4)])
    singular = np.abs(np.linalg.det(gram / (scale[:, :, None] * scale[:, None, :]))) < 1e-9
    solution = np.zeros((len(fitted), 4))
    regular = ~singular
    solution[regular] = np.linalg.solve(gram[regular], rhs[regular, :, None])[..., 0]
    for k in np.flatnonzero(singular).tolist():
        mine = pieces.piece == fitted[k]
        solution[k] = np.linalg.lstsq(powers[:4, mine].T, t[mine], rcond=None)[0]
    out[fitted] = solution[:, 1:]
    return out


def _angles(reference: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Signed angles (K,) from ``reference`` vectors (2, K) to ``vector`` (2, K); 0 for a
    vector of length 0 (whose angle the signs of its zeros would otherwise set to 0 or pi)."""
    (rx, ry), (vx, vy) = reference, vector
    angle = np.arctan2(rx * vy - ry * vx, rx * vx + ry * vy)
    return np.where((vx != 0) | (vy != 0), angle, 0.0)


def _curve_features(controls: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The 10 features (K, 10) (see the module docstring) of drawn curves, from their
    control points (2, K, 4) and time coefficients (K, 3)."""
    p0, p1, p2, p3 = np.moveaxis(controls, 2, 0)  # each (2, K)
    end, first, second = p3 - p0, p1 - p0, p2 - p3
    reference = np.where(np.hypot(*end) > 0, end, [[1.0], [0.0]])
    features = np.zeros((end.shape[1], BEZIER_FEATURES))
    features[:, 0:2] = end.T
    features[:, 2] = np.hypot(*first)
    features[:, 3] = np.hypot(*second)
    features[:, 4] = _angles(reference, first)
    features[:, 5] = _angles(-reference, second)
    features[:, 6:9] = time
    return features


class BezierEncoding(nn.Module):
    """Points (P, 4) of one ink -> curve features (S, 10); see the module docstring.

    Args:
        max_error: a piece is split until its curve passes within this distance of each of
            its points, in normalised heights (pieces of fewer than 3 points are not split).
        max_length: the longest a stroke's piece is before the fit, about, in normalised
            heights.

    Raises:
        ValueError: when ``max_error`` or ``max_length`` is not positive.
    """

    def __init__(self, max_error: float = 0.02, max_length: float = 1.0) -> None:
        super().__init__()
        if max_error <= 0 or max_length <= 0:
            raise ValueError("bezier max_error and max_length must be positive")
        self.max_error = max_error
        self.max_length = max_length

    def _fit(self, xy: np.ndarray, pieces: Pieces) -> tuple[Curves, np.ndarray]:
        """The curve fitting each piece of ``xy`` (2, M, gathered piece after piece), and
        where to cut each piece (K,) as a point of the ink, -1 where the curve is within
        ``max_error`` of every point."""
        ends = _ends(xy, pieces)
        curves = _fit_curves(xy, _chord_parameters(xy, pieces), pieces, ends)
        error = np.hypot(*(curves.position - xy))
        worst = pieces.max(error)
        for _ in range(REPARAMETERIZATIONS):
            refit = pieces.fittable & (worst > self.max_error)
            if not refit.any():
                break
            # a piece whose parameters stay is fitted to the same curve, bit for bit
            s = np.where(refit[pieces.piece], _reparameterize(xy, curves, pieces), curves.s)
            curves = _fit_curves(xy, s, pieces, ends)
            error = np.hypot(*(curves.position - xy))
            worst = pieces.max(error)
        return curves, self._cuts(error, worst, pieces)

    def _cuts(self, error: np.ndarray, worst: np.ndarray, pieces: Pieces) -> np.ndarray:
        """Per piece (K,), the ink point of its worst inner point (the first of equals), where
        it is to be split, or -1 where it fits or has fewer than 3 points."""
        split = (pieces.count >= 3) & (worst > self.max_error)
        cuts = np.full(len(pieces.first), -1)
        if not split.any():
            return cuts
        inner = error.copy()
        inner[pieces.start] = -1.0
        inner[pieces.end] = -1.0
        peak = pieces.max(inner)
        hits = np.flatnonzero((inner == peak[pieces.piece]) & split[pieces.piece])
        owner = pieces.piece[hits]
        first = np.ones(len(hits), dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        cuts[owner[first]] = pieces.index[hits[first]]
        return cuts

    def _by_length(self, xy: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> Pieces:
        """The strokes (points ``begins[i]..ends[i] - 1`` of ``xy`` (2, P)) cut at points
        into pieces of at most about ``max_length``; pieces share their end points."""
        step = np.zeros(xy.shape[1])
        step[1:] = np.hypot(*np.diff(xy, axis=1))
        step[begins] = 0.0
        total = np.cumsum(step)
        length = total[ends - 1] - total[begins]
        count = np.maximum(np.ceil(length / self.max_length).astype(int), 1)
        stroke = np.repeat(np.arange(len(begins)), count - 1)  # a cut target per extra piece
        k = np.arange(len(stroke)) - np.repeat(np.cumsum(count - 1) - (count - 1), count - 1) + 1
        target = total[begins][stroke] + length[stroke] * k / count[stroke]
        cuts = np.searchsorted(total, target)
        inside = (cuts > begins[stroke]) & (cuts < ends[stroke] - 1)
        cuts = np.unique(cuts[inside])  # a point may be the cut of two targets
        # each stroke's bounds in order: its first point (kind 0), its cuts (1), its last
        # point (2; the same point as the first in a stroke of one point)
        keys = np.sort(np.concatenate([3 * begins, 3 * cuts + 1, 3 * (ends - 1) + 2]))
        bounds, kind = keys // 3, keys % 3
        return Pieces(bounds[kind < 2], bounds[kind > 0])

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Fit one ink's strokes with cubic curves and encode them.

        Args:
            points: one ink's points (P, 4); a stroke starts at point 0 whether or not it is
                marked.

        Returns:
            Curve features (S, 10) in the dtype of ``points``, in drawing order: each stroke's
            drawn curves, with one pen-up curve before every stroke but the first.
        """
        return self.encode_many([points])[0]

    def encode_many(self, inks: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """``forward`` of several inks at once: their pieces are fitted together, round by
        round, so the per-operation cost is paid once for all of them (a batch of training
        lines). Each ink's curves are its own fit's (pieces never span two inks).

        Args:
            inks: each ink's points (P_i, 4), as ``forward`` takes them.

        Returns:
            Each ink's curve features (S_i, 10), in the dtype of its points.
        """
        arrays = [points.detach().cpu().double().numpy() for points in inks]
        sizes = np.array([len(array) for array in arrays])
        offsets = np.cumsum(sizes) - sizes
        coords = np.concatenate([array[:, [X, Y, T]] for array in arrays]).T  # (3, sum P)
        strokes = [_strokes(array) for array in arrays]  # each ink's, in its own points
        # cut by length ink by ink, so that each ink's cuts are those it gets alone
        pieces = _joined(
            [
                self._by_length(coords[:2, o : o + n], begin, end)
                for (begin, end), o, n in zip(strokes, offsets, sizes, strict=True)
            ],
            offsets,
        )
        shifted = [(begin + o, end + o) for (begin, end), o in zip(strokes, offsets, strict=True)]
        begins, ends = (np.concatenate(bounds) for bounds in zip(*shifted, strict=True))
        curves, order = self._encode(coords, pieces, begins, ends, np.isin(begins, offsets))
        split = np.searchsorted(order, offsets[1:])  # each ink's curves start there
        return [
            torch.from_numpy(part).to(points.dtype)
            for part, points in zip(np.split(curves, split), inks, strict=True)
        ]

    def _encode(
        self,
        coords: np.ndarray,
        pieces: Pieces,
        begins: np.ndarray,
        ends: np.ndarray,
        opening: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Curve features (S, 10) of the strokes ``begins[i]..ends[i] - 1`` of ``coords`` (3,
        P: x, y, t), starting from ``pieces``, in drawing order, with a pen-up curve before
        every stroke that is not the ``opening`` one of its ink; and each curve's position in
        that order (S,)."""
        # per round, of the pieces that fit: first points, control points, and each of
        # their points' time and parameter; their features are computed once, at the end
        starts, controls, counts, times, parameters = [], [], [], [], []
        while len(pieces.first):
            curves, cuts = self._fit(coords[:2, pieces.index], pieces)
            done = cuts < 0
            kept = done[pieces.piece]
            starts.append(pieces.first[done])
            controls.append(curves.controls[:, done])
            counts.append(pieces.count[done])
            times.append(coords[2, pieces.index[kept]])
            parameters.append(curves.s[kept])
            split = ~done
            first, last, cut = pieces.first[split], pieces.last[split], cuts[split]
            pieces = Pieces(np.concatenate([first, cut]), np.concatenate([cut, last]))
        count = np.concatenate(counts)
        fitted = Pieces(np.cumsum(count) - count, np.cumsum(count) - 1)  # as gathered
        t, s = np.concatenate(times), np.concatenate(parameters)
        drawn = _curve_features(np.concatenate(controls, axis=1), _fit_times(t, s, fitted))
        # a jump before every stroke but its ink's first, from the previous stroke's end
        led = np.flatnonzero(~opening)
        jumps = np.zeros((len(led), BEZIER_FEATURES))
        jump = coords[:, begins[led]] - coords[:, ends[led - 1] - 1]
        jumps[:, 0], jumps[:, 1], jumps[:, 6], jumps[:, 9] = *jump, 1.0
        # in drawing order: a stroke's pieces by their first point, each jump before the
        # stroke it leads to (at its first point, half a point early)
        order = np.concatenate([*starts, begins[led] - 0.5])
        ranked = np.argsort(order, kind="stable")
        return np.concatenate([drawn, jumps])[ranked], order[ranked]


def _strokes(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strokes of one ink's points (P, 4): each stroke's first point and the point after
    its last (a stroke starts at point 0 whether or not it is marked; none is empty)."""
    begins = np.flatnonzero(array[:, START] > 0.5)
    if len(begins) == 0 or begins[0] != 0:
        begins = np.concatenate([[0], begins])
    ends = np.append(begins[1:], len(array))
    keep = ends > begins
    return begins[keep].astype(int), ends[keep].astype(int)


def _joined(parts: Sequence[Pieces], offsets: np.ndarray) -> Pieces:
    """One ``Pieces`` of several inks' pieces, each ink's points shifted by its offset."""
    shifted = list(zip(parts, offsets, strict=True))
    first = np.concatenate([part.first + offset for part, offset in shifted])
    last = np.concatenate([part.last + offset for part, offset in shifted])
    return Pieces(first.astype(int), last.astype(int))
