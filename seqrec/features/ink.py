"""Per-ink geometric steps: time repair, size normalisation, slant correction, resampling.

Each step is an ``nn.Module`` taking one ink's points (P, 4) — columns x, y, t and
stroke-start (1.0 on the first point of every stroke) — and returning points in the same
layout. They run per item on CPU while signals load, because they change the point count.

Dimensions: P points, N points of one stroke.
"""

from __future__ import annotations

import math

import torch
from torch import nn

X, Y, T, START = 0, 1, 2, 3


def stroke_spans(starts: torch.Tensor) -> list[tuple[int, int]]:
    """(begin, end) index pairs of the strokes marked in the stroke-start column (P,).

    Args:
        starts: the stroke-start column (P,), above 0.5 on the first point of every stroke; a
            stroke starts at point 0 whether or not it is marked.

    Returns:
        Per stroke, the index of its first point and one past its last, in order; empty
        strokes are left out.
    """
    begins = torch.nonzero(starts > 0.5).flatten().tolist()
    if not begins or begins[0] != 0:
        begins = [0, *begins]
    ends = [*begins[1:], len(starts)]
    return [(b, e) for b, e in zip(begins, ends, strict=True) if e > b]


def pen_down_mask(points: torch.Tensor) -> torch.Tensor:
    """(P-1,) True where the move from point i to i+1 is drawn (stays within a stroke).

    Args:
        points: one ink's points (P, 4).

    Returns:
        Boolean mask (P-1,): True where point i+1 does not start a stroke.
    """
    return points[1:, START] < 0.5


