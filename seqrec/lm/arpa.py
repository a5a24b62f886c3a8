"""ARPA back-off n-gram files: read, write, and score sentences with back-off.

An n-gram is a tuple of tokens; each order maps its n-grams to (log10 prob, log10 backoff).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
SPECIAL = (BOS, EOS, UNK)
_COUNT = re.compile(r"ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"\\(\d+)-grams:$")

Ngram = tuple[str, ...]


class LMError(ValueError):
    """A language model that cannot be used; the message names the file (and line)."""


@dataclass
class ArpaModel:
    """A back-off n-gram model: ``ngrams[n - 1]`` maps n-grams to (log10 p, log10 backoff).

    Attributes:
        ngrams: one dict per order, from 1: each n-gram (a tuple of n tokens) to its log10
            probability and log10 back-off weight (0.0 where the order has none).
    """

    ngrams: list[dict[Ngram, tuple[float, float]]] = field(default_factory=list)

    @property
    def order(self) -> int:
        """The highest n-gram order (the number of orders held)."""
        return len(self.ngrams)

    @property
    def vocabulary(self) -> list[str]:
        """The unigram tokens, in file order."""
        return [g[0] for g in self.ngrams[0]]

    def log10_prob(self, word: str, context: Sequence[str]) -> float:
        """log10 p(word | context) with back-off; an unknown word is scored as ``<unk>``.

        Args:
            word: the token scored.
            context: the tokens before it, oldest first; only the last ``order - 1`` are used.

        Returns:
            The log10 probability: the longest matching n-gram's, plus the back-off weights of
            the contexts backed off from.

        Raises:
            LMError: when ``word`` has no unigram and the model has no ``<unk>``.
        """
        asked = word
        if (word,) not in self.ngrams[0]:
            word = UNK
        ctx = tuple(context)[len(context) - self.order + 1 :] if self.order > 1 else ()
        total = 0.0
        while True:
            entry = self.ngrams[len(ctx)].get((*ctx, word))
            if entry is not None:
                return total + entry[0]
            if not ctx:
                raise LMError(f"'{asked}' has no unigram and the model has no {UNK}")
            backoff = self.ngrams[len(ctx) - 1].get(ctx)
            total += backoff[1] if backoff else 0.0
            ctx = ctx[1:]

    def sentence_log10(self, tokens: Sequence[str]) -> float:
        """log10 p(<s> tokens </s>): the sum of every token's and </s>'s log-probability.

        Args:
            tokens: the sentence's tokens, without ``<s>`` and ``</s>``.

        Returns:
            The sentence's log10 probability, each token scored given ``<s>`` and the tokens
            before it.

        Raises:
            LMError: for a token the model cannot score (see ``log10_prob``).
        """
        history, total = [BOS], 0.0
        for token in [*tokens, EOS]:
            total += self.log10_prob(token, history)
            history.append(token)
        return total

    def write(self, path: str | Path) -> Path:
        """Write the model as an ARPA text file (UTF-8, values to 7 decimals).

        Args:
            path: the file to write; missing parent folders are created.

        Returns:
            ``path`` as a Path.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            f.write("\\data\\\n")
            for n, grams in enumerate(self.ngrams, start=1):
                f.write(f"ngram {n}={len(grams)}\n")
            for n, grams in enumerate(self.ngrams, start=1):
                f.write(f"\n\\{n}-grams:\n")
                for gram, (logp, backoff) in grams.items():
                    line = f"{logp:.7f}\t{' '.join(gram)}"
                    if n < self.order:
                        line += f"\t{backoff:.7f}"
                    f.write(line + "\n")
            f.write("\n\\end\\\n")
        return path


