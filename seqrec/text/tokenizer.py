"""Character tokenizer with the CTC blank at id 0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

BLANK = "<blank>"


class CharTokenizer:
    """Maps characters to ids 1..V-1; id 0 is the CTC blank. Space is an ordinary character.

    Args:
        characters: the vocabulary, one single character per entry; the i-th gets id i + 1.

    Raises:
        ValueError: when a character repeats or an entry is not a single character.
    """

    def __init__(self, characters: Sequence[str]) -> None:
        chars = list(characters)
        if len(set(chars)) != len(chars):
            raise ValueError("tokenizer characters must be unique")
        if any(len(c) != 1 for c in chars):
            raise ValueError("tokenizer entries must be single characters")
        self.characters = chars
        self._ids = {c: i + 1 for i, c in enumerate(chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CharTokenizer:
        """Build the vocabulary from (already normalised) training transcripts, sorted.

        Args:
            texts: the transcripts.

        Returns:
            A tokenizer of every distinct character in ``texts``, in sorted order.
        """
        return cls(sorted(set("".join(texts))))

    @property
    def vocab_size(self) -> int:
        """Number of output classes, blank included."""
        return len(self.characters) + 1

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` outside the vocabulary, in order of first appearance.

        Args:
            text: the text to check.

        Returns:
            Each unknown character once; empty when ``encode`` can take ``text``.
        """
        return list(dict.fromkeys(c for c in text if c not in self._ids))

    def encode(self, text: str) -> list[int]:
        """Token ids (U,) of ``text``.

        Args:
            text: the text, every character in the vocabulary.

        Returns:
            One id per character, in order.

        Raises:
            KeyError: naming the characters outside the vocabulary.
        """
        missing = self.unknown(text)
        if missing:
            raise KeyError(f"characters not in vocabulary: {missing!r}")
        return [self._ids[c] for c in text]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of non-blank ids (no CTC collapsing: see seqrec.decoding).

        Args:
            ids: token ids; the blank (0), and any id below it, is skipped.

        Returns:
            The characters of the other ids, concatenated.

        Raises:
            IndexError: for an id of V or more.
        """
        return "".join(self.characters[i - 1] for i in ids if i > 0)

    def to_dict(self) -> dict[str, Any]:
        """The vocabulary as a JSON-ready dict.

        Returns:
            ``{"characters": [...]}``, in id order.
        """
        return {"characters": list(self.characters)}

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> CharTokenizer:
        """The tokenizer ``to_dict`` described.

        Args:
            obj: a dict with the ``"characters"`` list, as ``to_dict`` returns it.

        Returns:
            The ``CharTokenizer`` of those characters, ids as before.

        Raises:
            KeyError: when ``obj`` has no ``"characters"``.
            ValueError: as the constructor raises it.
        """
        return cls(obj["characters"])
