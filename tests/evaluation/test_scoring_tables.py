"""Per-utterance scoring, the sclite-style table and the most frequent errors, exactly, on a
hand-made set."""

from __future__ import annotations

from pathlib import Path

import jiwer
import numpy as np
import pytest

from seqrec.data.manifest import ManifestEntry
from seqrec.evaluation import score_transcripts
from seqrec.metrics import char_errors, word_errors
from seqrec.recognizer import Transcription
from seqrec.report.scoring import score
from seqrec.report.tables import confusions, sclite_table

REFS = ["a b c", "b c", "a b", "c", "a a"]
HYPS = ["a x c", "x z", "a b", "c d", "a"]


def test_counts_per_utterance_and_in_total_match_the_metrics():
    scores = score(REFS, HYPS)
    # substitutions, deletions, insertions, hits
    assert scores.counts["word"].tolist() == [
        [1, 0, 0, 2],
        [2, 0, 0, 0],
        [0, 0, 0, 2],
        [0, 0, 1, 1],
        [0, 1, 0, 1],
    ]
    assert scores.errors("word").tolist() == [1, 2, 0, 1, 1]
    assert scores.lengths("char").tolist() == [5, 3, 3, 1, 3]
    assert scores.total("word") == word_errors(REFS, HYPS)
    assert scores.total("char") == char_errors(REFS, HYPS)
    for unit, errors in (("word", word_errors), ("char", char_errors)):
        expected = [errors([r], [h]).to_dict() for r, h in zip(REFS, HYPS, strict=True)]
        assert scores.utterance_dicts(unit) == expected
    assert scores.alignments["word"][1] == [
        {"type": "substitute", "ref": ["b", "c"], "hyp": ["x", "z"]}
    ]


def test_counts_and_alignments_equal_jiwers_on_random_text_with_stray_spaces():
    rng = np.random.default_rng(0)
    pieces = ["a", "b", "ab", "ba", " ", "  ", "\t"]
    refs = ["".join(rng.choice(pieces, size=rng.integers(1, 8))) for _ in range(300)]
    hyps = ["".join(rng.choice(pieces, size=rng.integers(0, 8))) for _ in range(300)]
    scores = score(refs, hyps)
    kept = [i for i, r in enumerate(refs) if r.strip()]
    for unit, process, errors in (
        ("word", jiwer.process_words, word_errors),
        ("char", jiwer.process_characters, char_errors),
    ):
        assert scores.total(unit) == errors(refs, hyps)
        out = process([refs[i] for i in kept], [hyps[i] for i in kept])
        for i, ref, hyp, alignment in zip(
            kept, out.references, out.hypotheses, out.alignments, strict=True
        ):
            expected = [
                {"type": a.type, "ref": ref[a.ref_start_idx : a.ref_end_idx],
                 "hyp": hyp[a.hyp_start_idx : a.hyp_end_idx]}
                for a in alignment
            ]  # fmt: skip
            assert scores.alignments[unit][i] == expected


def test_empty_references_count_their_hypothesis_as_insertions():
    scores = score(["", "a", ""], ["x y", "a", ""])
    assert scores.counts["word"].tolist() == [[0, 0, 2, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert scores.counts["char"][0].tolist() == [0, 0, 3, 0]
    assert scores.alignments["word"][0] == [{"type": "insert", "ref": [], "hyp": ["x", "y"]}]
    assert scores.total("char") == char_errors(["", "a", ""], ["x y", "a", ""])
    assert np.array_equal(scores.lengths("word"), [0, 1, 0])


def test_sclite_table_numbers():
    assert sclite_table(score(REFS, HYPS)).splitlines()[2:] == [
        "| words | 5 | 10 | 60.00 | 30.00 | 10.00 | 10.00 | 50.00 | 80.00 |",
        "| characters | 5 | 15 | 66.67 | 20.00 | 13.33 | 13.33 | 46.67 | 80.00 |",
    ]


def test_most_frequent_errors_sorted_by_count_then_token():
    scores = score(REFS, HYPS)
    words = confusions(scores.alignments["word"])
    assert words.substitutions == [(("b", "x"), 2), (("c", "z"), 1)]
    assert words.deletions == [("a", 1)]
    assert words.insertions == [("d", 1)]
    chars = confusions(scores.alignments["char"])
    assert chars.substitutions == [(("b", "x"), 2), (("c", "z"), 1)]
    assert chars.deletions == [(" ", 1), ("a", 1)]
    assert chars.insertions == [(" ", 1), ("d", 1)]
    assert confusions(scores.alignments["word"], top=1).substitutions == [(("b", "x"), 2)]


@pytest.mark.parametrize(("signal_seconds", "note"), [(4.0, "real-time factor 0.5000"), (0.0, "")])
def test_the_table_gives_a_real_time_factor_only_for_inputs_with_durations(signal_seconds, note):
    entries = [ManifestEntry(Path("u.wav"), "a b", line=1)]
    evaluation = score_transcripts(entries, ["a b"], [Transcription("a b")])
    assert evaluation.table().endswith("input gain +0 dB, decoding time not measured")
    factor = 2.0 / signal_seconds if signal_seconds else None  # as evaluate() computes it
    evaluation.summary |= {"decode_seconds": 2.0, "real_time_factor": factor}
    last_line = evaluation.table().splitlines()[-1]
    assert last_line.endswith(f"decoding time 2.0 s{', ' + note if note else ''}")
