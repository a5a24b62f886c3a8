"""The network's settings as one typed record, stored in every checkpoint.

A ``ModelSpec`` is what it takes to rebuild a trained network and prepare its input: the
text it writes (``TextSpec``), the signal and front end it reads (``FrontEndSpec``) and the
layers between features and output (``EncoderSpec``). The CTC head has no settings of its
own: it maps the encoder's output to the text's characters plus the blank. Each default
lives here once; ``SeqRecModule`` takes the same settings flat (``--model.hidden_size``) and
builds this record from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from seqrec.features.ink_pipeline import InkFeatureConfig
from seqrec.features.logmel import LogMelConfig
from seqrec.features.specaugment import SpecAugmentConfig
from seqrec.text.normalize import TextNormalizer
from seqrec.text.tokenizer import CharTokenizer

SPEC_VERSION = 1
MODALITIES = ("audio", "ink")


@dataclass(frozen=True)
class TextSpec:
    """The characters the model writes (class i + 1 is ``characters[i]``; 0 is the CTC blank)
    and the normalisation its training transcripts went through."""

    characters: tuple[str, ...]
    normalizer: TextNormalizer = TextNormalizer()

    def __post_init__(self) -> None:
        object.__setattr__(self, "characters", tuple(self.characters))

    @property
    def num_classes(self) -> int:
        """Output classes V: the characters and the blank."""
        return len(self.characters) + 1

    def tokenizer(self) -> CharTokenizer:
        return CharTokenizer(self.characters)

    @classmethod
    def from_text_config(cls, config: dict[str, Any]) -> TextSpec:
        """The spec of a data module's ``text_config`` (``{"tokenizer": {"characters": ...},
        "normalizer": {...}}``), the form old checkpoints stored too."""
        return cls(config["tokenizer"]["characters"], TextNormalizer(**config["normalizer"]))


@dataclass(frozen=True)
class FrontEndSpec:
    """The input the model reads and how it becomes features: ``modality`` "audio" (waveforms
    at ``sample_rate``, log-mel or cepstral ``features``) or "ink" (pen points or Bézier
    curves, ``ink``); the other modality's settings are None. ``specaugment`` masks the
    features in training (None: off)."""

    modality: str = "audio"
    sample_rate: int = 16000
    features: LogMelConfig | None = LogMelConfig()
    ink: InkFeatureConfig | None = None
    specaugment: SpecAugmentConfig | None = SpecAugmentConfig()

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {self.modality!r}")
        if self.modality == "audio" and (self.features is None or self.ink is not None):
            raise ValueError("an audio front end needs features and no ink settings")
        if self.modality == "ink" and (self.ink is None or self.features is not None):
            raise ValueError("an ink front end needs ink settings and no audio features")


@dataclass(frozen=True)
class EncoderSpec:
    """Everything between the front end and the CTC head: feature ``normalization``
    ("utterance", "speech" (audio: the statistics of the speech frames), "sliding", "global"
    or "none"; ``seqrec.features.normalize``), frame ``subsampling`` by ``subsampling_factor``, then
    ``num_layers`` recurrent layers (``rnn_type`` "lstm" or "gru") of ``hidden_size`` units
    per direction, with ``dropout`` between layers and before the head."""

    normalization: str = "utterance"
    subsampling: str = "stack"
    subsampling_factor: int = 4
    rnn_type: str = "lstm"
    hidden_size: int = 256
    num_layers: int = 3
    bidirectional: bool = True
    dropout: float = 0.1


@dataclass(frozen=True)
class ModelSpec:
    """Text, front end and encoder of a network; ``to_dict``/``from_dict`` for checkpoints."""

    text: TextSpec
    front_end: FrontEndSpec = field(default_factory=FrontEndSpec)
    encoder: EncoderSpec = field(default_factory=EncoderSpec)

    @property
    def modality(self) -> str:
        return self.front_end.modality

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, dicts and scalars (what ``torch.load(weights_only=True)`` reads)."""
        out = asdict(self)
        out["text"]["characters"] = list(self.text.characters)
        return {"version": SPEC_VERSION, **out}

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> ModelSpec:
        """The spec ``to_dict`` wrote; raises ValueError for a version this code cannot read."""
        version = obj.get("version")
        if version != SPEC_VERSION:
            raise ValueError(f"model spec version {version!r}; this seqrec reads {SPEC_VERSION}")
        text, front, encoder = obj["text"], obj["front_end"], obj["encoder"]
        return cls(
            text=TextSpec(text["characters"], TextNormalizer(**text["normalizer"])),
            front_end=_front_end(
                front["modality"],
                front["sample_rate"],
                front["features"],
                front["ink"],
                front["specaugment"],
            ),
            encoder=EncoderSpec(**encoder),
        )

    @classmethod
    def from_hparams(cls, hp: dict[str, Any]) -> ModelSpec:
        """The spec of a checkpoint from before specs: its flat hyper-parameters, converted."""
        modality = hp.get("modality", "audio")  # checkpoints from before ink are audio
        # checkpoints from before level normalisation have no such key: they were trained without
        features = {"level_normalization": False, **hp["features"]}
        return cls(
            text=TextSpec.from_text_config(hp["text"]),
            front_end=_front_end(
                modality,
                hp["sample_rate"],
                features if modality == "audio" else None,
                hp["ink"] if modality == "ink" else None,
                hp["specaugment"],
            ),
            encoder=EncoderSpec(
                **{name: hp[name] for name in EncoderSpec.__dataclass_fields__ if name in hp}
            ),
        )


def _front_end(
    modality: str,
    sample_rate: int,
    features: dict[str, Any] | None,
    ink: dict[str, Any] | None,
    specaugment: dict[str, Any] | None,
) -> FrontEndSpec:
    """A FrontEndSpec from the plain dicts of a checkpoint."""
    if features is not None and features.get("vtlp") is not None:
        features = {**features, "vtlp": tuple(features["vtlp"])}
    return FrontEndSpec(
        modality=modality,
        sample_rate=int(sample_rate),
        features=LogMelConfig(**features) if features is not None else None,
        ink=InkFeatureConfig(**ink) if ink is not None else None,
        specaugment=SpecAugmentConfig(**specaugment) if specaugment else None,
    )


__all__ = ["EncoderSpec", "FrontEndSpec", "ModelSpec", "TextSpec"]
