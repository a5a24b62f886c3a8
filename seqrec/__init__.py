"""seqrec: BiLSTM-CTC recognition of speech and online handwriting.

The public names load on first use, so ``import seqrec.ink`` does not pull in torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Recognizer": "seqrec.recognizer",
    "Ensemble": "seqrec.ensemble",
    "Transcription": "seqrec.recognizer",
    "DecoderConfig": "seqrec.decoding.config",
    "ModelSpec": "seqrec.models.spec",
    "Ink": "seqrec.ink",
    "InkError": "seqrec.ink",
    "wer": "seqrec.metrics",
    "cer": "seqrec.metrics",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seqrec' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
