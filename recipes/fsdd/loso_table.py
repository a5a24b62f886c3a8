"""Leave-one-speaker-out summary: one row per held-out speaker, and the mean.

Usage::

    python recipes/fsdd/loso_table.py EXP_DIR [EXP_DIR ...]

Each ``EXP_DIR/SPEAKER`` is one fold trained by ``run.sh --loso``; its ``report`` (greedy) and
``report_lm`` (lexicon beam search) folders hold the ``summary.json`` of ``seqrec evaluate``.
Prints a Markdown table of test WER per held-out speaker, greedy and beam, with the mean over
the folds, for each EXP_DIR (a line per setting when several are compared).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPORTS = {"greedy": "report", "beam": "report_lm"}


def fold_wers(exp_dir: Path) -> dict[str, dict[str, float | None]]:
    """Test WER (%) of each fold under ``exp_dir``, keyed speaker, then decoder (None: not run)."""
    folds: dict[str, dict[str, float | None]] = {}
    for fold in sorted(p for p in exp_dir.iterdir() if p.is_dir()):
        row: dict[str, float | None] = {}
        for decoder, report in REPORTS.items():
            summary = fold / report / "summary.json"
            row[decoder] = (
                100 * json.loads(summary.read_text())["wer"] if summary.is_file() else None
            )
        if any(v is not None for v in row.values()):
            folds[fold.name] = row
    return folds


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _mean(values: list[float | None]) -> float | None:
    return None if not values or None in values else sum(values) / len(values)  # type: ignore[arg-type]


def table(exp_dirs: list[Path]) -> str:
    """The Markdown table: a row per setting (EXP_DIR), greedy / beam WER per held-out speaker."""
    folds = {d: fold_wers(d) for d in exp_dirs}
    speakers = sorted({s for f in folds.values() for s in f})
    if not speakers:
        raise ValueError(f"no fold reports under {', '.join(map(str, exp_dirs))}")
    head = ["setting", *speakers, "mean"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for exp_dir, by_speaker in folds.items():
        cells = [f"`{exp_dir}`"]
        for speaker in speakers:
            row = by_speaker.get(speaker, {})
            cells.append(f"{_cell(row.get('greedy'))} / {_cell(row.get('beam'))}")
        means = [_mean([by_speaker.get(s, {}).get(d) for s in speakers]) for d in REPORTS]
        cells.append(" / ".join(_cell(m) for m in means))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nCells: test WER greedy / lexicon beam search.\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loso_table.py", description=__doc__.split("\n")[0])
    parser.add_argument("exp_dirs", type=Path, nargs="+", help="folders of fold folders")
    args = parser.parse_args(argv)
    try:
        print(table(args.exp_dirs), end="")
    except (ValueError, OSError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
