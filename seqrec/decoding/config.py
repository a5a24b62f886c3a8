"""How a recognizer turns log-probs into text: the decoder settings and the decoder they build.

Dimensions: B batch, T frames, V classes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

import torch

from seqrec.decoding.greedy import greedy_texts
from seqrec.lm.corpus import read_lexicon
from seqrec.text.tokenizer import CharTokenizer

DECODERS = ("greedy", "beam")
ENSEMBLE_NBEST = 8  # candidates each member of an Ensemble proposes by default
RESCORE_NBEST = 32  # candidates the beam keeps for a rescoring LM, at least
_PATH_FIELDS = ("lexicon", "lm", "rescore_lm")
DECODING_FILE = "decoding.json"  # in a training folder: the decoder its recipe tuned

Decoder = Callable[[torch.Tensor, torch.Tensor], list[str]]
"""Log-probs (B, T, V) and valid lengths (B,) -> one transcript per utterance."""


@dataclass
class DecoderConfig:
    """The decoder settings, and the one home of their defaults.

    ``kind="greedy"`` (best path) or ``"beam"``: beam search, constrained to the words of
    ``lexicon`` (a word-list file, or the words) when given, scored with the ARPA LM ``lm``
    (a character LM without a lexicon, a word LM with one) weighted by ``lm_weight``, plus
    ``word_score`` per word (lexicon only); ``nbest``: how many transcripts the beam keeps
    (``BeamSearchDecoder.candidates``; an ``Ensemble`` sets it for its members);
    ``blank_penalty``: subtracted from the blank's log-prob in every frame before decoding
    (greedy or beam), against deletions when positive. ``rescore_lm`` (beam): a second ARPA
    LM, e.g. a word n-gram beside a character LM, that re-ranks the beam's best
    ``max(nbest, RESCORE_NBEST)`` transcripts, adding ``rescore_weight`` x its log10 score,
    ``rescore_word_score`` per word and ``rescore_oov_score`` per word outside its vocabulary
    (``seqrec.decoding.rescoring``) to each candidate's beam score, or, with
    ``rescore_beam_lm_weight``, to its exact CTC log-likelihood plus that weight x the beam
    LM's log10 score.

    Attributes:
        kind: "greedy" (best path) or "beam" (beam search).
        lexicon: the words beam search may write: a word-list file (the first field of each
            line) or the words themselves; None: any character sequence.
        lm: an ARPA LM file for beam search: a character LM without a lexicon, a word LM
            with one; None: no LM.
        lm_weight: the weight of the LM's score.
        word_score: added per word written (lexicon decoding only).
        beam_size: hypotheses the beam keeps at each frame.
        beam_threshold: hypotheses scoring more than this below the best are pruned.
        nbest: transcripts the beam keeps (``BeamSearchDecoder.candidates``).
        blank_penalty: subtracted from the blank's log-prob in every frame before decoding.
        rescore_lm: a second ARPA LM that re-ranks the beam's best transcripts; None: none.
        rescore_weight: the weight of the rescoring LM's log10 score.
        rescore_word_score: added per word when rescoring.
        rescore_oov_score: added per word outside the rescoring LM's vocabulary.
        rescore_beam_lm_weight: None: re-rank on the beam's scores; else rank on the exact
            CTC log-likelihood plus this weight x the beam LM's log10 score.

    Raises:
        ValueError: for an unknown ``kind``, a lexicon, LM or rescoring LM with the greedy
            decoder, or ``rescore_beam_lm_weight`` without a rescoring LM.

    Example:
        >>> greedy = DecoderConfig(blank_penalty=0.5)  # doctest: +SKIP
        >>> words = DecoderConfig(kind="beam", lexicon="words.txt")  # doctest: +SKIP
        >>> chars = DecoderConfig(kind="beam", lm="chars.arpa", lm_weight=0.5)  # doctest: +SKIP
    """

    kind: str = "greedy"
    lexicon: str | Path | Sequence[str] | None = None
    lm: str | Path | None = None
    lm_weight: float = 1.0
    word_score: float = 0.0
    beam_size: int = 50
    beam_threshold: float = 25.0
    nbest: int = 1
    blank_penalty: float = 0.0
    rescore_lm: str | Path | None = None
    rescore_weight: float = 1.0
    rescore_word_score: float = 0.0
    rescore_oov_score: float = 0.0
    rescore_beam_lm_weight: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in DECODERS:
            raise ValueError(f"decoder kind must be one of {DECODERS}, got {self.kind!r}")
        if self.kind == "greedy" and (self.lexicon is not None or self.lm is not None):
            raise ValueError("a lexicon or LM needs the beam decoder (kind='beam')")
        if self.kind == "greedy" and self.rescore_lm is not None:
            raise ValueError("a rescoring LM needs the beam decoder (kind='beam')")
        if self.rescore_beam_lm_weight is not None and self.rescore_lm is None:
            raise ValueError("rescore_beam_lm_weight re-ranks for a rescoring LM: give rescore_lm")

    def words(self) -> list[str] | None:
        """The lexicon's words: read from its file, or as given.

        Returns:
            The words as a list (the first field of each non-empty line of a lexicon file),
            or None when there is no lexicon.

        Raises:
            OSError: when the lexicon file cannot be read.

        Example:
            >>> DecoderConfig(kind="beam", lexicon=["yes", "no"]).words()  # doctest: +SKIP
            ['yes', 'no']
        """
        if self.lexicon is None or isinstance(self.lexicon, (str, Path)):
            return None if self.lexicon is None else read_lexicon(self.lexicon)
        return list(self.lexicon)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (a word list is summarised by its size).

        Returns:
            A dict of every field by name, paths as strings, and a lexicon given as words
            replaced by the string ``"<n words>"``.

        Example:
            >>> row = DecoderConfig(kind="beam", lm="chars.arpa").to_dict()  # doctest: +SKIP
            >>> json.dumps(row)  # doctest: +SKIP
        """
        out = asdict(self)
        if self.lexicon is not None and not isinstance(self.lexicon, (str, Path)):
            out["lexicon"] = f"<{len(self.lexicon)} words>"
        return {k: str(v) if isinstance(v, Path) else v for k, v in out.items()}

    def save(self, path: str | Path) -> Path:
        """Write the settings as JSON (``seqrec tune-lm --save``); the LM and lexicon paths
        are stored relative to the file's folder when they lie under it.

        Args:
            path: the JSON file to write; its folder is created.

        Returns:
            ``path`` as a ``Path``.

        Raises:
            ValueError: when the lexicon is given as words rather than a file.

        Example:
            >>> config = DecoderConfig(kind="beam", lm="exp/lm/chars.arpa")  # doctest: +SKIP
            >>> config.save("exp/decoding.json")  # doctest: +SKIP
        """
        path = Path(path)
        if self.lexicon is not None and not isinstance(self.lexicon, (str, Path)):
            raise ValueError("a lexicon given as words cannot be saved: give its file")
        out = self.to_dict()
        for key in _PATH_FIELDS:
            if out[key] is not None:
                out[key] = _relative(Path(out[key]), path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> DecoderConfig:
        """The settings ``save`` wrote; relative LM and lexicon paths resolve against the
        file's folder. ValueError naming the file and the problem.

        Args:
            path: a JSON file ``save`` wrote.

        Returns:
            The ``DecoderConfig`` it holds.

        Raises:
            ValueError: naming the file when it cannot be read or parsed, holds unknown
                settings, or its settings are invalid.

        Example:
            >>> decoding = DecoderConfig.load("exp/decoding.json")  # doctest: +SKIP
            >>> rec = Recognizer.load("exp", decoding=decoding)  # doctest: +SKIP
        """
        path = Path(path)
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: not a decoding settings file ({err})") from None
        known = {f.name for f in fields(cls)}
        if not isinstance(raw, dict) or set(raw) - known:
            unknown = sorted(set(raw) - known) if isinstance(raw, dict) else raw
            raise ValueError(f"{path}: unknown decoding settings {unknown}")
        for key in _PATH_FIELDS:
            if raw.get(key) is not None:
                raw[key] = str(path.parent / raw[key])
        try:
            return cls(**raw)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path}: {err}") from None


