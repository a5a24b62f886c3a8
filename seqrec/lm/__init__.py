"""N-gram language models for beam search: Kneser-Ney estimation and ARPA files."""

from seqrec.lm.arpa import ArpaModel, LMError, read_arpa
from seqrec.lm.kneser_ney import KneserNey

__all__ = ["ArpaModel", "KneserNey", "LMError", "read_arpa"]
