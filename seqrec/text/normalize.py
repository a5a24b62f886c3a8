"""Transcript normalisation applied identically to training targets and scoring references."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TextNormalizer:
    """Case folding, punctuation removal and whitespace collapsing, each configurable.

    Every transcript is also put in Unicode NFC form and its runs of whitespace collapsed to
    one space, ends stripped.

    Attributes:
        lowercase: fold the text to lower case.
        remove_punctuation: replace punctuation by spaces, keeping apostrophes inside words
            ("don't").
    """

    lowercase: bool = True
    remove_punctuation: bool = True

    def __call__(self, text: str) -> str:
        """Normalise one transcript.

        Args:
            text: the transcript.

        Returns:
            The normalised text.
        """
        text = unicodedata.normalize("NFC", text)
        if self.lowercase:
            text = text.lower()
        if self.remove_punctuation:
            # Apostrophes inside words ("don't") carry meaning; other punctuation becomes space.
            text = "".join(
                " " if unicodedata.category(c).startswith("P") and c != "'" else c for c in text
            )
            text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
        return _SPACES.sub(" ", text).strip()

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict.

        Returns:
            ``{"lowercase": ..., "remove_punctuation": ...}``.
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> TextNormalizer:
        """The normaliser ``to_dict`` described.

        Args:
            obj: settings by field name, as ``to_dict`` returns them.

        Returns:
            The ``TextNormalizer`` with those settings.

        Raises:
            TypeError: for a key that is not a setting.
        """
        return cls(**obj)
