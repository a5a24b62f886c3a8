"""Ink preparation: checked ``Ink`` -> the model's signal, with running statistics.

Steps, in order: time repair, size normalisation, optional slant correction (together
``InkPipeline.normalized``, the same every epoch), optional augmentation (training only),
optional equidistant resampling, and for the Bézier encoding the curve fit, of a whole batch
at once where a batch is prepared (``InkPipeline.prepare_many``). Points go to the model as
(P, 4) rows of x, y, t, stroke-start (the ``InkPointFeatures`` front end makes the deltas in
batch); Bézier curves as (S, 10).

Dimensions: P points, S curves, C channels (4 for points, 10 for curves).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from seqrec.features.ink import (
    EquidistantResampling,
    SizeNormalization,
    SlantCorrection,
    T,
    TimeRepair,
)
from seqrec.features.ink_bezier import BEZIER_FEATURES, BezierEncoding
from seqrec.features.ink_frontend import (
    DEFAULT_POINT_FEATURES,
    POINT_FEATURES,
    InkPointFeatures,
    PrecomputedFeatures,
)
from seqrec.ink import Ink, InkError

ENCODINGS = ("points", "bezier")
DERIVED_TIME = ("keep", "zero")


@dataclass(frozen=True)
class InkFeatureConfig:
    """Ink feature settings, stored in the checkpoint so inference prepares ink the same way.

    Attributes:
        encoding: "points" (per-point ``point_features``) or "bezier" (10-dim cubic curves).
        point_features: the per-point features of the "points" encoding, some of
            ``POINT_FEATURES`` (see ``InkPointFeatures``).
        derived_time: for ink whose time was not recorded (``time_source`` "rate" or
            "index"), "keep" the derived times or "zero" them (dt = 0 everywhere).
        height_quantile: y quantiles that set the height normalised to 1
            (``SizeNormalization``).
        slant_correction: whether to shear away the writing's slant (``SlantCorrection``).
        slant_max_angle: the largest angle from vertical, in degrees, of a move that counts
            towards the slant.
        resample_step: spacing along pen-down strokes in normalised heights (None: keep the
            recorded points).
        bezier_max_error: the largest distance of a point from its curve before the curve is
            split, in normalised heights.
        bezier_max_length: the longest a stroke's piece is before the fit, about, in
            normalised heights.

    Raises:
        ValueError: for an unknown ``encoding`` or ``derived_time``, or ``point_features``
            empty or naming an unknown feature.
    """

    encoding: str = "points"
    point_features: list[str] = field(default_factory=lambda: list(DEFAULT_POINT_FEATURES))
    derived_time: str = "keep"
    height_quantile: float = 0.05
    slant_correction: bool = False
    slant_max_angle: float = 40.0
    resample_step: float | None = 0.05
    bezier_max_error: float = 0.02
    bezier_max_length: float = 1.0

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ValueError(f"ink encoding must be one of {ENCODINGS}, got {self.encoding!r}")
        unknown = sorted(set(self.point_features) - set(POINT_FEATURES))
        if unknown or not self.point_features:
            raise ValueError(f"point_features must be some of {POINT_FEATURES}, got {unknown}")
        if self.derived_time not in DERIVED_TIME:
            raise ValueError(
                f"derived_time must be one of {DERIVED_TIME}, got {self.derived_time!r}"
            )


DEFAULT_INK_FEATURES = InkFeatureConfig()


@dataclass
class InkStats:
    """What preparation did to the inks it saw: counts, time sources and time repairs.

    Attributes:
        derived_time: the config's ``derived_time``, for the summary.
        inks: inks prepared.
        points_in: their recorded points.
        frames_out: the frames (points or curves) of their signals.
        time_repairs: points whose time stepped back (``TimeRepair``).
        repaired_inks: inks with at least one such point.
        time_sources: inks per ``Ink.time_source``.
    """

    derived_time: str = "keep"
    inks: int = 0
    points_in: int = 0
    frames_out: int = 0
    time_repairs: int = 0
    repaired_inks: int = 0
    time_sources: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        """One line for a log: the counts, time sources and repairs.

        Returns:
            The summary text.
        """
        sources = ", ".join(f"{n} {name}" for name, n in sorted(self.time_sources.items()))
        derived = sum(n for name, n in self.time_sources.items() if name != "recorded")
        text = f"{self.inks} inks, {self.points_in} points -> {self.frames_out} frames; "
        text += f"time source: {sources or 'none'}"
        if derived:
            text += f" (derived time {'kept' if self.derived_time == 'keep' else 'zeroed'})"
        if self.time_repairs:
            text += (
                f"; time stepped back at {self.time_repairs} points in "
                f"{self.repaired_inks} inks (repaired)"
            )
        return text


def ink_points(ink: Ink) -> torch.Tensor:
    """All points of an ink (P, 4) float64: x, y, t from the first point's time, stroke-start.

    Args:
        ink: an ink with at least one point (see ``ink_problem``); empty strokes are skipped.

    Returns:
        The points of all strokes in order (P, 4), stroke-start 1.0 on each stroke's first.
    """
    parts = []
    for stroke in ink.strokes:
        if len(stroke):
            start = np.zeros((len(stroke), 1))
            start[0] = 1.0
            parts.append(np.hstack([stroke, start]))
    points = torch.from_numpy(np.vstack(parts))
    points[:, T] -= float(points[0, T])
    return points


def ink_problem(ink: Ink) -> str | None:
    """Why an ink is unusable (empty, a single point, NaN or infinite values), or None.

    Args:
        ink: the ink to check.

    Returns:
        A short reason, or None for a usable ink.
    """
    if ink.num_points == 0:
        return "empty ink (no points)"
    if ink.num_points == 1:
        return "ink has a single point"
    values = np.concatenate([s for s in ink.strokes if len(s)])
    if not np.isfinite(values[:, :2]).all():
        return "ink has NaN or infinite coordinates"
    if not np.isfinite(values[:, 2]).all():
        return "ink has NaN or infinite times"
    return None


@dataclass(frozen=True)
class NormalizedInk:
    """An ink after the steps that draw nothing (time repair, size normalisation, slant
    correction): where augmentation starts, the same in every epoch, so what an ink cache
    keeps for augmented training (``InkPipeline.normalized``).

    Attributes:
        points: the points (P, 4): x, y, t, stroke start; shared, never changed in place.
        repairs: points whose time stepped back (repaired).
        num_points: the ink's recorded points.
        time_source: the ink's ``time_source``.
    """

    points: torch.Tensor
    repairs: int
    num_points: int
    time_source: str


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch ops on one intra-op thread: an ink's tensors are small, and on busy cores the
    thread pool's hand-offs cost more than the work.

    Yields:
        None; the previous thread count is restored on exit.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class InkPipeline:
    """Prepares one ``Ink`` at a time as the model's signal (P, 4) or (S, 10) float32.

    ``augment`` (training only) distorts the normalised points before resampling.
    ``stats`` accumulates what was done over every ink prepared.

    Args:
        config: the feature settings; sets the steps that run.
        augment: a distortion of the normalised points (P, 4) -> (P, 4), applied before
            resampling; None: none.

    Raises:
        ValueError: when ``config`` has an out-of-range height quantile, a negative
            resampling step, or (Bézier encoding) non-positive Bézier limits.
    """

    def __init__(self, config: InkFeatureConfig, augment: nn.Module | None = None) -> None:
        self.config = config
        self.time_repair = TimeRepair()
        self.normalize = SizeNormalization(config.height_quantile)
        self.slant = SlantCorrection(config.slant_max_angle) if config.slant_correction else None
        self.augment = augment
        step = config.resample_step
        self.resample = EquidistantResampling(step) if step else None
        self.bezier = (
            BezierEncoding(config.bezier_max_error, config.bezier_max_length)
            if config.encoding == "bezier"
            else None
        )
        self.stats = InkStats(config.derived_time)

    def __call__(self, ink: Ink) -> np.ndarray:
        """Prepare one ink and count it in ``stats``.

        Args:
            ink: the ink, as read.

        Returns:
            The signal (P, 4) or (S, 10) float32.

        Raises:
            InkError: naming the ink, when it is unusable (``ink_problem``).
        """
        return self.prepare_many([ink])[0]

    def prepare_many(
        self, inks: Sequence[Ink | NormalizedInk], reseed: Callable[[int], None] | None = None
    ) -> list[np.ndarray]:
        """Prepare several inks (a batch) and count them in ``stats``: each as ``self(ink)``
        would, the Bézier curves of all of them fitted at once (``BezierEncoding.encode_many``),
        which costs a fraction of fitting them one by one.

        Args:
            inks: the inks, as read, or as ``normalized`` left them (kept from an earlier
                epoch: those steps are not run again).
            reseed: called with ``i`` before the i-th ink's augmentation (its per-item seed);
                None: nothing.

        Returns:
            Each ink's signal (P, 4) or (S, 10) float32.

        Raises:
            InkError: naming the first unusable ink (``ink_problem``).
        """
        with one_thread():
            normalized, points = [], []
            for i, ink in enumerate(inks):
                ink = ink if isinstance(ink, NormalizedInk) else self._normalized(ink)
                if reseed is not None:
                    reseed(i)
                normalized.append(ink)
                points.append(self._augmented(ink.points))
            signals = self.bezier.encode_many(points) if self.bezier is not None else points
            for ink, signal in zip(normalized, signals, strict=True):
                self._count(ink, len(signal))
            return [signal.float().numpy() for signal in signals]

    def normalized(self, ink: Ink) -> NormalizedInk:
        """The ink after the steps that draw nothing (see ``NormalizedInk``).

        Args:
            ink: the ink, as read.

        Returns:
            Its normalised points and what ``stats`` counts of it.

        Raises:
            InkError: naming the ink, when it is unusable (``ink_problem``).
        """
        with one_thread():
            return self._normalized(ink)

    def _normalized(self, ink: Ink) -> NormalizedInk:
        problem = ink_problem(ink)
        if problem:
            raise InkError(f"{ink.name}: {problem}")
        points = ink_points(ink)
        if ink.time_source != "recorded" and self.config.derived_time == "zero":
            points[:, T] = 0.0
        points, repairs = self.time_repair(points)
        points = self.normalize(points)
        if self.slant is not None:
            points = self.slant(points)
        return NormalizedInk(points, int(repairs), ink.num_points, ink.time_source)

    def _augmented(self, points: torch.Tensor) -> torch.Tensor:
        """Normalised points (P, 4) augmented and resampled as the config says; each step
        makes a new tensor, so ``points`` (perhaps cached) is never changed."""
        if self.augment is not None:
            points = self.augment(points)
        if self.resample is not None:
            points = self.resample(points)
        return points

    def _count(self, ink: NormalizedInk, frames: int) -> None:
        s = self.stats
        s.inks += 1
        s.points_in += ink.num_points
        s.frames_out += frames
        s.time_repairs += ink.repairs
        s.repaired_inks += ink.repairs > 0
        s.time_sources[ink.time_source] += 1


def ink_frontend(config: InkFeatureConfig) -> nn.Module:
    """The batched front end matching the per-item signal of ``config.encoding``.

    Args:
        config: the feature settings.

    Returns:
        ``PrecomputedFeatures`` for "bezier", else ``InkPointFeatures`` of
        ``config.point_features``.
    """
    if config.encoding == "bezier":
        return PrecomputedFeatures(BEZIER_FEATURES)
    return InkPointFeatures(config.point_features)