def read_arpa(path: str | Path) -> ArpaModel:
    """Read an ARPA file.

    Args:
        path: the ARPA text file (UTF-8).

    Returns:
        The model, its n-grams in file order.

    Raises:
        LMError: for a missing file, or a malformed one, naming ``file:line``: no ``\\data\\``
            header or ``\\end\\``, bad counts, sections out of order or not holding the
            announced number of entries, bad or duplicate n-gram lines, a log10 probability
            above 0.
    """
    path = Path(path)
    if not path.is_file():
        raise LMError(f"{path}: language model not found")
    counts: list[int] = []
    model = ArpaModel()
    state, header_line = "preamble", 0
    with path.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            where = f"{path}:{number}"
            if not line:
                continue
            if state == "preamble":
                if line == "\\data\\":
                    state = "counts"
                continue
            if state == "end":
                raise LMError(f"{where}: text after \\end\\")
            if line == "\\end\\" or _SECTION.match(line):
                _check_section(model, counts, path, header_line, state)
                if line == "\\end\\":
                    state = "end"
                    continue
                n = int(_SECTION.match(line).group(1))
                if n != model.order + 1 or n > len(counts):
                    expected = (
                        f"\\{model.order + 1}-grams:" if model.order < len(counts) else "\\end\\"
                    )
                    raise LMError(f"{where}: unexpected section {line}, expected {expected}")
                model.ngrams.append({})
                state, header_line = "ngrams", number
                continue
            if state == "counts":
                match = _COUNT.match(line)
                if not match or int(match.group(1)) != len(counts) + 1:
                    raise LMError(
                        f"{where}: expected 'ngram {len(counts) + 1}=COUNT', got {line!r}"
                    )
                counts.append(int(match.group(2)))
                continue
            _add_entry(model, line, where)
    if state != "end":
        raise LMError(
            f"{path}: no \\data\\ header" if state == "preamble" else f"{path}: no \\end\\"
        )
    if not model.ngrams or model.order != len(counts):
        raise LMError(f"{path}: header announces {len(counts)} orders, file has {model.order}")
    return model


def _check_section(
    model: ArpaModel, counts: list[int], path: Path, header_line: int, state: str
) -> None:
    """The section just finished holds as many entries as the header announced."""
    if state == "counts":
        if not counts:
            raise LMError(f"{path}:{header_line}: \\data\\ announces no n-gram counts")
        return
    n = model.order
    if len(model.ngrams[-1]) != counts[n - 1]:
        raise LMError(
            f"{path}:{header_line}: \\{n}-grams: has {len(model.ngrams[-1])} entries, "
            f"header says {counts[n - 1]}"
        )


def _add_entry(model: ArpaModel, line: str, where: str) -> None:
    n = model.order
    fields = line.split()
    if len(fields) not in (n + 1, n + 2):
        raise LMError(f"{where}: a {n}-gram line needs log10 prob, {n} tokens, [backoff]: {line!r}")
    try:
        logp = float(fields[0])
        backoff = float(fields[n + 1]) if len(fields) == n + 2 else 0.0
    except ValueError:
        raise LMError(f"{where}: not a number in {line!r}") from None
    if not logp <= 0 or math.isnan(backoff):
        raise LMError(f"{where}: log10 probability must be a number <= 0: {line!r}")
    gram = tuple(fields[1 : n + 1])
    if gram in model.ngrams[-1]:
        raise LMError(f"{where}: duplicate {n}-gram {' '.join(gram)!r}")
    model.ngrams[-1][gram] = (logp, backoff)


def read_arpa_vocabulary(path: str | Path) -> list[str]:
    """The unigram tokens of an ARPA file, read without loading the higher orders.

    Args:
        path: the ARPA text file (UTF-8).

    Returns:
        The tokens of the ``\\1-grams:`` section, in file order.

    Raises:
        LMError: for a missing file, a file without a ``\\1-grams:`` section, or a 1-gram
            line without 2 or 3 fields.
    """
    path = Path(path)
    if not path.is_file():
        raise LMError(f"{path}: language model not found")
    words, inside = [], False
    with path.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            if line == "\\1-grams:":
                inside = True
            elif inside and line.startswith("\\"):
                return words
            elif inside and line:
                fields = line.split()
                if len(fields) not in (2, 3):
                    raise LMError(f"{path}:{number}: a 1-gram line needs 2 or 3 fields: {line!r}")
                words.append(fields[1])
    if not inside:
        raise LMError(f"{path}: no \\1-grams: section; not an ARPA file")
    return words
