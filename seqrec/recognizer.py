"""The Python API: load a trained model and transcribe files, arrays and tensors.

Dimensions: B batch, S samples, T' output frames, V classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from tqdm.auto import tqdm

from seqrec.audio.io import AudioError
from seqrec.data.dataset import pad_signals
from seqrec.data.manifest import ManifestEntry
from seqrec.data.signals import SignalError
from seqrec.decoding.alignment import Span, align_tokens, word_spans
from seqrec.decoding.config import Decoder, DecoderConfig, build_decoder
from seqrec.decoding.results import Emission, Transcription
from seqrec.ink import Ink
from seqrec.modality import Input, modality_for
from seqrec.models.checkpoint import read_checkpoint
from seqrec.models.ctc_model import CTCModel
from seqrec.models.spec import ModelSpec


@dataclass(frozen=True)
class Prepared:
    """One input ready for the model.

    Attributes:
        index: its index in the call's inputs.
        source: the input as the modality read it (``Modality.read``).
        signal: its signal as the model takes it (gain applied).
    """

    index: int
    source: Any
    signal: np.ndarray


Consumer = Callable[[list[Prepared], torch.Tensor, torch.Tensor], None]


class Recognizer:
    """A trained CTC model with its tokenizer, text normaliser, signal settings and decoder
    (greedy unless ``decoding`` says otherwise).

    Args:
        model: the trained network; moved to ``device`` and put in eval mode here.
        spec: the network's settings (text, front end, encoder), as its checkpoint stores them.
        device: where the network runs ("cpu", "cuda", ...).
        decoding: greedy (default) or beam search with a lexicon and LM.

    Raises:
        ValueError: when ``decoding``'s lexicon or LM cannot be used with the model's
            characters (``LMError`` for an unusable LM).

    Example:
        >>> checkpoint = read_checkpoint("exp/speech_demo")  # doctest: +SKIP
        >>> rec = Recognizer(checkpoint.model(), checkpoint.spec)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: CTCModel,
        spec: ModelSpec,
        device: str = "cpu",
        decoding: DecoderConfig | None = None,
    ) -> None:
        self.model = model.to(device).eval()
        self.spec = spec
        self.device = torch.device(device)
        self.sample_rate = spec.front_end.sample_rate
        self.modality = modality_for(spec)
        self.tokenizer = spec.text.tokenizer()
        self.normalizer = spec.text.normalizer
        self.set_decoding(decoding or DecoderConfig())

    def set_decoding(self, decoding: DecoderConfig) -> None:
        """Decode from now on as ``decoding`` says (its lexicon and LM are loaded here).

        Args:
            decoding: the decoder settings; replaces the current decoder and ``.decoding``.

        Returns:
            None.

        Raises:
            ValueError: when the lexicon or LM cannot be used with the model's characters
                (``LMError`` for an unusable LM); the current decoder is kept then.

        Example:
            >>> rec.set_decoding(DecoderConfig(kind="beam", lm="chars.arpa"))  # doctest: +SKIP
        """
        self.decoder: Decoder = build_decoder(decoding, self.tokenizer)
        self.decoding = decoding

    @classmethod
    def load(
        cls, model: str | Path, device: str = "cpu", decoding: DecoderConfig | None = None
    ) -> Recognizer:
        """Load a model ``seqrec train`` wrote.

        Args:
            model: a checkpoint file, or a folder holding ``best.ckpt`` or ``last.ckpt``
                (directly or in ``checkpoints/``). Checkpoints from before model specs load too.
            device: where the network runs ("cpu", "cuda", ...).
            decoding: greedy (default) or beam search with a lexicon and LM.

        Returns:
            The recognizer, its network in eval mode on ``device``.

        Example:
            >>> beam = DecoderConfig(kind="beam", lexicon="words.txt")
            >>> rec = Recognizer.load("exp/speech_demo", decoding=beam)  # doctest: +SKIP
        """
        checkpoint = read_checkpoint(model)
        return cls(checkpoint.model(), checkpoint.spec, device, decoding)

    @property
    def aligner(self) -> Recognizer:
        """The recognizer whose alignments a report draws: this one (an ``Ensemble`` names
        a member)."""
        return self

    @property
    def frame_seconds(self) -> float:
        """Seconds between the output frames of an audio model (hop times subsampling);
        ValueError for an ink model, whose frames are points or curves, not times."""
        return self.modality.frame_seconds

    @torch.inference_mode()
    def align(
        self, inputs: Sequence[Input], texts: Sequence[str], sample_rate: int | None = None
    ) -> list[list[Span]]:
        """Word spans of each input's known transcript by CTC forced alignment.

        Args:
            inputs: as for ``transcribe`` (audio or ink, by the model's modality).
            texts: one transcript per input, normalised here as in training.
            sample_rate: the rate of array inputs (default: the model's).

        Returns:
            Per input, its words as ``Span`` objects in output frames (``.label``,
            ``.start``, ``.end``, ``.score``); ``span.seconds(rec.frame_seconds)`` gives
            seconds for audio.

        Raises:
            ValueError: naming the input, when it is unusable or its text cannot be emitted
                in its frames (characters outside the vocabulary, too short an input).

        Example:
            >>> spans = rec.align(["a.wav"], ["three one four"])[0]  # doctest: +SKIP
            >>> [(s.label, s.seconds(rec.frame_seconds)) for s in spans]  # doctest: +SKIP
            [('three', (0.12, 0.44)), ('one', (0.52, 0.8)), ('four', (0.88, 1.24))]
        """
        aligned = []
        for i, (item, text) in enumerate(zip(inputs, texts, strict=True)):
            source = _describe(item, i)
            try:
                wave = self.modality.signal(item, sample_rate)
                self.modality.check_alignable(wave)
                log_probs, frames = self.forward_signals([wave])  # as transcribe runs it
                chars = align_tokens(
                    log_probs[0, : frames[0]], self.normalizer(text), self.tokenizer
                )
            except (SignalError, AudioError, ValueError) as err:
                raise ValueError(f"{source}: {err}") from None
            aligned.append(word_spans(chars))
        return aligned

    @torch.inference_mode()
    def forward_signals(
        self,
        signals: list[np.ndarray],
        level: torch.Tensor | None = None,
        peak: float | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probs (B, T', V) and output lengths (B,) of model-rate signals, level-normalised
        with their own levels or, given ``level`` (1,), all with that one; likewise limited at
        their own thresholds or all at ``peak``.

        Args:
            signals: B signals as the modality prepares them: waveforms (S,) at the model's
                rate, or an ink model's pipeline features (S, C); right-padded here.
            level: one active level (1,) that level normalisation uses for every signal
                (None: each signal's own).
            peak: one limiter threshold for every signal (None: each signal's own).

        Returns:
            Log-probs (B, T', V) and output lengths (B,), on the model's device.

        Example:
            >>> log_probs, lengths = rec.forward_signals([wave_a, wave_b])  # doctest: +SKIP
            >>> texts = rec.decoder(log_probs, lengths)  # doctest: +SKIP
        """
        padded, lengths = pad_signals([torch.from_numpy(s) for s in signals])
        levels = None if level is None else level.expand(len(signals)).to(self.device)
        peaks = None if peak is None else torch.full((len(signals),), peak, device=self.device)
        return self.model(padded.to(self.device), lengths.to(self.device), levels, peaks)

    def transcribe(
        self,
        inputs: Sequence[Input] | Input,
        *,
        batch_size: int = 16,
        sample_rate: int | None = None,
        progress: bool = False,
        timestamps: bool = False,
        gain_db: float = 0.0,
    ) -> list[Transcription]:
        """One Transcription per input, in order.

        Args:
            inputs: paths, manifest entries, or waveforms (numpy or torch; (S,), channels-first
                (C, S) or channels-last (S, C)); for an ink model, ``seqrec.Ink`` objects, ink
                files or entries. One input alone is taken as a list of one.
            batch_size: inputs run through the model together (length-sorted).
            sample_rate: the rate of array inputs (default: the model's).
            progress: show a progress bar.
            timestamps: also fill ``.words`` and ``.chars`` (below).
            gain_db: scale audio by this gain first (then clip to [-1, 1]).

        Returns:
            A ``Transcription`` per input: ``.text``, or ``.error`` naming the input when it
            is unusable (it never costs the others their results), plus level and warnings.

        Raises:
            ValueError: when ``gain_db`` is not zero for a model that reads ink.

        Example:
            >>> rec = Recognizer.load("exp/speech_demo")  # doctest: +SKIP
            >>> rec.transcribe(["a.wav", waveform], batch_size=8)[0].text  # doctest: +SKIP
            'three one four'

        Audio is scaled by ``gain_db`` (then clipped to [-1, 1]) once at the model's rate;
        its ``.level_dbfs`` and ``.clipped_share`` are then measured, and a silent input
        (below ``SILENT_DBFS``, digital silence included) gets the text "" and a warning
        without being run through the model, a clipped one (over ``CLIPPED_SHARE`` of its
        samples at full scale) a warning; see ``seqrec.audio.level``.

        ``timestamps=True`` also fills ``.words`` and ``.chars`` (empty for an empty or failed
        transcript): start and end in seconds from the start of the input, a confidence, and
        for ink the points [start_point, end_point) covered. They come from the CTC alignment
        of the decoded text, with audio word boundaries moved to pauses because the model's
        spikes come late; see ``seqrec.decoding.timestamps``."""
        if isinstance(inputs, (str, Path, np.ndarray, torch.Tensor, ManifestEntry, Ink)):
            inputs = [inputs]
        results = [Transcription("", source=_describe(x, i)) for i, x in enumerate(inputs)]
        if timestamps:
            for result in results:
                result.words, result.chars = [], []

        def decode(batch: list[Prepared], log_probs: torch.Tensor, lengths: torch.Tensor) -> None:
            texts = self.decoder(log_probs, lengths)
            for item, text, row, n in zip(batch, texts, log_probs, lengths.tolist(), strict=True):
                results[item.index].text = text
                if timestamps and text:
                    self._add_timestamps(results[item.index], item, row[:n].float().cpu())

        self._run(inputs, results, batch_size, sample_rate, progress, decode, gain_db)
        return results

    def _add_timestamps(
        self, result: Transcription, item: Prepared, log_probs: torch.Tensor
    ) -> None:
        """Set ``result``'s words and chars from the log-probs (T', V) of its signal, or its
        error when they cannot be had."""
        try:
            result.words, result.chars = self.modality.timestamps(
                log_probs, result.text, self.tokenizer, item.source, item.signal
            )
        except (ValueError, OSError) as err:
            result.error = f"{result.source}: timestamps: {err}"

    def transcribe_long(
        self,
        path: str | Path,
        *,
        window_s: float = 20.0,
        overlap_s: float = 4.0,
        batch_size: int = 8,
        progress: bool = True,
        timestamps: bool = False,
        split: str = "auto",
        pause_s: float = 0.1,
        min_segment_s: float = 0.0,
    ) -> Transcription:
        """Transcribe a long audio file (minutes to hours) with flat memory.

        Args:
            path: an audio file soundfile reads, at any rate.
            window_s: seconds per window the model reads at once; with ``split="pauses"``,
                the longest segment.
            overlap_s: seconds two neighbouring windows share (context for the joins).
            batch_size: windows (or segments) read from disk and run together.
            progress: show a progress bar over the windows (or segments).
            timestamps: also fill ``.words`` and ``.chars``, in seconds from the file's start.
            split: "windows", "pauses", or "auto": "pauses" for a model that normalises each
                input by its own statistics (``normalization: utterance`` or ``speech``),
                "windows" otherwise.
            pause_s: at pauses, the shortest pause a segment ends in, in seconds.
            min_segment_s: at pauses, the seconds of speech a segment holds before it may
                end in a pause; near the length of the training utterances for a model
                trained on long ones.

        Returns:
            One ``Transcription`` of the whole file (``.error`` set when it is unreadable).

        Raises:
            TypeError: when the model does not read audio.
            ValueError: unless 0 <= ``overlap_s`` < ``window_s``, or for an unknown ``split``.

        Example:
            >>> rec.transcribe_long("meeting.flac", timestamps=True).words[0]  # doctest: +SKIP
            Timestamp(text='good', start=1.32, end=1.6, confidence=0.97, ...)

        The file is read in windows of ``window_s`` seconds overlapping by ``overlap_s``,
        ``batch_size`` windows at a time, so memory does not grow with the recording; the
        windows' outputs are stitched frame by frame before decoding (see
        ``seqrec.long_audio``). An unreadable file sets ``.error``.
        The file's level and clipped share are measured first, in one more streaming pass at
        its own rate (4 bytes kept per 10 ms), with ``transcribe``'s warnings: a silent file
        is not run through the model. The same pass measures the level that the front end's
        level normalisation then uses for every window.

        ``timestamps=True`` also fills ``.words`` and ``.chars`` (seconds from the start of
        the file, as for ``transcribe``): the stitched output is cut in pauses between words
        (next to a space) into pieces of at most ``long_audio.LONG_PIECE_S`` seconds where
        the speech allows, and each piece is decoded and aligned with its own audio, so the
        alignment's memory stays bounded too. The text is then the pieces' texts joined by
        spaces (the same words for greedy decoding; a beam search's LM does not see across
        the cuts).

        ``split="pauses"`` reads the file segment by segment instead: a streaming pass finds
        its speech (10-ms blocks within 30 dB of its loud ones, 8 bytes kept per block), the
        speech is cut into segments at pauses of at least ``pause_s`` once a segment holds
        ``min_segment_s`` of speech (at its quietest point where it runs on past
        ``window_s``), and each segment is run as an input of its own,
        with its own level, limiter threshold and feature statistics, as the model was
        trained; the silence between segments is not run. The text is the segments' texts
        joined by spaces; timestamps come segment by segment."""
        from seqrec.long_audio import transcribe_file

        if self.modality.name != "audio":
            raise TypeError(
                f"transcribe_long reads audio files; this model reads {self.modality.name}"
            )
        return transcribe_file(
            self,
            path,
            window_s,
            overlap_s,
            batch_size,
            progress=progress,
            timestamps=timestamps,
            split=split,
            pause_s=pause_s,
            min_segment_s=min_segment_s,
        )

    def emissions(
        self,
        inputs: Sequence[Input],
        batch_size: int = 16,
        sample_rate: int | None = None,
        progress: bool = False,
        gain_db: float = 0.0,
    ) -> list[Emission]:
        """The model's log-probs (T', V) for each input, on the CPU, to decode later (and
        again) with ``decode``; inputs, ``gain_db`` and silence as for ``transcribe``.

        Args:
            inputs: as for ``transcribe`` (audio or ink, by the model's modality).
            batch_size: inputs run through the model together (length-sorted).
            sample_rate: the rate of array inputs (default: the model's).
            progress: show a progress bar.
            gain_db: scale audio by this gain first (then clip to [-1, 1]).

        Returns:
            An ``Emission`` per input, in order: ``.log_probs`` (T', V), or None with
            ``.error`` naming an unusable input (None and no error for a silent one), plus
            level and warnings.

        Raises:
            ValueError: when ``gain_db`` is not zero for a model that reads ink.

        Example:
            >>> emissions = rec.emissions(["a.wav", "b.wav"])  # doctest: +SKIP
            >>> greedy = rec.decode(emissions)  # doctest: +SKIP
        """
        results = [Transcription("", source=_describe(x, i)) for i, x in enumerate(inputs)]
        kept: dict[int, torch.Tensor] = {}

        def keep(batch: list[Prepared], log_probs: torch.Tensor, lengths: torch.Tensor) -> None:
            for item, row, n in zip(batch, log_probs, lengths.tolist(), strict=True):
                kept[item.index] = row[:n].float().cpu()

        self._run(inputs, results, batch_size, sample_rate, progress, keep, gain_db)
        return [
            Emission(r.source, kept.get(i), r.error, r.warnings, r.level_dbfs, r.clipped_share)
            for i, r in enumerate(results)
        ]

    def decode(self, emissions: Sequence[Emission], batch_size: int = 16) -> list[Transcription]:
        """Transcriptions of ``emissions`` with the current decoder, one per emission.

        Args:
            emissions: what ``emissions`` returned, each with log-probs (T', V) or none.
            batch_size: emissions decoded together (length-sorted, padded to (B, T', V)).

        Returns:
            A ``Transcription`` per emission, in order: its ``.text`` ("" for a silent
            input), or the emission's ``.error``; source, level and warnings carried over.

        Example:
            >>> emissions = rec.emissions(["a.wav"])  # doctest: +SKIP
            >>> rec.set_decoding(DecoderConfig(kind="beam", lm="chars.arpa"))  # doctest: +SKIP
            >>> rec.decode(emissions)[0].text  # doctest: +SKIP
            'three one four'
        """
        results = [
            Transcription(
                "",
                e.error,
                e.source,
                warnings=list(e.warnings),
                level_dbfs=e.level_dbfs,
                clipped_share=e.clipped_share,
            )
            for e in emissions
        ]
        ready = [i for i, e in enumerate(emissions) if e.log_probs is not None]
        ready.sort(key=lambda i: len(emissions[i].log_probs))
        for b in range(0, len(ready), batch_size):
            batch = ready[b : b + batch_size]
            rows = [emissions[i].log_probs for i in batch]
            lengths = torch.tensor([len(row) for row in rows])
            texts = self.decoder(pad_sequence(rows, batch_first=True), lengths)
            for i, text in zip(batch, texts, strict=True):
                results[i].text = text
        return results

    def _run(
        self,
        inputs: Sequence[Input],
        results: list[Transcription],
        batch_size: int,
        sample_rate: int | None,
        progress: bool,
        consume: Consumer,
        gain_db: float = 0.0,
    ) -> None:
        """Run the model over ``inputs`` in length-sorted batches, handing each batch's
        prepared inputs, log-probs (B, T', V) and lengths (B,) to ``consume``; an unusable
        input gets its ``results`` row's error set, an audio input its level and warnings
        (``gain_db`` applied first), and a silent one is not run."""
        self.modality.check_gain(gain_db)
        chunk = batch_size * 32  # inputs decoded and length-sorted together; bounds memory
        starts = range(0, len(inputs), chunk)
        with tqdm(
            total=len(inputs), desc="transcribing", unit="input", disable=not progress
        ) as bar:
            for start in starts:
                self._run_chunk(
                    inputs,
                    results,
                    start,
                    start + chunk,
                    batch_size,
                    sample_rate,
                    consume,
                    gain_db,
                )
                bar.update(min(chunk, len(inputs) - start))

    def _run_chunk(
        self,
        inputs: Sequence[Input],
        results: list[Transcription],
        start: int,
        stop: int,
        batch_size: int,
        sample_rate: int | None,
        consume: Consumer,
        gain_db: float,
    ) -> None:
        loaded: list[Prepared] = []
        for i in range(start, min(stop, len(inputs))):
            try:
                source = self.modality.read(inputs[i], sample_rate)
                signal = self.modality.prepare(source)
            except (SignalError, AudioError, TypeError, ValueError) as err:
                message, name = str(err), results[i].source
                results[i].error = message if name in message else f"{name}: {message}"
                continue
            admitted = self.modality.admit(results[i], signal, gain_db)
            if admitted is not None:
                loaded.append(Prepared(i, source, admitted))
        loaded.sort(key=lambda item: len(item.signal))
        for b in range(0, len(loaded), batch_size):
            batch = loaded[b : b + batch_size]
            consume(batch, *self.forward_signals([item.signal for item in batch]))


def _describe(item: Input, index: int) -> str:
    if isinstance(item, ManifestEntry):
        return str(item.path)
    if isinstance(item, (str, Path)):
        return str(item)
    if isinstance(item, Ink) and item.source:
        return item.source
    return f"input {index}"