class TimeRepair(nn.Module):
    """Makes t non-decreasing without dropping points; returns the points and the repair count.

    A single point whose time steps back (a glitch, even to 0) is placed halfway between its
    neighbours. When the clock steps back and stays back (a reset), the rest of the ink is
    shifted forward so it continues one typical sample interval after the last good time.

    Args:
        *args: passed to ``nn.Module``; the step has no settings.
        **kwargs: passed to ``nn.Module``.
    """

    def forward(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Repair the times of one ink.

        Args:
            points: one ink's points (P, 4); not modified.

        Returns:
            The points (P, 4) with non-decreasing t, and the number of points whose time
            stepped back (a 0-dim integer tensor).
        """
        t = points[:, T].clone()
        steps = t.diff()
        forward_steps = steps[steps > 0]
        interval = float(forward_steps.median()) if len(forward_steps) else 0.0
        repairs = 0
        for i in (torch.nonzero(steps < 0).flatten() + 1).tolist():
            previous = float(t[i - 1])
            if float(t[i]) >= previous:
                continue
            if i + 1 < len(t) and float(t[i + 1]) >= previous:
                t[i] = (previous + float(t[i + 1])) / 2
            else:
                t[i:] += previous - float(t[i]) + interval
            repairs += 1
        # a shift by (previous - t[i] + interval) can round to just below previous when the
        # interval is tiny; the running maximum removes such 1e-14 steps and nothing else
        t = torch.cummax(t, dim=0).values
        out = points.clone()
        out[:, T] = t
        return out, torch.tensor(repairs)


class SizeNormalization(nn.Module):
    """Scales the ink to unit height and centres it: x starts at 0, y is centred on 0.

    The height is the range between the ``quantile`` and ``1 - quantile`` of y, so stray
    points do not set it. It never falls below ``min_height_ratio`` of the width, and an ink
    with no extent at all (a dot, repeated points) is only translated.

    Args:
        quantile: the lower y quantile that sets the height (the upper is ``1 - quantile``).
        min_height_ratio: the least height, as a share of the width (x's range between the
            same quantiles).

    Raises:
        ValueError: when ``quantile`` is not in [0, 0.5).
    """

    def __init__(self, quantile: float = 0.05, min_height_ratio: float = 0.02) -> None:
        super().__init__()
        if not 0.0 <= quantile < 0.5:
            raise ValueError(f"height quantile must be in [0, 0.5), got {quantile}")
        self.quantile = quantile
        self.min_height_ratio = min_height_ratio

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Scale and centre one ink.

        Args:
            points: one ink's points (P, 4); not modified.

        Returns:
            The points (P, 4), x and y in units of the height; t and stroke-start unchanged.
        """
        q = torch.tensor([self.quantile, 1.0 - self.quantile], dtype=points.dtype)
        y_lo, y_hi = torch.quantile(points[:, Y], q).tolist()
        x_lo, x_hi = torch.quantile(points[:, X], q).tolist()
        height = max(y_hi - y_lo, self.min_height_ratio * (x_hi - x_lo))
        extent = max(abs(v) for v in (x_lo, x_hi, y_lo, y_hi, 1.0))
        if height <= 1e-9 * extent:
            height = 1.0
        out = points.clone()
        out[:, X] = (points[:, X] - points[:, X].min()) / height
        out[:, Y] = (points[:, Y] - (y_lo + y_hi) / 2) / height
        return out


def estimate_slant(points: torch.Tensor, max_angle: float) -> float:
    """Shear factor k = dx/dy of the dominant slant: the length-weighted mean angle of the
    pen-down moves within ``max_angle`` degrees of vertical (0 when there are none).

    Args:
        points: one ink's points (P, 4).
        max_angle: the largest angle from vertical, in degrees, of a move that counts.

    Returns:
        The shear factor k (positive when the writing leans right as y grows).
    """
    moves = points[1:, :2] - points[:-1, :2]
    moves = torch.where(moves[:, 1:] < 0, -moves, moves)  # upward moves count as downward
    length = moves.norm(dim=1)
    angle = torch.atan2(moves[:, 0], moves[:, 1])  # from vertical (downwards); +-90 horizontal
    near = pen_down_mask(points) & (angle.abs() <= math.radians(max_angle)) & (length > 0)
    if not near.any():
        return 0.0
    mean = (angle[near] * length[near]).sum() / length[near].sum()
    return math.tan(float(mean))


class SlantCorrection(nn.Module):
    """Shears away the dominant slant of near-vertical pen-down moves: x -= k * (y - y_mean).

    Args:
        max_angle: the largest angle from vertical, in degrees, of a move that counts towards
            the slant (``estimate_slant``).
    """

    def __init__(self, max_angle: float = 40.0) -> None:
        super().__init__()
        self.max_angle = max_angle

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Shear one ink upright.

        Args:
            points: one ink's points (P, 4); not modified.

        Returns:
            The points (P, 4) with x sheared; y, t and stroke-start unchanged.
        """
        k = estimate_slant(points, self.max_angle)
        out = points.clone()
        out[:, X] = points[:, X] - k * (points[:, Y] - points[:, Y].mean())
        return out


def interpolate(positions: torch.Tensor, grid: torch.Tensor, values: torch.Tensor):
    """Linear interpolation of ``values`` (N, C) given at increasing ``grid`` (N,) at
    ``positions`` (M,) inside the grid -> (M, C).

    Args:
        positions: where to interpolate (M,), each within ``grid[0]..grid[-1]``.
        grid: the increasing positions (N,) of ``values``.
        values: the values (N, C) at ``grid``.

    Returns:
        The interpolated values (M, C).
    """
    right = torch.searchsorted(grid, positions).clamp(1, len(grid) - 1)
    left = right - 1
    span = grid[right] - grid[left]
    w = torch.where(span > 0, (positions - grid[left]) / span.clamp_min(1e-300), 0.0)
    return values[left] + w[:, None] * (values[right] - values[left])


class EquidistantResampling(nn.Module):
    """Resamples each pen-down stroke at equal arc-length spacing close to ``step``.

    A stroke of length L gets ``round(L / step)`` equal intervals, so both of its ends are
    kept; t is interpolated along the path. A stroke with no length becomes one point.
    Pen-up moves between strokes are left as they are (one jump to the next stroke start).

    Args:
        step: the target spacing along a stroke, in the points' units.

    Raises:
        ValueError: when ``step`` is not positive.
    """

    def __init__(self, step: float) -> None:
        super().__init__()
        if step <= 0:
            raise ValueError(f"resampling step must be positive, got {step}")
        self.step = step

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Resample one ink's strokes.

        Args:
            points: one ink's points (P, 4); a stroke starts at point 0 whether or not it is
                marked.

        Returns:
            The resampled points (P', 4): x, y and t interpolated, stroke-start 1.0 on the
            first point of every stroke.
        """
        # All strokes at once: stroke k lives at [k * width, k * width + L_k) on one axis.
        starts = points[:, START] > 0.5
        starts[0] = True
        moves = torch.zeros(len(points), dtype=points.dtype)
        moves[1:] = (points[1:, :2] - points[:-1, :2]).norm(dim=1)
        moves[starts] = 0.0
        stroke = starts.long().cumsum(0) - 1
        arc = moves.cumsum(0)
        local = arc - arc[starts][stroke]
        lengths = torch.zeros(int(stroke[-1]) + 1, dtype=points.dtype)
        lengths = lengths.scatter_reduce(0, stroke, local, "amax")
        width = float(lengths.max()) + 1.0
        axis = local + stroke.to(points.dtype) * width
        intervals = torch.where(
            lengths > 0, (lengths / self.step).round().clamp_min(1), torch.zeros_like(lengths)
        ).long()
        counts = intervals + 1
        new_stroke = torch.repeat_interleave(torch.arange(len(counts)), counts)
        first = torch.repeat_interleave(counts.cumsum(0) - counts, counts)
        index = torch.arange(len(new_stroke)) - first
        fraction = index / intervals[new_stroke].clamp_min(1)
        at = new_stroke.to(points.dtype) * width + fraction * lengths[new_stroke]
        keep = starts | (moves > 0)  # repeated points add no length; keep one of each
        new = interpolate(at, axis[keep], points[keep, :3])
        return torch.cat([new, (index == 0).to(points.dtype)[:, None]], dim=1)
