"""``seqrec compare``: the paired bootstrap test of two report folders scored on the same
utterances (Bisani & Ney 2004)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from seqrec.report.bootstrap import PairedTest, paired_test
from seqrec.report.scoring import UNITS, Scores, score
from seqrec.report.tables import UNIT_NAMES


@dataclass
class Comparison:
    """Two systems' scores on the same references, and the paired test on one unit.

    Attributes:
        names: the two systems' names (A, B), their report folders.
        scores: A's and B's scores, utterances in the same order.
        unit: the unit the test ran on: "word" or "char".
        test: the paired bootstrap test of B against A on ``unit``.
        seed: the seed the resampling used.
    """

    names: tuple[str, str]
    scores: tuple[Scores, Scores]
    unit: str
    test: PairedTest
    seed: int

    def text(self) -> str:
        """The printed result of the comparison.

        Returns:
            Lines of text: each system's WER and CER, the utterance and reference counts, the
            difference B - A with its confidence interval, and the probability that B is
            better.
        """
        t = self.test
        label = "WER" if self.unit == "word" else "CER"
        lines = [
            f"{name}: {tag}  WER {100 * s.total('word').rate:.2f}%  "
            f"CER {100 * s.total('char').rate:.2f}%"
            for name, tag, s in zip(("A", "B"), self.names, self.scores, strict=True)
        ]
        lines += [
            f"utterances: {len(self.scores[0])}, reference {UNIT_NAMES[self.unit]}: "
            f"{self.scores[0].total(self.unit).reference_length}",
            f"{label} B - A: {100 * t.delta:+.2f}% absolute "
            f"({100 * t.level:g}% CI {100 * t.low:+.2f}% .. {100 * t.high:+.2f}%)",
            f"P(B better) = {t.p_b_better:.3f}  (ties {100 * t.ties:.1f}% of "
            f"{t.resamples} paired bootstrap resamples, seed {self.seed})",
        ]
        return "\n".join(lines)


def read_utterances(report_dir: str | Path) -> list[dict]:
    """The utterance rows of a ``seqrec evaluate --report`` folder.

    Args:
        report_dir: the report folder holding ``utterances.jsonl``.

    Returns:
        One dict per non-blank line, with its "source", "ref" and "hyp" as strings.

    Raises:
        ValueError: the file is missing or holds no rows, or a row is not JSON or lacks
            source, ref or hyp (naming the file and line).
    """
    path = Path(report_dir) / "utterances.jsonl"
    if not path.is_file():
        raise ValueError(f"{path}: not found (is {report_dir} a seqrec evaluate report?)")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append({key: str(row[key]) for key in ("source", "ref", "hyp")})
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:{number}: not an utterance row ({err})") from None
    if not rows:
        raise ValueError(f"{path}: no utterances")
    return rows


def pair_rows(
    rows_a: list[dict], rows_b: list[dict], names: tuple[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """Match two reports' rows by (source, ref), repeats in order of appearance.

    Args:
        rows_a: report A's rows (``read_utterances``).
        rows_b: report B's rows.
        names: the two reports' names, for the error message.

    Returns:
        The references, A's hypotheses and B's hypotheses, in A's order.

    Raises:
        ValueError: some rows are present in only one report (counting them, and naming the
            first of each).
    """
    queue: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows_b:
        queue[row["source"], row["ref"]].append(row["hyp"])
    refs, hyps_a, hyps_b, only_a = [], [], [], []
    for row in rows_a:
        waiting = queue.get((row["source"], row["ref"]))
        if not waiting:
            only_a.append(row)
            continue
        refs.append(row["ref"])
        hyps_a.append(row["hyp"])
        hyps_b.append(waiting.pop(0))
    only_b = [key for key, left in queue.items() for _ in left]
    if only_a or only_b:
        example_a = f"; first: {only_a[0]['source']} {only_a[0]['ref']!r}" if only_a else ""
        example_b = f"; first: {only_b[0][0]} {only_b[0][1]!r}" if only_b else ""
        raise ValueError(
            f"{names[0]} and {names[1]} were not scored on the same utterances "
            f"(matched by source and reference): {len(only_a)} only in {names[0]}{example_a}, "
            f"{len(only_b)} only in {names[1]}{example_b}"
        )
    return refs, hyps_a, hyps_b


def compare_reports(
    report_a: str | Path,
    report_b: str | Path,
    unit: str = "word",
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Comparison:
    """Rescore both reports' hypotheses and run the paired bootstrap test on one unit.

    Args:
        report_a: system A's report folder.
        report_b: system B's report folder, scored on the same utterances.
        unit: the unit to test: "word" or "char".
        resamples: how many paired bootstrap resamples to draw.
        seed: seeds the resampling.
        level: the confidence level of the interval of B - A, in (0, 1).

    Returns:
        Both systems' scores and the paired test of B against A.

    Raises:
        ValueError: ``unit`` is unknown, a report cannot be read, the reports hold different
            utterances, or ``resamples`` or ``level`` is out of range.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    names = (str(report_a), str(report_b))
    refs, hyps_a, hyps_b = pair_rows(read_utterances(report_a), read_utterances(report_b), names)
    scores_a, scores_b = score(refs, hyps_a), score(refs, hyps_b)
    test = paired_test(
        scores_a.errors(unit), scores_b.errors(unit), scores_a.lengths(unit), level, resamples, seed
    )
    return Comparison(names, (scores_a, scores_b), unit, test, seed)
