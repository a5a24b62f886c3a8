"""Character tokenizer with the CTC blank at id 0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

BLANK = "<blank>"


class CharTokenizer:
    """Maps characters to ids 1..V-1; id 0 is the CTC blank. Space is an ordinary character."""

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
        """Build the vocabulary from (already normalised) training transcripts, sorted."""
        return cls(sorted(set("".join(texts))))

    @property
    def vocab_size(self) -> int:
        """Number of output classes, blank included."""
        return len(self.characters) + 1

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._ids))

    def encode(self, text: str) -> list[int]:
        """Token ids (U,) of ``text``; raises KeyError naming the first unknown character."""
        missing = self.unknown(text)
        if missing:
            raise KeyError(f"characters not in vocabulary: {missing!r}")
        return [self._ids[c] for c in text]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of non-blank ids (no CTC collapsing: see seqrec.decoding)."""
        return "".join(self.characters[i - 1] for i in ids if i > 0)

    def to_dict(self) -> dict[str, Any]:
        return {"characters": list(self.characters)}

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> CharTokenizer:
        return cls(obj["characters"])
