"""Long recordings: overlapping windows read from the file a batch at a time, stitched at
the frame level, or segments between pauses, each run and decoded as an input of its own.

Every window starts on the model's output-frame grid, so output frame j of a window that
starts at frame a is frame a + j of the whole recording, and neighbouring windows compute
the same frames where they overlap. Each window contributes only the frames nearer its
centre than its neighbours' (the joins lie in the middle of each overlap, with half the
overlap of context on either side), and the stitched log-probs (T', V) are decoded once,
after stitching: a word cut by a join is neither doubled nor lost. Memory holds one batch
of windows plus the stitched log-probs (4 V bytes per output frame). For timestamps the
stitched output is cut at pauses into pieces of bounded length (``pause_pieces``), each
decoded and aligned with its own stretch of audio.

A model with per-input statistics (``normalization: utterance`` or ``speech``) reads a
window of running speech from many voices unlike any of its training inputs, so for it the
file is read between pauses instead: a streaming pass finds the speech blocks
(``SpeechBlocks``), ``plan_segments`` cuts the speech at pauses, and each segment is read,
run and decoded alone (memory: one batch of segments, 8 bytes per 10-ms block).

Dimensions: B batch, S samples, T' output frames, V classes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf
import torch
from tqdm.auto import tqdm

from seqrec.audio.io import AudioError, audio_info, to_model_rate
from seqrec.audio.level import file_level, is_silent, level_warnings
from seqrec.audio.speech_detector import runs
from seqrec.decoding.config import Decoder
from seqrec.decoding.results import Transcription
from seqrec.decoding.timestamps import audio_timestamps
from seqrec.features.level_norm import frame_powers, loudest_mean
from seqrec.features.logmel import speech_blocks
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import ModelSpec
from seqrec.text.tokenizer import CharTokenizer

Forward = Callable[[list[np.ndarray]], tuple[torch.Tensor, torch.Tensor]]
"""Model-rate signals (S_i,) -> log-probs (B, T', V) and output lengths (B,)."""
PEAK_BINS = 1 << 16  # histogram bins over [0, 1] for a long file's limiter threshold
# timestamps: the longest piece aligned at once where pauses allow, and the shortest pause
# between words (blank the likeliest class) a piece may end in
LONG_PIECE_S = 30.0
LONG_PAUSE_S = 0.3
SEGMENT_PAD_S = 0.2  # split="pauses": seconds of pause kept on either side of a segment
SPLITS = ("auto", "windows", "pauses")
PER_INPUT_NORMALIZATIONS = ("utterance", "speech")  # statistics of each input: split at pauses


@dataclass(frozen=True)
class Window:
    """A window over output frames of the recording and the frames it contributes to the
    stitched output.

    Attributes:
        start: the first output frame the window covers.
        stop: the frame after the last one it covers.
        keep_start: the first frame it contributes (start <= keep_start).
        keep_stop: the frame after the last one it contributes (keep_stop <= stop).
    """

    start: int
    stop: int
    keep_start: int
    keep_stop: int

    def kept(self, log_probs: torch.Tensor) -> torch.Tensor:
        """This window's share of its log-probs.

        Args:
            log_probs: the window's log-probs (T'_w, V), frame 0 at ``start``.

        Returns:
            The rows (keep_stop - keep_start, V) of the frames it contributes.
        """
        return log_probs[self.keep_start - self.start : self.keep_stop - self.start]


def plan_windows(
    total_frames: int, window_frames: int, hop_frames: int, align: int = 1
) -> list[Window]:
    """Windows of ``window_frames`` every ``hop_frames`` over ``total_frames`` output frames;
    the last one ends at the end (starting earlier than the hop would put it, so it is a
    full window). Joins lie in the middle of each overlap.

    Args:
        total_frames: T', the output frames of the recording.
        window_frames: output frames per window, a multiple of ``align``.
        hop_frames: frames from one window's start to the next's, a multiple of ``align``.
        align: every window starts on a multiple of this.

    Returns:
        The windows in order; their kept frames tile [0, total_frames). One window, shorter
        than ``window_frames``, when the recording is.

    Raises:
        ValueError: unless 0 < ``hop_frames`` <= ``window_frames``, both multiples of
            ``align``.
    """
    if not 0 < hop_frames <= window_frames:
        raise ValueError(f"need 0 < hop <= window, got hop {hop_frames}, window {window_frames}")
    if hop_frames % align or window_frames % align:
        raise ValueError(
            f"window {window_frames} and hop {hop_frames} must be multiples of {align}"
        )
    last = max(0, total_frames - window_frames) // align * align
    starts = list(range(0, last, hop_frames)) + [last]
    stops = [s + window_frames for s in starts[:-1]] + [total_frames]
    joins = [(nxt + stop) // 2 for nxt, stop in zip(starts[1:], stops, strict=False)]
    bounds = [0, *joins, total_frames]
    return [
        Window(start, stop, keep_start, keep_stop)
        for start, stop, keep_start, keep_stop in zip(
            starts, stops, bounds[:-1], bounds[1:], strict=True
        )
    ]


def stitch(windows: Sequence[Window], outputs: Iterable[torch.Tensor]) -> torch.Tensor:
    """The recording's log-probs (T', V) from each window's own log-probs, copied into one
    buffer as they come (no pieces are kept, so the heap does not fragment).

    Args:
        windows: the windows, as ``plan_windows`` returns them.
        outputs: each window's log-probs (T'_w, V), in the order of ``windows``.

    Returns:
        The stitched log-probs (T', V), T' the last window's ``keep_stop``; empty for no
        windows.

    Raises:
        ValueError: when ``outputs`` and ``windows`` differ in number.
    """
    stitched = torch.empty(0)
    for i, (w, out) in enumerate(zip(windows, outputs, strict=True)):
        if i == 0:
            stitched = out.new_empty(windows[-1].keep_stop, out.shape[-1])
        stitched[w.keep_start : w.keep_stop] = w.kept(out)
    return stitched


def read_windows(
    path: str | Path, windows: Sequence[Window], sample_rate: int, frame_samples: int
) -> Iterator[np.ndarray]:
    """Each window's mono signal (S_w,) at ``sample_rate``, read from ``path`` one window at
    a time and resampled on its own.

    Args:
        path: the audio file, at any rate.
        windows: the windows to read, in output frames.
        sample_rate: the model's rate, in Hz.
        frame_samples: samples per output frame at ``sample_rate``.

    Yields:
        The signal (S_w,) float32 of each window, in order.

    Raises:
        AudioError: naming the file, when soundfile cannot decode it.
    """
    try:
        with sf.SoundFile(str(path)) as sound:
            scale = sound.samplerate / sample_rate
            for w in windows:
                sound.seek(round(w.start * frame_samples * scale))
                count = round((w.stop - w.start) * frame_samples * scale)
                data = sound.read(count, dtype="float32", always_2d=True)
                yield to_model_rate(data, sound.samplerate, sample_rate)
    except sf.LibsndfileError as err:
        raise AudioError(f"{path}: cannot decode audio ({err})") from None


def model_samples(path: str | Path, sample_rate: int) -> tuple[int, int]:
    """Samples of ``path`` once resampled to ``sample_rate``, and the file's own rate.

    Args:
        path: the audio file.
        sample_rate: the model's rate, in Hz.

    Returns:
        The samples at ``sample_rate`` (rounded up) and the file's rate.

    Raises:
        AudioError: naming the file, when it is missing, undecodable or empty.
    """
    info = audio_info(path)
    if info.frames == 0:
        raise AudioError(f"{path}: empty audio (0 samples)")
    return math.ceil(info.frames * sample_rate / info.samplerate), info.samplerate


LEVEL_BLOCK_S = 60.0  # seconds of audio read at a time to measure a long file's level


class FrontendLevel:
    """The active level of a whole file as a level-normalising ``frontend`` (a ``LogMel``)
    measures it, fed the file's mono blocks (S_i,) one at a time at their own rate: the
    mean power of the loudest frames of the file, kept as 4 bytes per frame. Every window
    of the file is then normalised with it, as one pass over the file would be.

    Args:
        frontend: the model's level-normalising front end (``frame_lengths``, ``mel_power``).
        sample_rate: the model's rate, in Hz.
        peak: the file's limiter threshold, at which samples are clipped (None: not clipped).
    """

    def __init__(
        self, frontend: torch.nn.Module, sample_rate: int, peak: float | None = None
    ) -> None:
        self.frontend, self.sample_rate, self.peak = frontend, sample_rate, peak
        self.powers: list[torch.Tensor] = []

    @torch.inference_mode()
    def add(self, block: np.ndarray, rate: int) -> None:
        """Measure the next block (S_i,) of the file (clipped at ``peak`` when set).

        Args:
            block: the next mono samples (S_i,) of the file.
            rate: the file's rate, in Hz; the block is resampled to the model's.
        """
        wave = torch.from_numpy(to_model_rate(block, rate, self.sample_rate))
        if self.peak is not None:
            wave = wave.clamp(-self.peak, self.peak)
        frames = self.frontend.frame_lengths(torch.tensor([wave.numel()]))
        self.powers.append(frame_powers(self.frontend.mel_power(wave[None]), frames)[0])

    def level(self) -> torch.Tensor:
        """The level (1,) of everything added.

        Returns:
            The mean power (1,) of the loudest frames added, as level normalisation takes it.
        """
        power = torch.cat(self.powers)[None]
        return loudest_mean(power, torch.tensor([power.shape[1]]))


class SpeechBlocks:
    """The speech blocks of a whole file at the model's rate, fed its mono blocks (S_i,) one
    at a time: the ``block``-sample blocks that a front end's limiter with
    ``limiter_speech_only`` counts (``speech_blocks``), from each block's power, kept as 8
    bytes per block.

    Args:
        sample_rate: the model's rate, in Hz.
        block: samples per block (the front end's hop).
    """

    def __init__(self, sample_rate: int, block: int) -> None:
        self.sample_rate, self.block = sample_rate, block
        self.powers: list[np.ndarray] = []
        self.rest = np.zeros(0, dtype=np.float64)  # samples of a block not yet complete

    def add(self, samples: np.ndarray, rate: int) -> None:
        """Measure the next samples (S_i,) of the file.

        Args:
            samples: the next mono samples (S_i,) of the file.
            rate: the file's rate, in Hz; the samples are resampled to the model's.
        """
        wave = np.concatenate([self.rest, to_model_rate(samples, rate, self.sample_rate)])
        whole = wave.size // self.block * self.block
        self.powers.append(np.square(wave[:whole]).reshape(-1, self.block).mean(1))
        self.rest = wave[whole:]

    def block_powers(self) -> np.ndarray:
        """The mean power (N,) of each block of everything added (the last one zero-padded).

        Returns:
            Each block's mean squared sample (N,).
        """
        tail = [np.array([np.square(self.rest).sum() / self.block])] if self.rest.size else []
        return np.concatenate([*self.powers, *tail])

    def speech(self) -> np.ndarray:
        """Which blocks (N,) of everything added are speech (the last one zero-padded).

        Returns:
            True for each speech block (N,).
        """
        powers = torch.from_numpy(self.block_powers())[None]
        return speech_blocks(powers, torch.tensor([powers.shape[1]]))[0].numpy()


class PeakQuantile:
    """The ``quantile`` of a whole file's sample magnitudes at the model's rate, fed its mono
    blocks (S_i,) one at a time: the threshold a front end's limiter (``limit_peaks``) puts
    on the file in one pass, from a histogram of ``PEAK_BINS`` bins over [0, 1] (an error
    under 1/``PEAK_BINS`` of full scale; magnitudes above full scale share the last bin, and
    a threshold among them is the largest counted).

    Args:
        sample_rate: the model's rate, in Hz.
        quantile: the quantile of the magnitudes, as the front end's ``limiter`` sets it.
        speech: count only the samples of these blocks (N,) of ``block`` samples
            (``SpeechBlocks.speech``, for ``limiter_speech_only``); None: every sample.
        block: samples per block of ``speech``.
    """

    def __init__(
        self, sample_rate: int, quantile: float, speech: np.ndarray | None = None, block: int = 1
    ) -> None:
        self.sample_rate, self.quantile = sample_rate, quantile
        self.speech, self.block = speech, block
        self.counts = np.zeros(PEAK_BINS + 1, dtype=np.int64)
        self.largest = 0.0
        self.offset = 0  # samples added so far, at the model's rate

    def add(self, samples: np.ndarray, rate: int) -> None:
        """Count the next samples (S_i,) of the file.

        Args:
            samples: the next mono samples (S_i,) of the file.
            rate: the file's rate, in Hz; the samples are resampled to the model's.
        """
        magnitudes = np.abs(to_model_rate(samples, rate, self.sample_rate))
        start, self.offset = self.offset, self.offset + magnitudes.size
        if self.speech is not None:
            magnitudes = magnitudes[self.speech[(start + np.arange(magnitudes.size)) // self.block]]
        if magnitudes.size:
            self.largest = max(self.largest, float(magnitudes.max()))
        bins = np.minimum((magnitudes * PEAK_BINS).astype(np.int64), PEAK_BINS)
        self.counts += np.bincount(bins, minlength=PEAK_BINS + 1)

    def threshold(self) -> float:
        """The magnitude at rank floor(quantile x (N - 1)) of the N counted, to the bin.

        Returns:
            The bin's upper edge, at most the largest magnitude counted (0 when none).
        """
        total = int(self.counts.sum())
        rank = math.floor(self.quantile * max(total - 1, 0))
        index = int(np.searchsorted(np.cumsum(self.counts), rank + 1))
        if index >= PEAK_BINS:
            return self.largest
        return min((index + 1) / PEAK_BINS, self.largest)


def plan_segments(
    powers: np.ndarray,
    speech: np.ndarray,
    min_pause: int,
    min_length: int,
    max_length: int,
    pad: int,
) -> list[tuple[int, int]]:
    """Stretches [start, stop) of a file's blocks that hold its speech, cut in pauses: the
    speech runs joined until a segment holds ``min_length`` blocks and the next pause is
    at least ``min_pause`` long, or the next run would take it past ``max_length``; a run
    longer than that (speech without pauses) is cut at its quietest block in the second half
    of each ``max_length``. Each segment then reaches ``pad`` blocks into the pauses on
    either side, at most to their middle.

    Args:
        powers: each block's mean power (N,) (``SpeechBlocks.block_powers``).
        speech: which blocks are speech (N,) (``SpeechBlocks.speech``).
        min_pause: the shortest pause, in blocks, a segment ends in.
        min_length: the blocks from its first speech to its last a segment holds before it
            may end in a pause (the last segment joins its neighbour when shorter and both
            fit in ``max_length``).
        max_length: the most blocks from a segment's first speech to its last, at least 2.
        pad: blocks of pause kept on either side of a segment's speech.

    Returns:
        The segments (start, stop) in order, not overlapping; none without speech.

    Raises:
        ValueError: for ``max_length`` below 2.
    """
    if max_length < 2:
        raise ValueError(f"max_length must be at least 2 blocks, got {max_length}")
    spans = runs(np.asarray(speech, dtype=bool))
    if not spans:
        return []
    joined = []
    start, stop = spans[0]
    for a, b in spans[1:]:
        if (a - stop >= min_pause and stop - start >= min_length) or b - start > max_length:
            joined.append((start, stop))
            start = a
        stop = b
    if joined and stop - start < min_length and stop - joined[-1][0] <= max_length:
        start = joined.pop()[0]
    joined.append((start, stop))
    segments = []
    for a, b in joined:
        while b - a > max_length:
            low = a + max_length // 2
            cut = low + int(np.argmin(powers[low : a + max_length]))
            segments.append((a, cut))
            a = cut
        segments.append((a, b))
    middles = [(b + a) // 2 for (_, b), (a, _) in zip(segments, segments[1:], strict=False)]
    lefts, rights = [0, *middles], [*middles, len(speech)]
    return [
        (max(a - pad, left), min(b + pad, right))
        for (a, b), left, right in zip(segments, lefts, rights, strict=True)
    ]


def resolve_split(split: str, normalization: str) -> str:
    """The way a long file is read: ``split`` itself, or for "auto" "pauses" where the model
    normalises each input by its own statistics (``PER_INPUT_NORMALIZATIONS``: a window of
    running speech from many voices would have statistics unlike any training input's), else
    "windows".

    Args:
        split: one of ``SPLITS``.
        normalization: the model's feature normalisation (``FeatureNormalizer.mode``).

    Returns:
        "windows" or "pauses".

    Raises:
        ValueError: for a ``split`` not in ``SPLITS``.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if split != "auto":
        return split
    return "pauses" if normalization in PER_INPUT_NORMALIZATIONS else "windows"


def frontend_level(
    path: str | Path,
    frontend: torch.nn.Module,
    sample_rate: int,
    block_s: float = LEVEL_BLOCK_S,
    peak: float | None = None,
) -> torch.Tensor:
    """The active level (1,) of the whole file ``path`` as ``frontend`` measures it
    (``FrontendLevel``), from blocks of ``block_s`` seconds read one at a time.

    Args:
        path: the audio file, at any rate.
        frontend: the model's level-normalising front end.
        sample_rate: the model's rate, in Hz.
        block_s: seconds read at a time.
        peak: the limiter threshold the samples are clipped at (None: not clipped).

    Returns:
        The level (1,) that level normalisation uses for every window of the file.

    Raises:
        AudioError: naming the file, when it is missing, undecodable or empty.
    """
    measured = FrontendLevel(frontend, sample_rate, peak)
    file_level(path, measured.add, block_s)
    return measured.level()


def _check_windows(window_s: float, overlap_s: float) -> None:
    if not 0 <= overlap_s < window_s:
        raise ValueError(f"need 0 <= overlap_s < window_s, got {overlap_s} and {window_s}")


def stitched_log_probs(
    path: str | Path,
    forward: Forward,
    output_frames: Callable[[int], int],
    sample_rate: int,
    frame_samples: int,
    window_s: float = 20.0,
    overlap_s: float = 4.0,
    batch_size: int = 8,
    progress: bool = False,
) -> torch.Tensor:
    """Log-probs (T', V) of the whole audio file ``path``, from overlapping windows read and
    run through the model a batch at a time.

    Args:
        path: the audio file, at any rate.
        forward: runs a batch of model-rate signals through the model (``Forward``).
        output_frames: the model's output length for S samples at ``sample_rate``.
        sample_rate: the model's rate, in Hz.
        frame_samples: samples per output frame at ``sample_rate``.
        window_s: seconds per window (rounded to the frame grid).
        overlap_s: seconds two neighbouring windows share.
        batch_size: windows run through ``forward`` at a time.
        progress: show a progress bar over the windows.

    Returns:
        The stitched log-probs (T', V), on the CPU.

    Raises:
        ValueError: unless 0 <= ``overlap_s`` < ``window_s``.
        AudioError: naming the file, when it is missing, undecodable or empty.
    """
    _check_windows(window_s, overlap_s)
    samples, file_rate = model_samples(path, sample_rate)
    # windows start where model-rate frames fall on whole samples of the file
    align = sample_rate // math.gcd(frame_samples * file_rate, sample_rate)
    frame_s = frame_samples / sample_rate
    window = max(align, round(window_s / frame_s / align) * align)
    hop = max(align, round((window_s - overlap_s) / frame_s / align) * align)
    windows = plan_windows(output_frames(samples), window, hop, align)
    bar = tqdm(total=len(windows), desc=Path(path).name, unit="window", disable=not progress)
    with bar:
        outputs = window_log_probs(
            windows,
            read_windows(path, windows, sample_rate, frame_samples),
            forward,
            batch_size,
            bar.update,
        )
        return stitch(windows, outputs)


def window_log_probs(
    windows: Sequence[Window],
    signals: Iterator[np.ndarray],
    forward: Forward,
    batch_size: int,
    done: Callable[[int], object],
) -> Iterator[torch.Tensor]:
    """Each window's log-probs (T'_w, V) on the CPU, a batch of windows at a time.

    Args:
        windows: the windows, in order.
        signals: each window's model-rate signal (S_w,), in the same order.
        forward: runs a batch of signals through the model (``Forward``).
        batch_size: windows run through ``forward`` at a time.
        done: called with the batch's window count after each batch.

    Yields:
        Each window's valid log-probs (T'_w, V), float32, in order.
    """
    for b in range(0, len(windows), batch_size):
        count = min(batch_size, len(windows) - b)
        log_probs, lengths = forward([next(signals) for _ in range(count)])
        for row, n in zip(log_probs, lengths.tolist(), strict=True):
            yield row[:n].float().cpu()
        done(count)


def pause_pieces(
    log_probs: torch.Tensor, max_frames: int, min_pause: int, delimiter: int | None = None
) -> list[tuple[int, int]]:
    """Consecutive pieces [start, stop) covering the T' frames of ``log_probs`` (T', V), cut
    in the middle of pauses between words: runs of at least ``min_pause`` frames, away from
    both ends, whose likeliest class is the blank, next to a frame whose likeliest class is
    the word ``delimiter`` (any such run when None; CTC spikes within one word can be a
    pause apart). Each piece ends at the last pause within ``max_frames`` of its start;
    speech with no pause that soon runs on to the next pause. A cut inside a blank run
    changes no greedy transcript (no token spans it).

    Args:
        log_probs: the stitched log-probs (T', V), class 0 the blank.
        max_frames: the longest piece where pauses allow, in frames.
        min_pause: the shortest blank run a piece may end in, in frames.
        delimiter: the class of the word delimiter (space) a pause must touch; None: any
            blank run counts.

    Returns:
        The pieces (start, stop) in order, covering [0, T') without gaps.
    """
    total = len(log_probs)
    best_path = log_probs.argmax(-1).cpu().numpy()
    cuts = [
        (a + b) // 2
        for a, b in runs(best_path == 0)
        if b - a >= min_pause
        and 0 < a
        and b < total
        and (delimiter is None or delimiter in (best_path[a - 1], best_path[b]))
    ]
    pieces, start, best = [], 0, None
    for cut in cuts:
        if cut - start > max_frames:
            end = best if best is not None else cut
            pieces.append((start, end))
            start, best = end, None
            if end == cut:
                continue
        best = cut
    if best is not None and total - start > max_frames:
        pieces.append((start, best))
        start = best
    return [*pieces, (start, total)]


class LongAudioRecognizer(Protocol):
    """What ``transcribe_file`` needs of a recognizer (``seqrec.Recognizer`` has it).

    Attributes:
        model: the CTC network, whose front end gives the hop, limiter and level settings.
        decoder: turns log-probs (B, T', V) and lengths (B,) into transcripts.
        tokenizer: the model's characters (the space gives the word delimiter).
        sample_rate: the model's rate, in Hz.
        spec: the network's settings (the encoder's subsampling factor).
    """

    model: CTCModel
    decoder: Decoder
    tokenizer: CharTokenizer
    sample_rate: int
    spec: ModelSpec

    @property
    def frame_seconds(self) -> float:
        """Seconds between the model's output frames."""
        ...

    def forward_signals(
        self,
        signals: list[np.ndarray],
        level: torch.Tensor | None = None,
        peak: float | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probs (B, T', V) and output lengths (B,) of model-rate signals.

        Args:
            signals: B waveforms (S_i,) at the model's rate.
            level: one active level (1,) that level normalisation uses for every signal
                (None: each signal's own).
            peak: one limiter threshold for every signal (None: each signal's own).

        Returns:
            Log-probs (B, T', V) and output lengths (B,).
        """
        ...


def transcribe_file(
    rec: LongAudioRecognizer,
    path: str | Path,
    window_s: float,
    overlap_s: float,
    batch_size: int,
    *,
    progress: bool,
    timestamps: bool,
    split: str = "auto",
    pause_s: float = 0.1,
    min_segment_s: float = 0.0,
) -> Transcription:
    """``Recognizer.transcribe_long``: in windows, the file's level (and limiter threshold)
    measured in streaming passes, then windows stitched (``stitched_log_probs``) and decoded
    once, or with ``timestamps`` piece by piece between pauses; at pauses, the file's speech
    blocks found in a streaming pass, then each segment (``plan_segments``) run and decoded
    as an input of its own. Errors and silence as in its docstring.

    Args:
        rec: the recognizer (``LongAudioRecognizer``).
        path: the audio file, at any rate.
        window_s: seconds per window; at pauses, the longest segment.
        overlap_s: seconds two neighbouring windows share.
        batch_size: windows (or segments) run together.
        progress: show a progress bar over the windows (or segments).
        timestamps: also fill ``.words`` and ``.chars``, in seconds from the file's start.
        split: "windows", "pauses" or "auto" (``resolve_split``).
        pause_s: at pauses, the shortest pause a segment ends in, in seconds.
        min_segment_s: at pauses, the seconds of speech a segment holds before it may end.

    Returns:
        One ``Transcription`` of the file, with its level, clipped share and warnings;
        ``.error`` set when the file is unreadable (or its timestamps fail), text "" for a
        silent file.

    Raises:
        ValueError: unless 0 <= ``overlap_s`` < ``window_s``, or for an unknown ``split``.
    """
    _check_windows(window_s, overlap_s)  # before the level pass reads the whole file
    if resolve_split(split, rec.model.normalizer.mode) == "pauses":
        limits = (pause_s, min_segment_s, window_s)
        return _transcribe_segments(rec, path, limits, batch_size, progress, timestamps)
    frontend = rec.model.frontend
    quantile = frontend.limiter
    normalizing = FrontendLevel(frontend, rec.sample_rate) if frontend.level_normalization else None
    speech = None
    if quantile and frontend.limiter_speech_only:
        speech = SpeechBlocks(rec.sample_rate, frontend.hop_length)
    limiter = PeakQuantile(rec.sample_rate, quantile) if quantile and speech is None else None
    try:  # one pass over the file measures both levels (with a limiter: its threshold, after
        # a pass finding the speech blocks it counts where it counts only those; then a
        # last pass the front end's level at that threshold)
        first = next((m for m in (speech, limiter, normalizing) if m is not None), None)
        level, clipped = file_level(path, None if first is None else first.add, LEVEL_BLOCK_S)
        if speech is not None and not is_silent(level):
            blocks = speech.speech()
            limiter = PeakQuantile(rec.sample_rate, quantile, blocks, frontend.hop_length)
            file_level(path, limiter.add, LEVEL_BLOCK_S)
        peak = None if limiter is None else limiter.threshold()
        if limiter is not None and normalizing is not None and not is_silent(level):
            normalizing.peak = peak
            file_level(path, normalizing.add, LEVEL_BLOCK_S)
    except AudioError as err:
        return Transcription("", str(err), str(path))
    measured = _measured(level, clipped)
    if is_silent(level):
        return _silent(path, timestamps, measured)

    def output_frames(samples: int) -> int:
        return int(rec.model.output_lengths(torch.tensor([samples]))[0])

    frame_samples = rec.model.frontend.hop_length * rec.spec.encoder.subsampling_factor
    frontend_level = None if normalizing is None else normalizing.level()
    try:
        log_probs = stitched_log_probs(
            path,
            partial(rec.forward_signals, level=frontend_level, peak=peak),
            output_frames,
            rec.sample_rate,
            frame_samples,
            window_s,
            overlap_s,
            batch_size,
            progress,
        )
    except AudioError as err:
        return Transcription("", str(err), str(path), **measured)
    if not timestamps:
        text = rec.decoder(log_probs[None], torch.tensor([len(log_probs)]))[0]
        return Transcription(text, source=str(path), **measured)
    delimiter = None if rec.tokenizer.unknown(" ") else rec.tokenizer.encode(" ")[0]
    pieces = pause_pieces(
        log_probs,
        max(1, round(LONG_PIECE_S / rec.frame_seconds)),
        max(1, round(LONG_PAUSE_S / rec.frame_seconds)),
        delimiter,
    )
    windows = [Window(a, b, a, b) for a, b in pieces]
    return _decode_pieces(
        rec, path, windows, (log_probs[a:b] for a, b in pieces), frame_samples, measured, True
    )


def _measured(level: float, clipped: float) -> dict[str, Any]:
    return {
        "warnings": level_warnings(level, clipped),
        "level_dbfs": level,
        "clipped_share": clipped,
    }


def _silent(path: str | Path, timestamps: bool, measured: dict[str, Any]) -> Transcription:
    empty = [] if timestamps else None
    return Transcription("", source=str(path), words=empty, chars=empty, **measured)


def _transcribe_segments(
    rec: LongAudioRecognizer,
    path: str | Path,
    limits: tuple[float, float, float],
    batch_size: int,
    progress: bool,
    timestamps: bool,
) -> Transcription:
    """A long file read segment by segment between pauses (``plan_segments`` over the speech
    blocks that one streaming pass finds, with ``limits``: the shortest pause, the least and
    the most speech of a segment, in seconds), each run through the model as an input of its
    own (its own level, limiter threshold and statistics, as in training) and decoded alone."""
    frontend = rec.model.frontend
    blocks = SpeechBlocks(rec.sample_rate, frontend.hop_length)
    try:
        level, clipped = file_level(path, blocks.add, LEVEL_BLOCK_S)
    except AudioError as err:
        return Transcription("", str(err), str(path))
    measured = _measured(level, clipped)
    if is_silent(level):
        return _silent(path, timestamps, measured)
    block_s = frontend.hop_length / rec.sample_rate
    pause, least, most = (round(seconds / block_s) for seconds in limits)
    spans = plan_segments(
        blocks.block_powers(),
        blocks.speech(),
        max(1, pause),
        least,
        max(2, most),
        round(SEGMENT_PAD_S / block_s),
    )
    per_frame = rec.spec.encoder.subsampling_factor
    segments: list[Window] = []
    for a, b in spans:  # to output frames, not overlapping
        start = max(a // per_frame, segments[-1].stop if segments else 0)
        stop = max(start + 1, -(-b // per_frame))
        segments.append(Window(start, stop, start, stop))
    frame_samples = frontend.hop_length * per_frame
    bar = tqdm(total=len(segments), desc=Path(path).name, unit="segment", disable=not progress)
    with bar:
        outputs = window_log_probs(
            segments,
            read_windows(path, segments, rec.sample_rate, frame_samples),
            rec.forward_signals,
            batch_size,
            bar.update,
        )
        return _decode_pieces(rec, path, segments, outputs, frame_samples, measured, timestamps)


def _decode_pieces(
    rec: LongAudioRecognizer,
    path: str | Path,
    pieces: Sequence[Window],
    piece_log_probs: Iterable[torch.Tensor],
    frame_samples: int,
    measured: dict[str, Any],
    timestamps: bool,
) -> Transcription:
    """A long file's text (and with ``timestamps`` its words and chars) from the log-probs
    (T'_i, V) of its ``pieces`` (output frames of the file, in order), each decoded (and
    aligned with its own audio) alone; ``measured`` holds its level, clipped share and
    warnings."""
    words = [] if timestamps else None
    result = Transcription(
        "", source=str(path), words=words, chars=[] if timestamps else None, **measured
    )
    texts = []
    try:
        waves = read_windows(path, pieces, rec.sample_rate, frame_samples) if timestamps else None
        for piece, log_probs in zip(pieces, piece_log_probs, strict=True):
            wave = None if waves is None else next(waves)
            text = rec.decoder(log_probs[None], torch.tensor([len(log_probs)]))[0].strip()
            if not text:
                continue
            texts.append(text)
            if wave is None:
                continue
            piece_words, piece_chars = audio_timestamps(
                log_probs,
                text,
                rec.tokenizer,
                wave,
                rec.sample_rate,
                rec.frame_seconds,
                offset_s=piece.start * rec.frame_seconds,
            )
            result.words += piece_words
            result.chars += piece_chars
    except AudioError as err:
        result.error = str(err)
    except ValueError as err:
        result.error = f"{path}: timestamps: {err}"
    result.text = " ".join(texts)
    return result
