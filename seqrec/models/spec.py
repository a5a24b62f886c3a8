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

SPEC_VERSION = 2  # 1: separate ``features`` (audio) and ``ink`` fields; read and converted

FeatureConfig = LogMelConfig | InkFeatureConfig
FEATURE_CONFIGS: dict[str, type[FeatureConfig]] = {"audio": LogMelConfig, "ink": InkFeatureConfig}
"""Each modality's feature settings: a new modality adds its config class here and to
``FeatureConfig``, and the front end built from it to ``seqrec.models.build.FRONT_ENDS``."""
MODALITIES = tuple(FEATURE_CONFIGS)


@dataclass(frozen=True)
class TextSpec:
    """The characters the model writes and the normalisation its training transcripts went
    through.

    Attributes:
        characters: the output characters: class i + 1 is ``characters[i]``; 0 is the CTC
            blank (stored as a tuple).
        normalizer: the normalisation the training transcripts went through.
    """

    characters: tuple[str, ...]
    normalizer: TextNormalizer = TextNormalizer()

    def __post_init__(self) -> None:
        object.__setattr__(self, "characters", tuple(self.characters))

    @property
    def num_classes(self) -> int:
        """Output classes V: the characters and the blank."""
        return len(self.characters) + 1

    def tokenizer(self) -> CharTokenizer:
        """The tokenizer of these characters.

        Returns:
            A ``CharTokenizer`` mapping ``characters[i]`` to id i + 1.

        Raises:
            ValueError: when the characters are not unique single characters.
        """
        return CharTokenizer(self.characters)

    @classmethod
    def from_text_config(cls, config: dict[str, Any]) -> TextSpec:
        """The spec of a data module's ``text_config``, the form old checkpoints stored too.

        Args:
            config: ``{"tokenizer": {"characters": ...}, "normalizer": {...}}``, the
                normaliser as ``TextNormalizer`` keyword arguments.

        Returns:
            The ``TextSpec``.

        Raises:
            KeyError: when ``config`` lacks the tokenizer's characters or the normaliser.
        """
        return cls(config["tokenizer"]["characters"], TextNormalizer(**config["normalizer"]))


@dataclass(frozen=True)
class FrontEndSpec:
    """The input the model reads and how it becomes features.

    Attributes:
        modality: "audio" or "ink" (``MODALITIES``).
        sample_rate: the rate audio is resampled to before its features.
        features: the modality's feature settings (``FEATURE_CONFIGS``): ``LogMelConfig``
            for audio (log-mel or cepstral features), ``InkFeatureConfig`` for ink (pen
            points or Bézier curves).
        specaugment: masks the features in training; None: off.

    Raises:
        ValueError: for an unknown modality, or features of another modality's class.
    """

    modality: str = "audio"
    sample_rate: int = 16000
    features: FeatureConfig = LogMelConfig()
    specaugment: SpecAugmentConfig | None = SpecAugmentConfig()

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {self.modality!r}")
        wanted = FEATURE_CONFIGS[self.modality]
        if not isinstance(self.features, wanted):
            raise ValueError(
                f"an {self.modality} front end takes {wanted.__name__} features, "
                f"got {type(self.features).__name__}"
            )