def saved_decoding(model: str | Path) -> DecoderConfig | None:
    """The decoder a training folder's recipe tuned and saved (``DECODING_FILE`` inside it).

    Args:
        model: a training folder, or a checkpoint file.

    Returns:
        The saved settings, or None when ``model`` is a checkpoint file or a folder without
        ``DECODING_FILE``.

    Raises:
        ValueError: naming the file when it is not valid settings (``DecoderConfig.load``).
    """
    saved = Path(model) / DECODING_FILE
    return DecoderConfig.load(saved) if saved.is_file() else None


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when under it, else absolute."""
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path.resolve())


def build_decoder(config: DecoderConfig, tokenizer: CharTokenizer) -> Decoder:
    """The decoder ``config`` describes, for a model with ``tokenizer``; lexicon and LM are
    loaded and checked against the tokenizer here.

    Args:
        config: the decoder settings.
        tokenizer: the model's tokenizer.

    Returns:
        A ``Decoder``: best-path decoding (``greedy_texts``), a ``BeamSearchDecoder``, or,
        with ``config.rescore_lm``, a ``RescoredBeamDecoder`` whose beam keeps at least
        ``RESCORE_NBEST`` candidates.

    Raises:
        ValueError: when the lexicon or word score cannot be used with the tokenizer (see
            ``BeamSearchDecoder``).
        LMError: when an LM cannot be read or used with the lexicon or characters.
        OSError: when the lexicon file cannot be read.
    """
    if config.kind == "greedy":
        return partial(greedy_texts, tokenizer=tokenizer, blank_penalty=config.blank_penalty)
    from seqrec.decoding.beam import BeamSearchDecoder

    beam = BeamSearchDecoder(
        tokenizer,
        lexicon=config.words(),
        lm=config.lm,
        lm_weight=config.lm_weight,
        word_score=config.word_score,
        beam_size=config.beam_size,
        beam_threshold=config.beam_threshold,
        nbest=config.nbest if config.rescore_lm is None else max(config.nbest, RESCORE_NBEST),
        blank_penalty=config.blank_penalty,
    )
    if config.rescore_lm is None:
        return beam
    from seqrec.decoding.rescoring import RescoredBeamDecoder

    return RescoredBeamDecoder(
        beam,
        config.rescore_lm,
        config.rescore_weight,
        config.rescore_word_score,
        config.rescore_oov_score,
        config.rescore_beam_lm_weight,
    )
