"""Offline demo ink corpus: words, numbers and short commands written with Hershey pen fonts.

Geometry is worked out in cap-height units (baseline at y = 0, cap line at y = -1, y down) and
written in millimetres. Dimensions: N points in a stroke, P points in the whole ink, K waves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from seqrec.data.manifest import read_manifest, write_manifest
from seqrec.ink import Ink
from seqrec.ink.render import render_ink
from seqrec.synth.corpus_files import DIGIT_WORDS, PARAMS_FILE, PHRASE_WORDS, SPLITS, is_built
from seqrec.synth.hershey import HersheyFont, resample, text_strokes

CORPUS_VERSION = 2
FONTS = {  # disjoint; each held-out design has a sibling design (another writer) in train
    "train": ("cursive", "futural", "rowmant", "scripts", "timesi", "timesib"),
    "valid": ("futuram",),  # double-stroke sans; train has the single-stroke futural
    "test": ("scriptc", "timesr"),  # train has scripts, and rowmant of the same roman design
}
KIND_WEIGHTS = (0.35, 0.3, 0.35)  # digit words, command words, numerals
WORD_COUNT = (1, 3)
NUMERAL_DIGITS = (1, 4)
TEXT_LENGTH = (3, 20)
SPACING = 0.1  # resampled point spacing, in cap heights
ELASTIC_WAVES = 6  # plane waves per axis of the elastic displacement field
ELASTIC_WAVELENGTHS = (1.0, 3.0)  # cap heights
MIN_STEP = 1e-3  # seconds: a digitiser never reports two points at once


@dataclass(frozen=True)
class InkSpec:
    """What one ink says and in which font; ``seed`` keys its own style and distortions.

    Attributes:
        split: the split it belongs to, one of ``SPLITS``.
        index: its number within the split, which names its file.
        text: the text written.
        font: the Hershey font's name, one of the split's ``FONTS``.
        seed: (corpus seed, split number from 1, index): seeds its style and distortions.
    """

    split: str
    index: int
    text: str
    font: str
    seed: tuple[int, int, int]

    @property
    def relative_path(self) -> str:
        """Ink path relative to the corpus folder."""
        return f"ink/{self.split}/{self.split}_{self.index:05d}.json"


@dataclass(frozen=True)
class Style:
    """How one writer writes one sample (lengths in cap heights unless named otherwise).

    Attributes:
        cap_mm: the cap height in millimetres.
        aspect: the horizontal stretch.
        slant: the shear: x moves right by ``slant`` per cap height up.
        rotation: radians, clockwise on screen.
        tracking: extra advance per letter, in font units.
        word_spacing: the space width factor.
        drift: the baseline wave's amplitude.
        drift_wavelength: the baseline wave's wavelength.
        elastic: the smooth displacement's amplitude.
        jitter: the per-point noise's standard deviation.
        speed: the pen's speed on straight stretches, in cap heights per second.
        pen_lift: seconds of every pen-up besides its travel.
    """

    cap_mm: float  # cap height in millimetres
    aspect: float  # horizontal stretch
    slant: float  # shear: x moves right by slant per cap height up
    rotation: float  # radians, clockwise on screen
    tracking: float  # extra advance per letter, font units
    word_spacing: float  # space width factor
    drift: float  # baseline wave amplitude
    drift_wavelength: float
    elastic: float  # smooth displacement amplitude
    jitter: float  # per-point noise standard deviation
    speed: float  # pen speed on straight stretches, cap heights per second
    pen_lift: float  # seconds of every pen-up besides its travel

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Style:
        """A random writer.

        Args:
            rng: draws every field, each uniformly from its range (rotation from a normal).

        Returns:
            The drawn style.
        """
        return cls(
            cap_mm=float(rng.uniform(3.5, 6.5)),
            aspect=float(rng.uniform(0.85, 1.15)),
            slant=float(rng.uniform(-0.15, 0.35)),
            rotation=float(rng.normal(0.0, 0.03)),
            tracking=float(rng.uniform(-1.0, 2.0)),
            word_spacing=float(rng.uniform(0.8, 1.6)),
            drift=float(rng.uniform(0.0, 0.08)),
            drift_wavelength=float(rng.uniform(4.0, 12.0)),
            elastic=float(rng.uniform(0.02, 0.07)),
            jitter=float(rng.uniform(0.002, 0.008)),
            speed=float(rng.uniform(6.0, 12.0)),
            pen_lift=float(rng.uniform(0.04, 0.12)),
        )


def random_text(rng: np.random.Generator) -> str:
    """1-3 digit words, 1-3 command words, or 1-2 numerals after an optional command word."""
    while True:
        kind = rng.choice(3, p=KIND_WEIGHTS)
        count = int(rng.integers(WORD_COUNT[0], WORD_COUNT[1] + 1))
        if kind == 0:
            words = [DIGIT_WORDS[i] for i in rng.integers(0, len(DIGIT_WORDS), count)]
        elif kind == 1:
            words = [PHRASE_WORDS[i] for i in rng.choice(len(PHRASE_WORDS), count, replace=False)]
        else:
            numerals = int(rng.integers(1, 3))
            lengths = rng.integers(NUMERAL_DIGITS[0], NUMERAL_DIGITS[1] + 1, numerals)
            words = ["".join(map(str, rng.integers(0, 10, n))) for n in lengths]
            if rng.random() < 0.5:
                words.insert(0, PHRASE_WORDS[int(rng.integers(0, len(PHRASE_WORDS)))])
        text = " ".join(words)
        if TEXT_LENGTH[0] <= len(text) <= TEXT_LENGTH[1]:
            return text


def plan_split(split: str, count: int, seed: int) -> list[InkSpec]:
    """Draw text and font of ``count`` inks; each gets its own distortion seed."""
    split_index = SPLITS.index(split) + 1
    rng = np.random.default_rng([seed, split_index])
    fonts = FONTS[split]
    return [
        InkSpec(
            split=split,
            index=index,
            text=random_text(rng),
            font=fonts[int(rng.integers(0, len(fonts)))],
            seed=(seed, split_index, index),
        )
        for index in range(count)
    ]


def wave_field(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth random displacement (P, 2) of unit RMS: a sum of K plane waves per axis."""
    waves = ELASTIC_WAVES
    angle = rng.uniform(0.0, 2 * np.pi, (2, waves))
    number = 2 * np.pi / rng.uniform(*ELASTIC_WAVELENGTHS, (2, waves))
    phase = rng.uniform(0.0, 2 * np.pi, (2, waves))
    out = np.empty_like(points)
    for axis in range(2):
        k = number[axis] * np.stack([np.cos(angle[axis]), np.sin(angle[axis])])  # (2, K)
        out[:, axis] = np.sin(points @ k + phase[axis]).sum(axis=1) * np.sqrt(2.0 / waves)
    return out


