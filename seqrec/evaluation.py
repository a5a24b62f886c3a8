"""Scoring a model on a manifest: corpus WER/CER with S/D/I counts and per-utterance results."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqrec.data.manifest import ManifestEntry, read_manifest
from seqrec.recognizer import Recognizer, Transcription
from seqrec.report.scoring import Scores, score


@dataclass
class Evaluation:
    """Corpus summary, one row per manifest line, and the per-utterance counts behind them."""

    summary: dict[str, Any]
    utterances: list[dict[str, Any]]
    scores: Scores = field(repr=False)

    def write(self, report_dir: str | Path) -> Path:
        """Write ``summary.json`` and ``utterances.jsonl`` into ``report_dir``."""
        out = Path(report_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
        with (out / "utterances.jsonl").open("w", encoding="utf-8") as f:
            for row in self.utterances:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return out

    def table(self) -> str:
        """A plain-text summary table."""
        s = self.summary
        w, c = s["words"], s["chars"]
        lines = [
            f"{'unit':<6}{'rate %':>8}{'sub':>7}{'del':>7}{'ins':>7}{'ref':>8}",
            *(
                f"{name:<6}{100 * d['rate']:>8.2f}{d['substitutions']:>7}{d['deletions']:>7}"
                f"{d['insertions']:>7}{d['reference_length']:>8}"
                for name, d in (("word", w), ("char", c))
            ),
            f"utterances {s['utterances']} (unreadable: {s['failed']}), "
            f"real-time factor {s['real_time_factor']:.4f}",
        ]
        return "\n".join(lines)


def evaluate(
    recognizer: Recognizer, manifest: str | Path, batch_size: int = 16, progress: bool = True
) -> Evaluation:
    """Transcribe every line of ``manifest`` and score it against its normalised transcripts.

    An unreadable input is reported in its row and scored as an empty hypothesis.
    """
    entries = read_manifest(manifest)
    start = time.perf_counter()
    results = recognizer.transcribe(entries, batch_size=batch_size, progress=progress)
    decode_seconds = time.perf_counter() - start
    refs = [recognizer.normalizer(e.text) for e in entries]
    scored = score_transcripts(entries, refs, results)
    signal_seconds = sum(e.duration or 0.0 for e in entries)
    scored.summary = {
        "manifest": str(manifest),
        "decoding": recognizer.decoding.to_dict(),
        **scored.summary,
        "decode_seconds": decode_seconds,
        "signal_seconds": signal_seconds,
        "real_time_factor": decode_seconds / signal_seconds if signal_seconds else 0.0,
    }
    return scored


def score_transcripts(
    entries: Sequence[ManifestEntry], refs: Sequence[str], results: Sequence[Transcription]
) -> Evaluation:
    """Score ``results`` against the normalised references ``refs`` of ``entries``: the
    corpus counts and one row per entry (summary without timing or decoder settings)."""
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
                "words": words,
                "chars": chars,
                "alignment": alignment,
            }
        )
    words, chars = scores.total("word"), scores.total("char")
    summary = {
        "utterances": len(entries),
        "failed": sum(r.error is not None for r in results),
        "wer": words.rate,
        "cer": chars.rate,
        "words": words.to_dict(),
        "chars": chars.to_dict(),
    }
    return Evaluation(summary, rows, scores)
