"""The Bézier-curve encoding as seqrec had it before it was vectorised (commit 6fbcd36), one
piece at a time: the reference the vectorised ``seqrec.features.ink_bezier`` is tested and
benchmarked against (its module docstring describes the method and the features).

Dimensions: P points, N points of one piece, S curves.
"""

from __future__ import annotations

import numpy as np
import torch

from seqrec.features.ink import START, T, X, Y, stroke_spans
from seqrec.features.ink_bezier import BEZIER_FEATURES, BezierEncoding

REPARAMETERIZATIONS = 2  # Newton refinements of the point parameters before splitting


def bernstein(s: np.ndarray) -> np.ndarray:
    """Cubic Bernstein basis (N, 4) at parameters s (N,)."""
    r = 1.0 - s
    return np.stack([r**3, 3 * s * r**2, 3 * s**2 * r, s**3], axis=1)


def chord_parameters(xy: np.ndarray) -> np.ndarray:
    """Normalised cumulative arc length (N,) in [0, 1]; evenly spaced when there is none."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
    if arc[-1] <= 0:
        return np.linspace(0.0, 1.0, len(xy))
    return arc / arc[-1]


def fit_cubic_bezier(xy: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Control points (4, 2) of the cubic through the first and last of ``xy`` (N, 2) whose
    inner control points minimise the squared error at parameters ``s`` (N,).

    With fewer than 4 points, or no unique solution, the inner points sit on the chord.
    """
    p0, p3 = xy[0], xy[-1]
    line = np.stack([p0, p0 + (p3 - p0) / 3, p0 + 2 * (p3 - p0) / 3, p3])
    if len(xy) < 4:
        return line
    basis = bernstein(s)
    a = basis[:, 1:3]
    rest = xy - basis[:, :1] * p0 - basis[:, 3:] * p3
    gram = a.T @ a
    det = gram[0, 0] * gram[1, 1] - gram[0, 1] ** 2
    if det <= 1e-12 * max(1.0, gram[0, 0] * gram[1, 1]):
        return line
    inverse = np.array([[gram[1, 1], -gram[0, 1]], [-gram[0, 1], gram[0, 0]]]) / det
    inner = inverse @ (a.T @ rest)
    return np.stack([p0, inner[0], inner[1], p3])


def reparameterize(xy: np.ndarray, ctrl: np.ndarray, s: np.ndarray) -> np.ndarray:
    """One Newton step moving each parameter (N,) towards the curve point nearest its point
    of ``xy`` (N, 2) (Schneider 1990); the end parameters stay 0 and 1."""
    p0, p1, p2, p3 = ctrl
    r, u = (1.0 - s)[:, None], s[:, None]
    diff = bernstein(s) @ ctrl - xy
    d1 = 3 * (r**2 * (p1 - p0) + 2 * u * r * (p2 - p1) + u**2 * (p3 - p2))
    d2 = 6 * (r * (p2 - 2 * p1 + p0) + u * (p3 - 2 * p2 + p1))
    num, den = (diff * d1).sum(1), (d1 * d1).sum(1) + (diff * d2).sum(1)
    usable = np.abs(den) > 1e-12
    step = np.divide(num, den, out=np.zeros_like(num), where=usable)
    out = np.clip(s - step, 0.0, 1.0)
    out[0], out[-1] = 0.0, 1.0
    return out


def fit_time(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Coefficients (g1, g2, g3) of the least-squares cubic t(s) = g0 + g1 s + g2 s^2 + g3 s^3
    (fewer than 4 points: the straight line from the first time to the last)."""
    if len(t) < 4:
        return np.array([t[-1] - t[0], 0.0, 0.0])
    powers = s[:, None] ** np.arange(4)
    return np.linalg.lstsq(powers, t, rcond=None)[0][1:]


def _angle(reference: np.ndarray, vector: np.ndarray) -> float:
    cross = reference[0] * vector[1] - reference[1] * vector[0]
    return float(np.arctan2(cross, reference @ vector))


def curve_features(ctrl: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The 10 features (see the module docstring) of a drawn curve's control points (4, 2)
    and time coefficients (3,)."""
    p0, p1, p2, p3 = ctrl
    end = p3 - p0
    reference = end if np.linalg.norm(end) > 0 else np.array([1.0, 0.0])
    return np.concatenate(
        [
            end,
            [np.linalg.norm(p1 - p0), np.linalg.norm(p2 - p3)],
            [_angle(reference, p1 - p0), _angle(-reference, p2 - p3)],
            time,
            [0.0],
        ]
    )


class ReferenceBezierEncoding(BezierEncoding):
    """Points (P, 4) of one ink -> curve features (S, 10), one piece at a time (the settings
    are ``BezierEncoding``'s; every method is the former one)."""

    def _fit(self, piece: np.ndarray) -> tuple[np.ndarray, int | None]:
        """Features (10,) of the curve fitting a piece (N, 3), and where to cut the piece when
        the curve is farther than ``max_error`` from a point (None: keep it whole)."""
        xy = piece[:, :2]
        s = chord_parameters(xy)
        ctrl = fit_cubic_bezier(xy, s)
        error = np.linalg.norm(bernstein(s) @ ctrl - xy, axis=1)
        for _ in range(REPARAMETERIZATIONS if len(xy) >= 4 else 0):
            if error.max() <= self.max_error:
                break
            s = reparameterize(xy, ctrl, s)
            ctrl = fit_cubic_bezier(xy, s)
            error = np.linalg.norm(bernstein(s) @ ctrl - xy, axis=1)
        features = curve_features(ctrl, fit_time(piece[:, 2], s))
        if len(piece) < 3 or error.max() <= self.max_error:
            return features, None
        return features, int(error[1:-1].argmax()) + 1

    def _by_length(self, stroke: np.ndarray) -> list[np.ndarray]:
        """A stroke (N, 3) cut at points into pieces of at most about ``max_length``."""
        arc = np.concatenate(
            [[0.0], np.cumsum(np.linalg.norm(np.diff(stroke[:, :2], axis=0), axis=1))]
        )
        count = int(np.ceil(arc[-1] / self.max_length))
        if count <= 1:
            return [stroke]
        cuts = np.unique(np.searchsorted(arc, arc[-1] * np.arange(1, count) / count))
        cuts = cuts[(cuts > 0) & (cuts < len(stroke) - 1)]
        bounds = [0, *cuts.tolist(), len(stroke) - 1]
        return [stroke[a : b + 1] for a, b in zip(bounds, bounds[1:], strict=False)]

    def _pieces(self, stroke: np.ndarray) -> list[np.ndarray]:
        """Curve features of a stroke (N, 3): cut by length, then split at the worst point until
        each piece fits; pieces share their end points."""
        done, todo = [], self._by_length(stroke)[::-1]
        while todo:
            piece = todo.pop()
            features, cut = self._fit(piece)
            if cut is None:
                done.append(features)
            else:
                todo += [piece[cut:], piece[: cut + 1]]  # the first half is popped first
        return done

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        array = points.detach().cpu().double().numpy()
        curves = []
        previous_end = None
        for begin, end in stroke_spans(points[:, START]):
            stroke = array[begin:end][:, [X, Y, T]]
            if previous_end is not None:
                pen_up = np.zeros(BEZIER_FEATURES)
                jump = stroke[0] - previous_end
                pen_up[0:2], pen_up[6], pen_up[9] = jump[:2], jump[2], 1.0
                curves.append(pen_up)
            curves += self._pieces(stroke)
            previous_end = stroke[-1]
        return torch.from_numpy(np.stack(curves)).to(points.dtype)