@dataclass(frozen=True)
class EncoderSpec:
    """Everything between the front end and the CTC head: feature normalisation, frame
    subsampling, then the recurrent layers.

    Attributes:
        normalization: "utterance", "speech" (audio: the statistics of the speech frames),
            "sliding", "global" or "none" (``seqrec.features.normalize``).
        subsampling: "stack" (frame stacking) or "conv" (strided convolutions).
        subsampling_factor: input frames per output frame (a power of two for "conv").
        rnn_type: "lstm" or "gru".
        hidden_size: units per direction.
        num_layers: recurrent layers.
        bidirectional: whether each layer also runs backward.
        dropout: dropout between layers and before the head.
    """

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
    """Text, front end and encoder of a network; ``to_dict``/``from_dict`` for checkpoints.

    Attributes:
        text: the characters the network writes and how transcripts are normalised.
        front_end: the modality and its feature settings (log-mel or ink pipeline).
        encoder: the recurrent encoder, subsampling and CTC head.

    Example:
        >>> spec = ModelSpec(TextSpec(tuple("abc ")))  # doctest: +SKIP
        >>> spec.modality  # doctest: +SKIP
        'audio'
    """

    text: TextSpec
    front_end: FrontEndSpec = field(default_factory=FrontEndSpec)
    encoder: EncoderSpec = field(default_factory=EncoderSpec)

    @property
    def modality(self) -> str:
        """The input the network reads: "audio" or "ink" (``front_end.modality``)."""
        return self.front_end.modality

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, dicts and scalars (what ``torch.load(weights_only=True)`` reads).

        Returns:
            A dict with ``"version"`` (``SPEC_VERSION``) and the ``"text"``, ``"front_end"``
            and ``"encoder"`` settings as nested dicts; the characters as a list.

        Example:
            >>> spec = ModelSpec(TextSpec(tuple("abc ")))  # doctest: +SKIP
            >>> ModelSpec.from_dict(spec.to_dict()) == spec  # doctest: +SKIP
            True
        """
        out = asdict(self)
        out["text"]["characters"] = list(self.text.characters)
        return {"version": SPEC_VERSION, **out}

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> ModelSpec:
        """The spec ``to_dict`` wrote (or version 1 of it, converted); raises ValueError for
        a version this code cannot read.

        Args:
            obj: a dict as ``to_dict`` returns it, with ``"version"``, ``"text"``,
                ``"front_end"`` and ``"encoder"``; version 1 keeps ink settings in
                ``front_end["ink"]``.

        Returns:
            The ``ModelSpec``, its settings as typed records again.

        Raises:
            ValueError: for a version this code cannot read, an unknown modality, or
                feature settings that do not fit the modality.
            KeyError: when a setting the spec needs is missing.

        Example:
            >>> spec = ModelSpec.from_dict(ckpt["seqrec_model_spec"])  # doctest: +SKIP
        """
        version = obj.get("version")
        if version not in (1, SPEC_VERSION):
            raise ValueError(
                f"model spec version {version!r}; this seqrec reads 1 to {SPEC_VERSION}"
            )
        text, front, encoder = obj["text"], obj["front_end"], obj["encoder"]
        features = front["features"]
        if version == 1:  # one field per modality then
            features = front["ink"] if front["modality"] == "ink" else front["features"]
        return cls(
            text=TextSpec(text["characters"], TextNormalizer(**text["normalizer"])),
            front_end=_front_end(
                front["modality"], front["sample_rate"], features, front["specaugment"]
            ),
            encoder=EncoderSpec(**encoder),
        )

    @classmethod
    def from_hparams(cls, hp: dict[str, Any]) -> ModelSpec:
        """The spec of a checkpoint from before specs: its flat hyper-parameters, converted.

        Args:
            hp: the checkpoint's ``hyper_parameters``: ``"text"`` (a data module's
                ``text_config``), ``"sample_rate"``, ``"features"``, ``"specaugment"``,
                ``"ink"`` for an ink model, an optional ``"modality"`` (default "audio") and
                the ``EncoderSpec`` fields, flat (missing ones take their defaults).

        Returns:
            The ``ModelSpec``; audio features without a ``level_normalization`` setting get
            it off, as those checkpoints were trained.

        Raises:
            ValueError: for an unknown modality, or feature settings that do not fit it.
            KeyError: when a setting the spec needs is missing.

        Example:
            >>> spec = ModelSpec.from_hparams(dict(ckpt["hyper_parameters"]))  # doctest: +SKIP
        """
        modality = hp.get("modality", "audio")  # checkpoints from before ink are audio
        # checkpoints from before level normalisation have no such key: they were trained without
        features = {"level_normalization": False, **hp["features"]}
        return cls(
            text=TextSpec.from_text_config(hp["text"]),
            front_end=_front_end(
                modality,
                hp["sample_rate"],
                features if modality == "audio" else hp["ink"],
                hp["specaugment"],
            ),
            encoder=EncoderSpec(
                **{name: hp[name] for name in EncoderSpec.__dataclass_fields__ if name in hp}
            ),
        )


def spec_differences(saved: ModelSpec, current: ModelSpec) -> list[str]:
    """What differs between two specs, one line per setting.

    Args:
        saved: the spec a checkpoint holds.
        current: the spec to compare it with.

    Returns:
        One line per differing setting, sorted by name (``"encoder.hidden_size: 32 saved,
        64 now"``, long values shortened); empty when the specs are the same.
    """
    lines: list[str] = []

    def walk(a: Any, b: Any, name: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{name}.{key}" if name else key)
        elif a != b:
            lines.append(f"{name}: {_short(a)} saved, {_short(b)} now")

    walk(saved.to_dict(), current.to_dict(), "")
    return lines


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _front_end(
    modality: str,
    sample_rate: int,
    features: dict[str, Any],
    specaugment: dict[str, Any] | None,
) -> FrontEndSpec:
    """A FrontEndSpec from the plain dicts of a checkpoint."""
    if modality not in FEATURE_CONFIGS:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
    if features.get("vtlp") is not None:  # a tuple, stored as a list
        features = {**features, "vtlp": tuple(features["vtlp"])}
    return FrontEndSpec(
        modality=modality,
        sample_rate=int(sample_rate),
        features=FEATURE_CONFIGS[modality](**features),
        specaugment=SpecAugmentConfig(**specaugment) if specaugment else None,
    )


__all__ = [
    "FEATURE_CONFIGS",
    "EncoderSpec",
    "FeatureConfig",
    "FrontEndSpec",
    "ModelSpec",
    "TextSpec",
    "spec_differences",
]
