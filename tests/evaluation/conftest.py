"""Report folders written from hand-made references and hypotheses, without a model."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqrec.data.manifest import ManifestEntry
from seqrec.evaluation import Evaluation, score_transcripts
from seqrec.recognizer import Transcription
from seqrec.report.writer import write_report

REFS = ["a b c", "b c", "a b", "c", "a a", "c b a"]


def scored(refs: list[str], hyps: list[str], sources: list[str] | None = None) -> Evaluation:
    """An Evaluation of ``hyps`` against ``refs``, as ``seqrec evaluate`` builds it."""
    sources = sources or [f"wavs/u{i}.wav" for i in range(len(refs))]
    entries = [
        ManifestEntry(Path(s), r, line=i + 1)
        for i, (s, r) in enumerate(zip(sources, refs, strict=True))
    ]
    return score_transcripts(entries, refs, [Transcription(h) for h in hyps])


@pytest.fixture
def write_report_of(tmp_path: Path):
    """Write the report folder ``tmp_path/name`` of ``hyps`` against ``REFS`` (or ``refs``),
    with write_report ``options``."""

    def write(
        name: str,
        hyps: list[str],
        refs: list[str] = REFS,
        sources: list[str] | None = None,
        **options,
    ) -> Path:
        return write_report(scored(refs, hyps, sources), tmp_path / name, **options)

    return write
