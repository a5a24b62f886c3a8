"""CTC beam search with an optional lexicon and ARPA n-gram LM (flashlight, via torchaudio).

Dimensions: B batch, T frames, V classes (blank at 0, then the tokenizer's characters).

The decoder's tokens are seqrec's classes with the space written ``▁`` (U+2581, the word delimiter
and flashlight's silence token). Without a lexicon every token is an LM "word", so the LM must
be a character LM (``seqrec lm build --unit char``); with a lexicon the LM scores words and
each word is spelled with the tokenizer's characters followed by the delimiter, so a held
last letter stays inside its word; the end of an utterance counts as a delimiter.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torchaudio.models.decoder import ctc_decoder

from seqrec.decoding.config import DecoderConfig
from seqrec.decoding.greedy import penalise_blank
from seqrec.lm.arpa import SPECIAL, LMError, read_arpa, read_arpa_vocabulary
from seqrec.lm.corpus import WORD_DELIMITER
from seqrec.text.tokenizer import CharTokenizer

BLANK_TOKEN = "<blank>"
_NO_SPACE = -1e9  # log-prob of the delimiter column added for tokenizers without a space


class Candidate(NamedTuple):
    """A transcript the beam proposes and its score (natural log: path log-prob plus the
    weighted LM and word scores).

    Attributes:
        text: the transcript, words separated by single spaces.
        score: its score; higher is better.
    """

    text: str
    score: float


class BeamSearchDecoder:
    """Log-probs (B, T, V) and lengths (B,) -> one transcript per utterance, by beam search.

    Args:
        tokenizer: the model's tokenizer; its space becomes the word delimiter ``▁``, which
            it must not contain.
        lexicon: the words decoding may produce (None: any character sequence).
        lm: an ARPA file, scored in log10: a character LM without a lexicon, a word LM with
            one; None: no LM.
        lm_weight: the weight of the LM's score.
        word_score: a bonus added per word (lexicon decoding only).
        beam_size: hypotheses that survive each frame.
        beam_threshold: only hypotheses within this of the best survive.
        nbest: candidates kept per utterance (``candidates``).
        blank_penalty: subtracted from the blank's log-prob in every frame before the
            search (``penalise_blank``).

    Raises:
        ValueError: when the tokenizer contains ``▁``, ``word_score`` is given without a
            lexicon, or a lexicon entry is not one word of the tokenizer's characters.
        LMError: when the LM cannot be read, is of the wrong unit for the lexicon (or its
            absence), or uses characters outside the tokenizer.
    """

    def __init__(
        self,
        tokenizer: CharTokenizer,
        lexicon: Sequence[str] | None = None,
        lm: str | Path | None = None,
        lm_weight: float = DecoderConfig.lm_weight,
        word_score: float = 0.0,
        beam_size: int = DecoderConfig.beam_size,
        beam_threshold: float = DecoderConfig.beam_threshold,
        nbest: int = 1,
        blank_penalty: float = 0.0,
    ) -> None:
        if WORD_DELIMITER in tokenizer.characters:
            raise ValueError(
                f"the model's vocabulary contains {WORD_DELIMITER!r}, which beam search uses as "
                "its word delimiter"
            )
        if lexicon is None and word_score:
            raise ValueError("word_score applies to lexicon decoding only: give a lexicon")
        chars = [WORD_DELIMITER if c == " " else c for c in tokenizer.characters]
        self._pad = WORD_DELIMITER not in chars
        self.tokenizer = tokenizer
        self.lm = None if lm is None else Path(lm)
        self.blank_penalty = blank_penalty
        self.tokens = [BLANK_TOKEN, *chars] + ([WORD_DELIMITER] if self._pad else [])
        self.lexicon = None if lexicon is None else sorted(set(lexicon))
        if self.lexicon is not None:
            _check_lexicon(self.lexicon, tokenizer)
        if lm is not None:
            _check_lm(Path(lm), tokenizer, self.lexicon)
        with tempfile.TemporaryDirectory() as tmp:
            lexicon_file = lm_dict = None
            if self.lexicon is not None:
                lexicon_file = Path(tmp) / "lexicon.txt"
                lexicon_file.write_text(
                    "".join(_spellings(w) for w in self.lexicon), encoding="utf-8"
                )
            elif lm is not None:
                # Without a lexicon flashlight scores token i as LM word i; torchaudio's default
                # word list is ordered differently (fairseq PR 5109), so give it the tokens.
                lm_dict = Path(tmp) / "lm_dict.txt"
                lm_dict.write_text("".join(f"{t}\n" for t in self.tokens), encoding="utf-8")
            with quiet_stderr():
                try:
                    self._decoder = ctc_decoder(
                        lexicon=None if lexicon_file is None else str(lexicon_file),
                        tokens=self.tokens,
                        lm=None if lm is None else str(lm),
                        lm_dict=None if lm_dict is None else str(lm_dict),
                        beam_size=beam_size,
                        beam_threshold=beam_threshold,
                        nbest=nbest,
                        lm_weight=lm_weight,
                        word_score=word_score,
                        blank_token=BLANK_TOKEN,
                        sil_token=WORD_DELIMITER,
                    )
                except RuntimeError as err:
                    if lm is None:
                        raise
                    read_arpa(lm)  # names the malformed line where there is one
                    raise LMError(f"{lm}: {err}") from None

    def __call__(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[str]:
        """Transcripts of log-probs (B, T, V) with valid lengths (B,), whitespace collapsed."""
        return [hyps[0][0] if hyps else "" for hyps in self.candidates(log_probs, lengths)]

    def candidates(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Candidate]]:
        """Up to ``nbest`` candidates per utterance, best first; a candidate's score adds the
        best path's log-prob and the weighted LM and word scores.

        Args:
            log_probs: log-probs (B, T, V), blank at 0; any device and float type.
            lengths: valid frames (B,) of each utterance.

        Returns:
            Per utterance, its ``Candidate`` transcripts, best first (possibly none).

        Raises:
            ValueError: when ``lengths`` does not match the batch or exceeds T.
        """
        emissions = penalise_blank(log_probs.detach().to("cpu", torch.float32), self.blank_penalty)
        lengths = lengths.detach().cpu().to(torch.int64)
        if len(lengths) != len(emissions) or bool((lengths > emissions.shape[1]).any()):
            raise ValueError(f"lengths {lengths.tolist()} do not fit log-probs {emissions.shape}")
        if self._pad:
            emissions = torch.cat(
                [emissions, emissions.new_full((*emissions.shape[:2], 1), _NO_SPACE)], -1
            )
        if self.lexicon is not None:
            emissions, lengths = self._end_with_delimiter(emissions, lengths)
        hyps = self._decoder(emissions.contiguous(), lengths)
        return [[Candidate(self._text(h), float(h.score)) for h in utterance] for utterance in hyps]

    def _end_with_delimiter(
        self, emissions: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Emissions (B, T + 1, N) with a certain delimiter after each utterance's last frame:
        lexicon words end in a delimiter, and the model emits none after the last word."""
        batch, frames, classes = emissions.shape
        out = emissions.new_full((batch, frames + 1, classes), _NO_SPACE)
        out[:, :frames] = emissions
        out[torch.arange(batch), lengths, self.tokens.index(WORD_DELIMITER)] = 0.0
        return out, lengths + 1

    def _text(self, hyp) -> str:
        if self.lexicon is not None:
            return " ".join(hyp.words)
        chars = (self.tokens[i] for i in hyp.tokens.tolist() if i != 0)
        return " ".join("".join(chars).replace(WORD_DELIMITER, " ").split())


