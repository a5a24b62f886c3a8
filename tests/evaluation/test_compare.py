"""``seqrec compare`` on report folders the tests write: the paired test and its errors."""

from __future__ import annotations

import pytest

from seqrec.cli import main
from seqrec.report.compare import compare_reports

# Against conftest.REFS: A makes one word error more than B on every utterance.
A = ["a x c", "x z", "a", "c d", "a", "c x x"]  # 1 2 1 1 1 2 word errors
B = ["a b c", "b z", "a b", "c", "a a", "c b x"]  # 0 1 0 0 0 1


def test_cli_compare_prints_rates_difference_and_probability(write_report_of, capsys):
    a = write_report_of("a", A, plots=False)
    b = write_report_of("b", B, plots=False)
    assert main(["compare", str(a), str(b)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"A: {a}  WER 61.54%  CER ")
    assert lines[1].startswith(f"B: {b}  WER 15.38%  CER ")
    assert lines[2] == "utterances: 6, reference words: 13"
    assert lines[3].startswith("WER B - A: -46.15% absolute (95% CI ")
    assert lines[4].startswith("P(B better) = 1.000  (ties 0.0% of 1000 paired bootstrap")
    assert main(["compare", str(b), str(a), "--unit", "char", "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "CER B - A: +" in out and "P(B better) = 0.000  (ties 0.0% of 200" in out


def test_identical_reports_tie(write_report_of):
    a = write_report_of("a", A, plots=False)
    result = compare_reports(a, a, unit="char")
    assert (result.test.p_b_better, result.test.ties, result.test.delta) == (0.0, 1.0, 0.0)


def test_rows_are_matched_by_source_and_reference_in_any_order(write_report_of, tmp_path):
    a = write_report_of("a", A, plots=False)
    b = write_report_of("b", B, plots=False)
    rows = (b / "utterances.jsonl").read_text().splitlines()
    (b / "utterances.jsonl").write_text("\n".join(reversed(rows)) + "\n")
    assert compare_reports(a, b).test.p_b_better == 1.0


def test_reports_of_different_manifests_are_an_error(write_report_of, tmp_path):
    a = write_report_of("a", A, plots=False)
    other = write_report_of("other", B[:5], refs=["a b c", "b c", "a b", "c", "a b"])
    with pytest.raises(SystemExit, match=r"not scored on the same utterances .*: 2 only in .*"):
        main(["compare", str(a), str(other)])
    moved = [f"elsewhere/u{i}.wav" for i in range(6)]
    elsewhere = write_report_of("elsewhere", B, sources=moved, plots=False)
    with pytest.raises(SystemExit, match=r"6 only in .*a; first: wavs/u0.wav 'a b c', 6 only"):
        main(["compare", str(a), str(elsewhere)])
    with pytest.raises(SystemExit, match=r"missing/utterances.jsonl: not found"):
        main(["compare", str(a), str(tmp_path / "missing")])