def distort(points: np.ndarray, style: Style, rng: np.random.Generator) -> np.ndarray:
    """Elastic warp, baseline drift, stretch, slant and rotation of all points (P, 2)."""
    points = points + style.elastic * wave_field(points, rng)
    phase = rng.uniform(0.0, 2 * np.pi)
    drift = np.sin(2 * np.pi * points[:, 0] / style.drift_wavelength + phase)
    x = points[:, 0] * style.aspect - points[:, 1] * style.slant
    y = points[:, 1] + style.drift * drift
    cos, sin = np.cos(style.rotation), np.sin(style.rotation)
    return np.stack([cos * x - sin * y, sin * x + cos * y], axis=1)


def timestamps(points: np.ndarray, starts: np.ndarray, style: Style) -> np.ndarray:
    """Seconds (P,) at which the pen reaches each of ``points`` (P, 2); ``starts`` (P,) marks
    the first point of each stroke.

    Pen down, the pen moves at ``style.speed`` on straight stretches and slows where the trace
    turns (to a quarter at a right angle) and over the first and last 0.15 cap heights of a
    stroke. A pen-up takes ``style.pen_lift`` plus its travel at twice the speed.
    """
    ends = np.roll(starts, -1)
    steps = np.diff(points, axis=0)
    lengths = np.hypot(steps[:, 0], steps[:, 1])
    down = ~starts[1:]  # step i joins points i and i + 1 of one stroke
    turn = np.zeros(len(points))
    turn[1:-1] = np.abs(
        (np.diff(np.arctan2(steps[:, 1], steps[:, 0])) + np.pi) % (2 * np.pi) - np.pi
    )
    turn[starts | ends] = 0.0
    arc = np.concatenate([[0.0], np.cumsum(np.where(down, lengths, 0.0))])
    stroke = np.cumsum(starts) - 1
    to_end = np.minimum(arc - arc[starts][stroke], arc[ends][stroke] - arc)
    speed = style.speed * (0.3 + 0.7 * (1.0 - np.exp(-to_end / 0.15))) / (1.0 + 2.0 * turn)
    before = np.where(starts, speed, np.roll(speed, 1))
    after = np.where(ends, speed, np.roll(speed, -1))
    speed = 0.25 * before + 0.5 * speed + 0.25 * after
    pen_down = lengths / (0.5 * (speed[1:] + speed[:-1]))
    pen_up = style.pen_lift + lengths / (2.0 * style.speed)
    seconds = np.maximum(np.where(down, pen_down, pen_up), MIN_STEP)
    return np.concatenate([[0.0], np.cumsum(seconds)])


