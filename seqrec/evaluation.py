"""Scoring a model on a manifest: corpus WER/CER with S/D/I counts and per-utterance results,
with each audio input's level, clipped share and warnings."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqrec.audio.level import CLIPPED_SHARE, is_silent
from seqrec.data.manifest import ManifestEntry, read_manifest
from seqrec.decoding.results import Transcription
from seqrec.recognizer import Recognizer
from seqrec.report.scoring import Scores, score


@dataclass
class Evaluation:
    """Corpus summary, one row per manifest line, and the per-utterance counts behind them.

    Attributes:
        summary: corpus counts and rates (``"wer"``, ``"cer"``, ``"words"``, ``"chars"``,
            utterances failed, silent and clipped); ``evaluate`` adds the manifest, decoder
            settings, gain and timing.
        utterances: one JSON-ready row per manifest line: source, line, reference,
            hypothesis, rates, counts, alignment, error, warnings and level.
        scores: the per-utterance edit counts and alignments.
    """

    summary: dict[str, Any]
    utterances: list[dict[str, Any]]
    scores: Scores = field(repr=False)

    def write(self, report_dir: str | Path) -> Path:
        """Write ``summary.json`` and ``utterances.jsonl`` into ``report_dir``.

        Args:
            report_dir: the folder to write into; created with its parents.

        Returns:
            ``report_dir`` as a ``Path``.
        """
        out = Path(report_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
        with (out / "utterances.jsonl").open("w", encoding="utf-8") as f:
            for row in self.utterances:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return out

    def table(self) -> str:
        """A plain-text summary table.

        Returns:
            Rate and S/D/I/reference counts for words and characters, then a line of
            utterance counts, input gain, decoding time and real-time factor (decoding time
            "not measured" for transcripts scored by ``score_transcripts`` alone).
        """
        s = self.summary
        w, c = s["words"], s["chars"]
        lines = [
            f"{'unit':<6}{'rate %':>8}{'sub':>7}{'del':>7}{'ins':>7}{'ref':>8}",
            *(
                f"{name:<6}{100 * d['rate']:>8.2f}{d['substitutions']:>7}{d['deletions']:>7}"
                f"{d['insertions']:>7}{d['reference_length']:>8}"
                for name, d in (("word", w), ("char", c))
            ),
            f"utterances {s['utterances']} (unreadable: {s['failed']}, silent: {s['silent']}, "
            f"clipped: {s['clipped']}), input gain {s.get('gain_db', 0.0):+g} dB, "
            f"decoding time {decoding_time(s)}",
        ]
        return "\n".join(lines)


def decoding_time(summary: dict) -> str:
    """The decoding time of a summary as text: "2.0 s, real-time factor R" (no factor for
    ink), or "not measured" for transcripts scored without decoding.

    Args:
        summary: an ``Evaluation.summary``.

    Returns:
        The text.
    """
    if "decode_seconds" not in summary:
        return "not measured"
    return f"{summary['decode_seconds']:.1f} s{real_time_factor_note(summary)}"


def real_time_factor_note(summary: dict) -> str:
    """The text ", real-time factor R" for inputs with durations (audio); empty for ink.

    Args:
        summary: an ``Evaluation.summary``.

    Returns:
        The note, or "" when the summary has no ``"real_time_factor"`` (or it is None).
    """
    factor = summary.get("real_time_factor")
    return f", real-time factor {factor:.4f}" if factor is not None else ""


def evaluate(
    recognizer: Recognizer,
    manifest: str | Path,
    batch_size: int = 16,
    progress: bool = True,
    gain_db: float = 0.0,
) -> Evaluation:
    """Transcribe every line of ``manifest`` and score it against its normalised transcripts;
    audio is first scaled by ``gain_db`` (and clipped), as ``Recognizer.transcribe`` does.

    An unreadable input is reported in its row and scored as an empty hypothesis, and so is a
    silent one (with its warning).

    Args:
        recognizer: a ``Recognizer`` (or an ``Ensemble``, which takes no gain) with its
            decoder set.
        manifest: the JSONL manifest to score.
        batch_size: inputs run through the model together.
        progress: show a progress bar.
        gain_db: scale audio by this gain first (then clip to [-1, 1]).

    Returns:
        The ``Evaluation``, its summary with the manifest, decoder settings, gain, decoding
        and signal seconds and the real-time factor (None without durations).

    Raises:
        ManifestError: when the manifest cannot be read.
        ValueError: when ``gain_db`` is not zero for an ensemble, or for a model that reads
            ink.
    """
    entries = read_manifest(manifest)
    start = time.perf_counter()
    results = _transcribe(recognizer, entries, batch_size, progress, gain_db)
    decode_seconds = time.perf_counter() - start
    refs = [recognizer.normalizer(e.text) for e in entries]
    scored = score_transcripts(entries, refs, results)
    signal_seconds = sum(e.duration or 0.0 for e in entries)
    scored.summary = {
        "manifest": str(manifest),
        "decoding": recognizer.decoding.to_dict(),
        "gain_db": gain_db,
        **scored.summary,
        "decode_seconds": decode_seconds,
        "signal_seconds": signal_seconds,
        # inputs without a duration (ink) have no real-time factor
        "real_time_factor": decode_seconds / signal_seconds if signal_seconds else None,
    }
    return scored


def _transcribe(
    recognizer: Recognizer,
    entries: list[ManifestEntry],
    batch_size: int,
    progress: bool,
    gain_db: float,
) -> list[Transcription]:
    """``recognizer.transcribe`` of ``entries`` at ``gain_db``; an Ensemble (same
    ``transcribe`` but no gain) is refused a gain."""
    if isinstance(recognizer, Recognizer):
        return recognizer.transcribe(
            entries, batch_size=batch_size, progress=progress, gain_db=gain_db
        )
    if gain_db:
        raise ValueError(f"gain_db {gain_db:g}: an ensemble takes no input gain")
    return recognizer.transcribe(entries, batch_size=batch_size, progress=progress)


def score_transcripts(
    entries: Sequence[ManifestEntry], refs: Sequence[str], results: Sequence[Transcription]
) -> Evaluation:
    """Score ``results`` against the normalised references ``refs`` of ``entries``: the
    corpus counts and one row per entry (summary without timing or decoder settings).

    Args:
        entries: the manifest entries, for each row's source and line.
        refs: their normalised reference transcripts, one per entry.
        results: the transcriptions, one per entry (an error or silence scores as "").

    Returns:
        The ``Evaluation``: corpus summary, one row per entry, and the scores.

    Raises:
        ValueError: when ``entries``, ``refs`` and ``results`` differ in length.
    """
    hyps = [r.text for r in results]
    scores = score(refs, hyps)
    rows = []
    per_utterance = zip(
        entries,
        refs,
        results,
        scores.utterance_dicts("word"),
        scores.utterance_dicts("char"),
        scores.alignments["word"],
        strict=True,
    )
    for entry, ref, result, words, chars, alignment in per_utterance:
        rows.append(
            {
                "source": str(entry.path),
                "line": entry.line,
                "ref": ref,
                "hyp": result.text,
                "wer": words["rate"],
                "cer": chars["rate"],
                "error": result.error,
                "warnings": list(result.warnings),
                "level_dbfs": result.level_dbfs,
                "clipped_share": result.clipped_share,
                "words": words,
                "chars": chars,
                "alignment": alignment,
            }
        )
    words, chars = scores.total("word"), scores.total("char")
    summary = {
        "utterances": len(entries),
        "failed": sum(r.error is not None for r in results),
        "silent": sum(r.level_dbfs is not None and is_silent(r.level_dbfs) for r in results),
        "clipped": sum(
            r.clipped_share is not None and r.clipped_share > CLIPPED_SHARE for r in results
        ),
        "wer": words.rate,
        "cer": chars.rate,
        "words": words.to_dict(),
        "chars": chars.to_dict(),
    }
    return Evaluation(summary, rows, scores)
