"""Scoring a model on a manifest: corpus WER/CER with S/D/I counts and per-utterance results."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer

from seqrec.data.manifest import read_manifest
from seqrec.metrics import char_errors, word_errors
from seqrec.recognizer import Recognizer


@dataclass
class Evaluation:
    """Corpus summary and one row per manifest line."""

    summary: dict[str, Any]
    utterances: list[dict[str, Any]]

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


def _alignment(ref: str, hyp: str) -> list[dict[str, Any]]:
    """Word alignment chunks (equal/substitute/delete/insert with word spans)."""
    if not ref.strip():
        return [{"type": "insert", "ref": [], "hyp": hyp.split()}] if hyp.strip() else []
    out = jiwer.process_words(ref, hyp)
    r, h = out.references[0], out.hypotheses[0]
    return [
        {
            "type": a.type,
            "ref": r[a.ref_start_idx : a.ref_end_idx],
            "hyp": h[a.hyp_start_idx : a.hyp_end_idx],
        }
        for a in out.alignments[0]
    ]


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
    hyps = [r.text for r in results]
    rows = []
    signal_seconds = 0.0
    for entry, ref, result in zip(entries, refs, results, strict=True):
        if entry.duration:
            signal_seconds += entry.duration
        rows.append(
            {
                "source": str(entry.path),
                "line": entry.line,
                "ref": ref,
                "hyp": result.text,
                "wer": word_errors([ref], [result.text]).rate,
                "cer": char_errors([ref], [result.text]).rate,
                "error": result.error,
                "alignment": _alignment(ref, result.text),
            }
        )
    summary = {
        "manifest": str(manifest),
        "decoding": recognizer.decoding.to_dict(),
        "utterances": len(entries),
        "failed": sum(r.error is not None for r in results),
        "wer": word_errors(refs, hyps).rate,
        "cer": char_errors(refs, hyps).rate,
        "words": word_errors(refs, hyps).to_dict(),
        "chars": char_errors(refs, hyps).to_dict(),
        "decode_seconds": decode_seconds,
        "signal_seconds": signal_seconds,
        "real_time_factor": decode_seconds / signal_seconds if signal_seconds else 0.0,
    }
    return Evaluation(summary, rows)
