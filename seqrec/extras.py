"""Optional dependencies: what transcription needs is always installed; synthesis, reports,
ONNX, LM text and the HTTP service come with extras (``pip install 'seqrec[synth]'``), and a
missing one is named with the extra that brings it."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = ("synth", "report", "onnx", "lm", "serve")


def require(extra: str, module: str) -> ModuleType:
    """Import ``module``, which seqrec's ``extra`` installs.

    Args:
        extra: the extra that brings ``module``, one of ``EXTRAS``.
        module: the module's import name.

    Returns:
        The imported module.

    Raises:
        ValueError: when ``extra`` is not one of ``EXTRAS``.
        ImportError: naming the module and the extra, when the module is missing.
    """
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
