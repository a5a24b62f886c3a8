"""Several trained models transcribing together, combined on whole transcripts.

Dimensions: T' output frames, V classes, N candidate transcripts.

Each member decodes its own log-probs (T', V) as the decoder settings say (with beam search,
its ``nbest`` best transcripts), and every candidate of every member is then scored by the
mean of the members' CTC log-likelihoods log p_k(y | x) (all alignments summed) plus the
LM's weighted log10 score and the word score per word; the best candidate wins. Members
meet on transcripts, not frames, so their front ends and frame rates may differ (point and
Bézier ink encodings, say); they must normalise transcripts alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch

from seqrec.decoding.beam import BeamSearchDecoder
from seqrec.decoding.config import ENSEMBLE_NBEST, DecoderConfig
from seqrec.decoding.rescoring import LMScorer, ctc_log_likelihoods, rerank
from seqrec.decoding.results import Emission, Transcription
from seqrec.recognizer import Input, Recognizer
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer


class Ensemble:
    """Recognizers that transcribe as one: ``transcribe``, ``emissions``/``decode`` and
    ``set_decoding`` as on a Recognizer; ``nbest`` candidates per member and input.

    Args:
        members: two or more recognizers that normalise transcripts alike.
        decoding: the decoder every member uses (default: greedy); its LM, LM weight and
            word score also rank the candidates.
        nbest: candidates each member proposes per input (beam search).

    Raises:
        ValueError: for fewer than two members, members that normalise transcripts
            differently, ``nbest`` below one, or a ``decoding`` that ``set_decoding`` refuses.

    Example:
        >>> members = [Recognizer.load(m) for m in ("exp/s0", "exp/s1")]  # doctest: +SKIP
        >>> ens = Ensemble(members, DecoderConfig(kind="beam"), nbest=4)  # doctest: +SKIP
    """

    def __init__(
        self,
        members: Sequence[Recognizer],
        decoding: DecoderConfig | None = None,
        nbest: int = ENSEMBLE_NBEST,
    ) -> None:
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 models, got {len(members)}")
        norms = {repr(m.normalizer.to_dict()) for m in members}
        if len(norms) > 1:
            raise ValueError(f"the models normalise transcripts differently: {sorted(norms)}")
        if nbest < 1:
            raise ValueError(f"nbest must be >= 1, got {nbest}")
        self.members = list(members)
        self.nbest = nbest
        self.set_decoding(decoding or DecoderConfig())

    @classmethod
    def load(
        cls,
        models: Sequence[str | Path],
        device: str = "cpu",
        decoding: DecoderConfig | None = None,
        nbest: int = ENSEMBLE_NBEST,
    ) -> Ensemble:
        """Load each checkpoint (or folder) as ``Recognizer.load`` does.

        Args:
            models: two or more checkpoints or training folders with the same text settings.
            device: where the models run.
            decoding: the decoder every member uses (default: greedy).
            nbest: candidates each member proposes per input (beam search).

        Returns:
            An ``Ensemble`` that transcribes as one recognizer, text only.

        Example:
            >>> ens = Ensemble.load(["exp/s0", "exp/s1", "exp/s2"])  # doctest: +SKIP
            >>> ens.transcribe(["a.wav"])[0].text  # doctest: +SKIP
            'yes no yes yes'
        """
        return cls([Recognizer.load(m, device) for m in models], decoding, nbest)

    @property
    def aligner(self) -> Recognizer:
        """The member whose alignments a report draws: the first (the ensemble's candidates
        come from several models, with no one alignment)."""
        return self.members[0]

    @property
    def normalizer(self) -> TextNormalizer:
        """The members' text normaliser (they all normalise alike; ``__init__`` checks)."""
        return self.members[0].normalizer

    @property
    def tokenizer(self) -> CharTokenizer:
        """The members' characters; ValueError when they write different ones."""
        tokenizers = {tuple(m.tokenizer.characters) for m in self.members}
        if len(tokenizers) > 1:
            raise ValueError("the ensemble's members write different characters")
        return self.members[0].tokenizer

    def set_decoding(self, decoding: DecoderConfig) -> None:
        """Decode from now on as ``decoding`` says: every member proposes candidates with it,
        and its LM, LM weight and word score rank them.

        Args:
            decoding: the decoder settings; with beam search each member keeps ``nbest``
                transcripts whatever ``decoding.nbest`` says.

        Returns:
            None.

        Raises:
            ValueError: when ``decoding`` has a rescoring LM (the ensemble ranks candidates
                itself), or a member cannot use its lexicon or LM (``LMError``).

        Example:
            >>> ens.set_decoding(DecoderConfig(kind="beam", lm="chars.arpa"))  # doctest: +SKIP
        """
        if decoding.rescore_lm is not None:
            raise ValueError("an ensemble ranks candidates itself: give it no rescoring LM")
        member_decoding = (
            replace(decoding, nbest=self.nbest) if decoding.kind == "beam" else decoding
        )
        for member in self.members:
            member.set_decoding(member_decoding)
        self.decoding = decoding
        self._lm = None
        if decoding.lm is not None:
            unit = "word" if decoding.lexicon is not None else "char"
            self._lm = LMScorer(decoding.lm, unit)

    def transcribe(
        self,
        inputs: Sequence[Input],
        *,
        batch_size: int = 16,
        progress: bool = False,
        timestamps: bool = False,
    ) -> list[Transcription]:
        """Transcriptions of ``inputs``, one per input, text only.

        Args:
            inputs: as for ``Recognizer.transcribe``.
            batch_size: inputs each member runs together.
            progress: show a progress bar per member.
            timestamps: refused (ValueError): candidates from several models have no one
                alignment.

        Returns:
            A ``Transcription`` per input: the candidate of highest mean CTC log-likelihood
            over the members (plus the LM when decoding has one), or the error of a member
            that could not read the input.

        Example:
            >>> ens = Ensemble([Recognizer.load(m) for m in ("exp/s0", "exp/s1")])  # doctest: +SKIP
            >>> [r.text for r in ens.transcribe(["a.wav", "b.wav"])]  # doctest: +SKIP
            ['three one four', 'yes no']
        """
        if timestamps:
            raise ValueError("an ensemble gives text only, no timestamps")
        return self.decode(self.emissions(inputs, batch_size, progress=progress), batch_size)

    def emissions(
        self, inputs: Sequence[Input], batch_size: int = 16, progress: bool = False
    ) -> list[list[Emission]]:
        """Per input, each member's log-probs (T', V), to ``decode`` later (and again).

        Args:
            inputs: as for ``Recognizer.transcribe``.
            batch_size: inputs each member runs together.
            progress: show a progress bar per member.

        Returns:
            Per input, in order, a list of ``Emission`` objects, one per member in member
            order, each with log-probs (T', V) or the error that stopped that member.

        Example:
            >>> emissions = ens.emissions(["a.wav", "b.wav"])  # doctest: +SKIP
            >>> texts = [t.text for t in ens.decode(emissions)]  # doctest: +SKIP
        """
        per_member = [m.emissions(inputs, batch_size, progress=progress) for m in self.members]
        return [list(row) for row in zip(*per_member, strict=True)]

    def decode(
        self, emissions: Sequence[Sequence[Emission]], batch_size: int = 16
    ) -> list[Transcription]:
        """The best candidate for each input's member emissions; an input any member could not
        read keeps that member's error. Inputs are decoded one at a time (candidates and
        rescoring are per input): ``batch_size`` is taken for ``Recognizer.decode``'s
        signature, which ``tune_lm`` calls.

        Args:
            emissions: what ``emissions`` returned: per input, one ``Emission`` per member,
                each with log-probs (T', V) or none.
            batch_size: unused; taken for ``Recognizer.decode``'s signature.

        Returns:
            A ``Transcription`` per input, in order: the text of the best candidate, or the
            error and source of the first member without log-probs.

        Example:
            >>> emissions = ens.emissions(["a.wav"])  # doctest: +SKIP
            >>> ens.decode(emissions)[0].text  # doctest: +SKIP
            'yes no yes yes'
        """
        results = []
        for row in emissions:
            failed = next((e for e in row if e.log_probs is None), None)
            if failed is not None:
                results.append(Transcription("", failed.error, failed.source))
                continue
            results.append(Transcription(self._best(row), source=row[0].source))
        return results

    def _best(self, row: Sequence[Emission]) -> str:
        """The candidate of highest combined score among the members' proposals."""
        proposals: dict[str, None] = {}
        for member, emission in zip(self.members, row, strict=True):
            for text in _candidates(member, emission.log_probs):
                proposals[text] = None
        texts = list(proposals)
        if len(texts) == 1:
            return texts[0]
        scores = torch.stack(
            [
                ctc_log_likelihoods(e.log_probs, texts, m.tokenizer)
                for m, e in zip(self.members, row, strict=True)
            ]
        ).mean(0)
        if self._lm is None:
            return texts[int(torch.argmax(scores))]
        d = self.decoding
        lm_scores = [self._lm(t) for t in texts]
        candidates = list(zip(texts, scores.tolist(), strict=True))
        return rerank(candidates, lm_scores, d.lm_weight, d.word_score)[0][0]


def _candidates(member: Recognizer, log_probs: torch.Tensor) -> list[str]:
    """The member's transcripts of log-probs (T', V): its beam's n-best, or the greedy one."""
    lengths = torch.tensor([len(log_probs)])
    if isinstance(member.decoder, BeamSearchDecoder):
        return [text for text, _ in member.decoder.candidates(log_probs[None], lengths)[0]]
    return member.decoder(log_probs[None], lengths)
