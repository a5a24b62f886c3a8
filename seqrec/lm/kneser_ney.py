"""Interpolated modified Kneser-Ney n-gram estimation (Chen & Goodman 1998), as KenLM's lmplz.

Highest-order n-grams and n-grams starting with ``<s>`` keep their counts; every other
lower-order n-gram counts its distinct left extensions (continuation counts). Each order has
three discounts D1, D2, D3+ from its count-of-counts, and interpolates with the order below;
unigrams interpolate with the uniform distribution over the vocabulary (``<unk>`` included).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from seqrec.lm.arpa import BOS, EOS, UNK, ArpaModel, LMError, Ngram

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)  # KenLM's --discount_fallback
_LOG10_ZERO = -99.0  # ARPA's log10 probability of <s>, which is never predicted


def _check_discounts(discounts: Sequence[Sequence[float]], order: int) -> None:
    if len(discounts) != order or any(len(triple) != 3 for triple in discounts):
        raise LMError(f"discounts must be {order} triples (D1, D2, D3+), one per order")
    for n, triple in enumerate(discounts, start=1):
        if not all(0 <= d <= k for k, d in enumerate(triple, start=1)):
            raise LMError(f"order {n} discounts {tuple(triple)} outside 0 <= Dk <= k")


def estimate_discounts(count_of_counts: Sequence[int]) -> tuple[float, float, float] | None:
    """D1, D2, D3+ of one order from its count-of-counts (Chen & Goodman's estimates).

    Args:
        count_of_counts: n1..n4: how many n-grams occur once, twice, three and four times.

    Returns:
        The discounts D1, D2, D3+, or None where a count is 0 or a discount Dk falls outside
        (0, k].
    """
    n1, n2, n3, n4 = count_of_counts
    if min(n1, n2, n3, n4) == 0:
        return None
    y = n1 / (n1 + 2 * n2)
    discounts = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    if not all(0 < d <= k for k, d in enumerate(discounts, start=1)):
        return None
    return discounts


@dataclass
class _Context:
    """Sum of the adjusted counts following a context and its back-off weight gamma."""

    total: int
    gamma: float


class KneserNey:
    """An estimated model: adjusted counts, discounts and context statistics per order.

    Build one with ``fit`` or ``fit_counts``; the constructor takes their results.

    Args:
        counts: per order, from 1: each n-gram's adjusted count (raw at the highest order and
            after ``<s>``, else its continuation count).
        discounts: per order, from 1: its discounts D1, D2, D3+.
        fallback: per order, from 1: whether its discounts are ``FALLBACK_DISCOUNTS`` because
            its count-of-counts gave no valid estimate.
    """

    def __init__(
        self,
        counts: list[dict[Ngram, int]],
        discounts: list[tuple[float, float, float]],
        fallback: list[bool],
    ) -> None:
        self.counts = counts
        self.discounts = discounts
        self.fallback = fallback
        self.vocabulary = sorted({g[0] for g in counts[0] if g[0] != BOS} | {UNK})
        self.contexts = [self._context_stats(n) for n in range(1, self.order + 1)]

    @property
    def order(self) -> int:
        """The highest n-gram order."""
        return len(self.counts)

    @classmethod
    def fit(
        cls,
        sentences: Iterable[Sequence[str]],
        order: int,
        discounts: Sequence[tuple[float, float, float]] | None = None,
    ) -> KneserNey:
        """Estimate from tokenised sentences.

        Args:
            sentences: token sequences, without ``<s>``/``</s>``; empty ones are skipped.
            order: the highest n-gram order, at least 1.
            discounts: one (D1, D2, D3+) triple per order, lowest first, overriding the
                estimates; None: estimate them, and an order whose count-of-counts give no
                valid discounts falls back to ``FALLBACK_DISCOUNTS`` and is flagged in
                ``fallback``.

        Returns:
            The estimated model.

        Raises:
            LMError: for an order below 1, or when every sentence is empty.
        """
        return cls.fit_counts(((sentence, 1) for sentence in sentences), order, discounts)

    @classmethod
    def fit_counts(
        cls,
        sentence_counts: Iterable[tuple[Sequence[str], int]],
        order: int,
        discounts: Sequence[tuple[float, float, float]] | None = None,
    ) -> KneserNey:
        """As ``fit``, from (sentence, how many times it occurs) pairs.

        Gives the same model as ``fit`` over the repeated sentences, in the time of one pass
        over the distinct ones.

        Args:
            sentence_counts: (tokens without ``<s>``/``</s>``, count) pairs; pairs with no
                tokens or a count below 1 are skipped.
            order: the highest n-gram order, at least 1.
            discounts: one (D1, D2, D3+) triple per order, lowest first, overriding the
                estimates; None: estimate them (see ``fit``).

        Returns:
            The estimated model.

        Raises:
            LMError: for an order below 1, ``discounts`` that are not one triple per order
                with 0 <= Dk <= k, or when no pair is left to count.
        """
        if order < 1:
            raise LMError(f"order must be >= 1, got {order}")
        if discounts is not None:
            _check_discounts(discounts, order)
        raw: list[Counter[Ngram]] = [Counter() for _ in range(order)]
        for sentence, times in sentence_counts:
            if not sentence or times <= 0:
                continue
            padded = (BOS, *sentence, EOS)
            for n in range(1, order + 1):
                grams = raw[n - 1]
                for i in range(len(padded) - n + 1):
                    grams[padded[i : i + n]] += times
        if not raw[0]:
            raise LMError("no training text: every sentence is empty")
        counts = [_adjusted(raw, n) for n in range(1, order + 1)]
        chosen, fallback = [], []
        for n in range(1, order + 1):
            estimate = estimate_discounts(_count_of_counts(counts[n - 1]))
            if discounts is not None:
                chosen.append(tuple(discounts[n - 1]))
            else:
                chosen.append(estimate or FALLBACK_DISCOUNTS)
            fallback.append(discounts is None and estimate is None)
        return cls(counts, chosen, fallback)

    def _discount(self, n: int, count: int) -> float:
        return self.discounts[n - 1][min(count, 3) - 1] if count > 0 else 0.0

    def _context_stats(self, n: int) -> dict[Ngram, _Context]:
        """Per context of order ``n`` (its first n-1 tokens): count total and gamma."""
        totals: dict[Ngram, int] = defaultdict(int)
        mass: dict[Ngram, float] = defaultdict(float)
        for gram, count in self.counts[n - 1].items():
            if gram == (BOS,):
                continue
            totals[gram[:-1]] += count
            mass[gram[:-1]] += self._discount(n, count)
        return {h: _Context(totals[h], mass[h] / totals[h]) for h in totals}

    def prob(self, word: str, context: Sequence[str]) -> float:
        """p(word | context) computed directly by the interpolation recursion (no back-off table).

        Args:
            word: the token scored; one outside the vocabulary is scored as ``<unk>``.
            context: the tokens before it, oldest first; only the last ``order - 1`` are used.

        Returns:
            The interpolated probability; 0.0 for ``<s>``, which is never predicted.
        """
        if word == BOS:
            return 0.0
        if word not in self.vocabulary:
            word = UNK
        ctx = tuple(context)[max(0, len(context) - self.order + 1) :]
        n = len(ctx) + 1
        lower = 1 / len(self.vocabulary) if n == 1 else self.prob(word, ctx[1:])
        if ctx not in self.contexts[n - 1]:
            return lower
        return self._interpolated((*ctx, word), lower)

    def _interpolated(self, gram: Ngram, lower: float) -> float:
        """p(last token | the others) of an n-gram whose context was seen, given the
        probability ``lower`` of the order below: discounted count plus gamma times lower."""
        n = len(gram)
        stats = self.contexts[n - 1][gram[:-1]]
        count = self.counts[n - 1].get(gram, 0)
        return (count - self._discount(n, count)) / stats.total + stats.gamma * lower

    def to_arpa(self) -> ArpaModel:
        """The equivalent back-off model.

        Returns:
            An ARPA model holding the interpolated probabilities of the seen n-grams (plus
            ``<unk>`` among the unigrams; ``<s>`` at log10 -99), and each context's gamma as
            its back-off weight.
        """
        model = ArpaModel()
        probs: dict[Ngram, float] = {}
        for n in range(1, self.order + 1):
            grams = sorted(self.counts[n - 1])
            if n == 1 and (UNK,) not in self.counts[0]:
                grams.append((UNK,))
            table = {}
            for gram in grams:
                if gram == (BOS,):
                    logp = _LOG10_ZERO
                else:
                    lower = probs[gram[1:]] if n > 1 else 1 / len(self.vocabulary)
                    p = self._interpolated(gram, lower)
                    probs[gram] = p
                    logp = math.log10(p)
                following = self.contexts[n].get(gram) if n < self.order else None
                table[gram] = (logp, math.log10(following.gamma) if following else 0.0)
            model.ngrams.append(table)
        return model


def _adjusted(raw: list[Counter[Ngram]], n: int) -> dict[Ngram, int]:
    """Counts of order ``n``: raw at the highest order and after <s>, else continuation."""
    if n == len(raw):
        return dict(raw[n - 1])
    continuation: Counter[Ngram] = Counter(g[1:] for g in raw[n])
    return {g: c if g[0] == BOS else continuation[g] for g, c in raw[n - 1].items()}


def _count_of_counts(counts: dict[Ngram, int]) -> list[int]:
    """How many n-grams have adjusted count 1, 2, 3 and 4 (the unigram <s> left out)."""
    histogram = Counter(c for g, c in counts.items() if c <= 4 and g != (BOS,))
    return [histogram[k] for k in range(1, 5)]
