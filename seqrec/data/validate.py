"""Checks every manifest line before training starts and reports the bad ones by line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from seqrec.data.manifest import ManifestEntry
from seqrec.data.signals import InkPreparation, SignalError, load_signal
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

log = logging.getLogger(__name__)
ON_BAD_INPUT = ("skip", "fail")


@dataclass(frozen=True)
class BadInput:
    """One unusable manifest line: where it is and why.

    Attributes:
        where: ``manifest:line`` (``ManifestEntry.where``).
        reason: why it cannot be used.
    """

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class BadInputError(ValueError):
    """Raised under ``on_bad_input="fail"``; lists every bad line."""


@dataclass(frozen=True)
class CheckedEntry:
    """A usable entry with its normalised text and its length in signal samples.

    Attributes:
        entry: the manifest entry.
        text: its transcript, normalised.
        num_samples: its signal's length: S audio samples, or P prepared ink points.
    """

    entry: ManifestEntry
    text: str
    num_samples: int


def ctc_min_frames(tokens: Sequence[int]) -> int:
    """Frames CTC needs to emit ``tokens``: one per token plus a blank between repeats.

    Args:
        tokens: the token ids (U,).

    Returns:
        The fewest output frames that can emit ``tokens``.
    """
    return len(tokens) + sum(a == b for a, b in zip(tokens, tokens[1:], strict=False))


def check_entries(
    entries: Sequence[ManifestEntry],
    sample_rate: int,
    tokenizer: CharTokenizer,
    normalizer: TextNormalizer,
    output_frames: Callable[[int], int],
    progress: bool = True,
    ink: InkPreparation | None = None,
) -> tuple[list[CheckedEntry], list[BadInput]]:
    """Split entries into usable ones and problems (missing, unreadable, empty, all-zero or NaN
    signal; characters outside the vocabulary; transcript longer than CTC can emit in the
    ``output_frames(num_samples)`` frames the model produces).

    Args:
        entries: the manifest's entries.
        sample_rate: the rate audio is read at.
        tokenizer: the vocabulary the normalised transcripts must fit.
        normalizer: applied to each transcript first.
        output_frames: the model's output frames for a signal of that many samples.
        progress: show a progress bar.
        ink: an ink model's per-item preparation; an ink's length is then its prepared length
            (after resampling). None: the model reads audio.

    Returns:
        The usable entries and the unusable lines, each in manifest order.
    """
    good, bad = [], []
    for entry in tqdm(entries, desc="checking inputs", unit="utt", disable=not progress):
        text = normalizer(entry.text)
        unknown = tokenizer.unknown(text)
        if unknown:
            bad.append(BadInput(entry.where, f"characters not in the vocabulary: {unknown!r}"))
            continue
        try:
            num_samples = len(load_signal(entry, sample_rate, ink))
        except SignalError as err:
            bad.append(BadInput(entry.where, str(err)))
            continue
        need, have = ctc_min_frames(tokenizer.encode(text)), output_frames(num_samples)
        if need > have:
            bad.append(
                BadInput(
                    entry.where,
                    f"{entry.path}: transcript needs {need} CTC frames but the "
                    f"{'ink' if entry.kind == 'ink' else 'signal'} gives {have}",
                )
            )
            continue
        good.append(CheckedEntry(entry, text, num_samples))
    return good, bad


def apply_policy(bad: Sequence[BadInput], policy: str, name: str, total: int) -> None:
    """Log or raise the problems found in manifest ``name`` according to ``policy``.

    Args:
        bad: the unusable lines; none: nothing happens.
        policy: "skip" (log a warning listing them) or "fail" (raise).
        name: the manifest, named in the message.
        total: how many lines it has, for the message.

    Raises:
        ValueError: for a ``policy`` not in ``ON_BAD_INPUT``.
        BadInputError: under "fail" when there are bad lines, listing every one.
    """
    if policy not in ON_BAD_INPUT:
        raise ValueError(f"on_bad_input must be one of {ON_BAD_INPUT}, got {policy!r}")
    if not bad:
        return
    listing = "\n".join(f"  {b}" for b in bad)
    if policy == "fail":
        raise BadInputError(f"{len(bad)} of {total} lines of {name} are unusable:\n{listing}")
    log.warning("skipping %d of %d lines of %s:\n%s", len(bad), total, name, listing)
