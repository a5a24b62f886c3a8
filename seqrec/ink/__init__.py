"""Digital ink: the in-memory pen trajectory and the readers of its file formats."""

from seqrec.ink.ink import Ink, InkError

__all__ = ["Ink", "InkError"]
