"""What the synthetic corpora share: their splits, vocabulary, the check of named options
(accents, synthesizers) and the record that says a folder already holds a corpus built with the
same parameters (so a rerun reuses it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SPLITS = ("train", "valid", "test")
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PHRASE_WORDS = (
    "call", "me", "at", "yes", "no", "stop", "go", "left", "right", "up",
    "down", "on", "off", "open", "close", "the", "door", "lights", "turn", "now",
)  # fmt: skip
PARAMS_FILE = "synth_params.json"


def is_built(out_dir: Path, params: dict[str, Any]) -> bool:
    """Whether ``out_dir`` already holds all manifests made with ``params``.

    Args:
        out_dir: the corpus folder.
        params: the build parameters, as written to its ``PARAMS_FILE``.

    Returns:
        True when every split's manifest exists and ``PARAMS_FILE`` holds exactly ``params``;
        False otherwise, also for an unparsable ``PARAMS_FILE``.
    """
    params_path = out_dir / PARAMS_FILE
    if not params_path.is_file() or not all((out_dir / f"{s}.jsonl").is_file() for s in SPLITS):
        return False
    try:
        return json.loads(params_path.read_text(encoding="utf-8")) == params
    except json.JSONDecodeError:
        return False


def checked_choices(names: Sequence[str], choices: Sequence[str], what: str) -> list[str]:
    """``names``, each checked against ``choices``, once each and sorted.

    Args:
        names: the names asked for (one string alone is one name, not its letters).
        choices: the names allowed.
        what: what a name is, for the error ("English accent").

    Returns:
        The distinct names, sorted.

    Raises:
        ValueError: for a name not in ``choices``, or none at all.
    """
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in choices]
    if unknown or not names:
        problem = f"unknown {what} {unknown[0]!r}" if unknown else f"no {what} given"
        raise ValueError(f"{problem}; choose from {', '.join(choices)}")
    return sorted(set(names))


__all__ = ["DIGIT_WORDS", "PARAMS_FILE", "PHRASE_WORDS", "SPLITS", "checked_choices", "is_built"]
