"""``seqrec evaluate --report`` with a trained yesno model: worst-utterance pictures."""

from __future__ import annotations

from seqrec.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_evaluate_report_draws_the_worst_utterances(yesno_model, yesno_manifests, tmp_path):
    out = tmp_path / "report"
    args = ["evaluate", str(yesno_model), str(yesno_manifests / "test.jsonl")]
    assert main([*args, "--report", str(out), "--worst", "2"]) == 0
    pictures = sorted(out.glob("worst_*.png"))
    assert [p.name[:9] for p in pictures] == ["worst_01_", "worst_02_"]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in [*pictures, out / "error_by_length.png"])
    report = (out / "report.md").read_text()
    assert all(f"![line {p.stem.split('line')[1]}]({p.name})" in report for p in pictures)
    assert "| words | 29 | 232 |" in report