def _spellings(word: str) -> str:
    """Lexicon lines of ``word``: its characters, then the delimiter (flashlight's format)."""
    return f"{word}\t{' '.join(word)} {WORD_DELIMITER}\n"


def _check_lexicon(words: Sequence[str], tokenizer: CharTokenizer) -> None:
    """Every lexicon entry must be one word spelled with the model's characters."""
    if not all(w and not any(c.isspace() for c in w) for w in words):
        raise ValueError("lexicon entries must be single words, without spaces")
    bad = [w for w in words if tokenizer.unknown(w)]
    if bad:
        raise ValueError(
            "lexicon words use characters not in the model's vocabulary: "
            f"{tokenizer.unknown(''.join(bad))} (e.g. {bad[:5]})"
        )


def _check_lm(path: Path, tokenizer: CharTokenizer, lexicon: Sequence[str] | None) -> None:
    """The LM's tokens must suit the decoding mode and use only the model's characters."""
    vocab = [t for t in read_arpa_vocabulary(path) if t not in SPECIAL]
    if lexicon is None:
        words = [t for t in vocab if len(t) > 1]
        if words:
            raise LMError(
                f"{path}: a word LM ({words[:5]}...); decoding without a lexicon needs a "
                "character LM (seqrec lm build --unit char), or give a lexicon"
            )
        missing = tokenizer.unknown("".join(t for t in vocab if t != WORD_DELIMITER))
    else:
        if not set(vocab) & set(lexicon):
            raise LMError(
                f"{path}: shares no word with the lexicon; lexicon decoding needs a word LM "
                "(seqrec lm build --unit word) of the lexicon's words"
            )
        missing = tokenizer.unknown("".join(vocab))
    if missing:
        raise LMError(f"{path}: LM tokens use characters not in the model's vocabulary: {missing}")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence KenLM's progress bar, which it writes to file descriptor 2 while loading.

    Yields:
        None, while file descriptor 2 writes to ``os.devnull``; it is restored on exit.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
