"""Optional dependencies: what transcription needs is always installed; synthesis, reports,
ONNX, LM text and the HTTP service come with extras (``pip install 'seqrec[synth]'``), and a
missing one is named with the extra that brings it."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = ("synth", "report", "onnx", "lm", "serve")


def require(extra: str, module: str) -> ModuleType:
    """Import ``module``, which seqrec's ``extra`` installs; ImportError naming both if it is
    missing."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; seqrec has {EXTRAS}")
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{module} is not installed: it comes with seqrec's {extra!r} extra "
            f"(pip install 'seqrec[{extra}]')"
        ) from err


__all__ = ["EXTRAS", "require"]