def render(spec: InkSpec) -> Ink:
    """Write ``spec.text`` in ``spec.font`` as a distorted, timed pen trajectory in millimetres.

    Args:
        spec: the ink's text, font and seed; the same spec gives the same ink.

    Returns:
        The ink, time ``recorded`` in seconds from 0, no source.

    Raises:
        KeyError: for a character the font lacks.
    """
    rng = np.random.default_rng(spec.seed)
    style = Style.draw(rng)
    font = HersheyFont.load(spec.font)
    traces = text_strokes(spec.text, font, style.tracking, style.word_spacing)
    origin = np.array([0.0, font.base_line])
    strokes = [resample((s - origin) / font.cap_height, SPACING) for s in traces]
    sizes = np.cumsum([len(s) for s in strokes])[:-1]
    xy = distort(np.vstack(strokes), style, rng)
    starts = np.zeros(len(xy), dtype=bool)
    starts[np.concatenate([[0], sizes])] = True
    t = timestamps(xy, starts, style)
    xy += style.jitter * rng.standard_normal(xy.shape)
    xy = xy * style.cap_mm + rng.uniform([5.0, 10.0], [60.0, 40.0])  # millimetres on the page
    points = np.column_stack([np.round(xy, 2), np.round(t, 4)])  # 10 micrometres, 0.1 ms
    return Ink(np.split(points, sizes), time_source="recorded")


def write_ink(spec: InkSpec, ink: Ink, out_dir: Path) -> dict[str, Any]:
    """Save ``ink`` as seqrec JSON and return its manifest row."""
    path = out_dir / spec.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    ink.save(path)
    return {
        "ink_filepath": spec.relative_path,
        "text": spec.text,
        "font": spec.font,
        "duration": round(ink.duration, 3),
    }


def render_previews(out_dir: str | Path, count: int) -> list[Path]:
    """PNG drawings of the first ``count`` inks of each split under ``out_dir/preview``.

    Args:
        out_dir: a corpus folder written by ``build_ink_corpus``.
        count: inks drawn per split, each titled with its text and font.

    Returns:
        The PNG paths, split by split.

    Raises:
        ManifestError: for a missing or malformed split manifest.
        InkError: for an ink file that cannot be read.
    """
    out_dir = Path(out_dir)
    paths = []
    for split in SPLITS:
        for entry in read_manifest(out_dir / f"{split}.jsonl")[:count]:
            path = out_dir / "preview" / f"{entry.path.stem}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            render_ink(Ink.load(entry.path), path, f"{entry.text!r} ({entry.extra['font']})")
            paths.append(path)
    return paths


def build_ink_corpus(
    out_dir: str | Path,
    num_train: int = 1200,
    num_valid: int = 100,
    num_test: int = 200,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Path]:
    """Write the demo ink corpus under ``out_dir``; returns the manifest path of each split.

    Fonts of the three splits are disjoint and every ink has its own distortion seed. A folder
    already built with the same arguments is reused as is (checked through ``synth_params.json``).

    Args:
        out_dir: the corpus folder; created if missing.
        num_train: inks in the train split.
        num_valid: inks in the valid split.
        num_test: inks in the test split.
        seed: seeds every split's texts, fonts and inks (a split's inks do not change with the
            other splits' sizes).
        progress: show a progress bar.

    Returns:
        The ``train``, ``valid`` and ``test`` manifest paths (``out_dir/<split>.jsonl``).
    """
    out_dir = Path(out_dir)
    counts = {"train": num_train, "valid": num_valid, "test": num_test}
    manifests = {split: out_dir / f"{split}.jsonl" for split in SPLITS}
    params = {"version": CORPUS_VERSION, "seed": seed, **counts}
    if is_built(out_dir, params):
        return manifests
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / PARAMS_FILE).unlink(missing_ok=True)  # an interrupted rebuild must not look done

    with tqdm(total=sum(counts.values()), desc="synth ink", disable=not progress) as bar:
        for split in SPLITS:
            rows = []
            for spec in plan_split(split, counts[split], seed):
                rows.append(write_ink(spec, render(spec), out_dir))
                bar.update()
            write_manifest(manifests[split], rows)
    (out_dir / PARAMS_FILE).write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
    return manifests


__all__ = ["FONTS", "InkSpec", "Style", "build_ink_corpus", "render", "render_previews"]
