"""seqrec: BiLSTM-CTC recognition of speech and online handwriting."""

from seqrec.metrics import cer, wer
from seqrec.recognizer import Recognizer, Transcription

__all__ = ["Recognizer", "Transcription", "cer", "wer"]
__version__ = "0.1.0"
