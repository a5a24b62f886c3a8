"""Tar shards of a manifest's audio or ink and transcripts, in the WebDataset layout.

A shard is a plain POSIX tar of members ``KEY.EXT`` (the signal) and ``KEY.json``
(``{"text": ...}``), one pair per utterance, pairs in order. Audio is stored as the file's
own bytes (WAV, FLAC, ...; a segment of a file, ``offset``/``duration`` in the manifest, is
cut and stored as FLAC); ink of any format seqrec reads (IAM-OnDB XML, InkML, JSON) is parsed
once and stored as seqrec's JSON ink, ``KEY.ink.json`` (``Ink.to_dict``). That is the layout
WebDataset reads (``webdataset.WebDataset(url)`` yields ``{"__key__", "flac", "json"}`` or
``{"__key__", "ink.json", "json"}`` per utterance), and ``tar`` lists and unpacks; nothing
seqrec-specific is inside but the JSON ink's keys. Beside the shards, ``shards.json`` indexes
them: the modality, per shard its name and, per utterance, the key, text, sample rate and
frames (for ink: sample rate 0 and the number of points), so that training can build its
tokenizer, plan its batches by length and split shards across ranks and workers without
opening any shard (ink models open each shard once, to measure their prepared lengths).

Dimensions: S samples.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from seqrec.audio.io import AudioError, audio_info, audio_problem, load_audio, to_model_rate
from seqrec.data.manifest import ManifestEntry
from seqrec.ink import Ink, InkError

INDEX_NAME = "shards.json"
INDEX_VERSION = 1
INK_MEMBER = "ink.json"
"""The extension of an ink member: ``KEY.ink.json``."""


class ShardError(ValueError):
    """A shard or its index that cannot be used; the message names the file and member."""


@dataclass(frozen=True)
class ShardItem:
    """One utterance of a shard, as ``shards.json`` lists it.

    Attributes:
        key: its member name without extension.
        text: its transcript.
        sample_rate: the stored audio's rate; 0 for ink.
        frames: its length as stored: samples at ``sample_rate``, or ink points.
    """

    key: str
    text: str
    sample_rate: int
    frames: int

    def num_samples(self, sample_rate: int) -> int:
        """Its length in samples at another rate (what resampling gives); audio only.

        Args:
            sample_rate: the rate it is resampled to.

        Returns:
            ``frames`` scaled to ``sample_rate``, rounded.

        Raises:
            ValueError: for an ink item (no sample rate).
        """
        if not self.sample_rate:
            raise ValueError(f"shard item {self.key!r} is ink: it has no samples")
        return int(round(self.frames * sample_rate / self.sample_rate))


@dataclass(frozen=True)
class Shard:
    """One tar shard and the utterances in it.

    Attributes:
        path: the tar file.
        items: its utterances, in member order.
        modality: "audio" or "ink".
    """

    path: Path
    items: tuple[ShardItem, ...]
    modality: str = "audio"


def write_shards(
    entries: Sequence[ManifestEntry], out_dir: str | Path, shard_size: int, progress: bool = True
) -> tuple[list[Shard], list[str]]:
    """Write the audio or ink ``entries`` into ``out_dir/shard-NNNNNN.tar`` of ``shard_size``
    utterances each, and ``out_dir/shards.json``.

    Args:
        entries: the manifest's entries, all audio or all ink.
        out_dir: the folder to write to (created if missing).
        shard_size: utterances per shard (the last may hold fewer).
        progress: show a progress bar.

    Returns:
        The shards written, and the entries left out because they cannot be read (each as
        the entry's ``where`` and the reason).

    Raises:
        ValueError: if ``shard_size`` is below 1, or the entries mix audio and ink.
    """
    if shard_size < 1:
        raise ValueError(f"shard size must be >= 1, got {shard_size}")
    kinds = {e.kind for e in entries}
    if len(kinds) > 1:
        source = entries[0].manifest or "the manifest"
        raise ValueError(f"{source}: lists both audio and ink files; a shard set holds one")
    modality = kinds.pop() if kinds else "audio"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shards: list[Shard] = []
    problems: list[str] = []
    pending: list[tuple[ShardItem, str, bytes]] = []
    number = 0
    stored = _stored_ink if modality == "ink" else _stored_audio
    for entry in tqdm(entries, desc="sharding", unit="utt", disable=not progress):
        try:
            item, ext, data = stored(entry, f"{number:09d}")
        except (AudioError, InkError) as err:
            problems.append(f"{entry.where}: {err}")
            continue
        pending.append((item, ext, data))
        number += 1
        if len(pending) == shard_size:
            shards.append(_write_tar(out / f"shard-{len(shards):06d}.tar", pending, modality))
            pending = []
    if pending:
        shards.append(_write_tar(out / f"shard-{len(shards):06d}.tar", pending, modality))
    index = {
        "version": INDEX_VERSION,
        "modality": modality,
        "shards": [
            {"name": s.path.name, "items": [vars(item) for item in s.items]} for s in shards
        ],
    }
    (out / INDEX_NAME).write_text(json.dumps(index) + "\n")
    return shards, problems


def _stored_audio(entry: ManifestEntry, key: str) -> tuple[ShardItem, str, bytes]:
    """The item, extension and bytes one audio entry is stored as; raises AudioError naming
    the file when it is missing, undecodable, empty or not finite."""
    path = entry.path
    info = audio_info(path)
    wave = load_audio(path, info.samplerate, entry.offset, entry.duration)
    problem = audio_problem(wave)
    if problem:
        raise AudioError(f"{path}: {problem}")
    item = ShardItem(key, entry.text, info.samplerate, len(wave))
    if entry.offset or entry.duration is not None:
        buffer = io.BytesIO()
        sf.write(buffer, wave, info.samplerate, format="FLAC")
        return item, "flac", buffer.getvalue()
    return item, path.suffix.lstrip(".").lower() or "wav", path.read_bytes()


def _stored_ink(entry: ManifestEntry, key: str) -> tuple[ShardItem, str, bytes]:
    """The item, extension and bytes one ink entry is stored as (seqrec's JSON ink); raises
    InkError naming the file when it is missing, does not parse or holds no points."""
    ink = Ink.load(entry.path)
    if ink.num_points == 0:
        raise InkError(f"{entry.path}: no points")
    data = json.dumps(ink.to_dict(), separators=(",", ":")).encode()
    return ShardItem(key, entry.text, 0, ink.num_points), INK_MEMBER, data


def _write_tar(path: Path, items: Sequence[tuple[ShardItem, str, bytes]], modality: str) -> Shard:
    partial = path.with_name(path.name + ".partial")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        for item, ext, data in items:
            _add(tar, f"{item.key}.{ext}", data)
            _add(tar, f"{item.key}.json", json.dumps({"text": item.text}).encode())
    partial.replace(path)
    return Shard(path, tuple(item for item, _, _ in items), modality)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def expand_pattern(pattern: str) -> list[Path]:
    """Paths of a shard pattern.

    Args:
        pattern: ``DIR/shard-{000000..000099}.tar`` (the brace range of WebDataset and bash,
            zero-padded to the first number's width), a single path, or several joined by
            ``::``.

    Returns:
        The paths, in the order the pattern names them (not checked to exist).

    Raises:
        ShardError: for a range whose last number is below its first.
    """
    paths = []
    for part in pattern.split("::"):
        match = re.search(r"\{(\d+)\.\.(\d+)\}", part)
        if match is None:
            paths.append(Path(part))
            continue
        first, last = match.group(1), match.group(2)
        if int(last) < int(first):
            raise ShardError(f"{part}: the range {{{first}..{last}}} runs backwards")
        width = len(first)
        for n in range(int(first), int(last) + 1):
            paths.append(Path(part[: match.start()] + f"{n:0{width}d}" + part[match.end() :]))
    return paths


def read_index(paths: Sequence[Path]) -> list[Shard]:
    """The shards of ``paths`` as ``shards.json`` beside them lists them.

    Args:
        paths: shard files, e.g. from ``expand_pattern``; each folder's index is read once.

    Returns:
        The shards, in the order of ``paths``.

    Raises:
        ShardError: naming the index that is missing, unreadable or of another version, or
            the shard that is missing from it or from disk; also when ``paths`` is empty or
            the shards mix audio and ink.
    """
    indexes: dict[Path, tuple[str, dict[str, list[ShardItem]]]] = {}
    shards = []
    for path in paths:
        folder = path.parent
        if folder not in indexes:
            indexes[folder] = _read_index_file(folder / INDEX_NAME)
        modality, listed = indexes[folder][0], indexes[folder][1].get(path.name)
        if listed is None:
            raise ShardError(f"{path}: not listed in {folder / INDEX_NAME}")
        if not path.is_file():
            raise ShardError(f"{path}: shard not found")
        shards.append(Shard(path, tuple(listed), modality))
    if not shards:
        raise ShardError("the shard pattern names no shards")
    if len({s.modality for s in shards}) > 1:
        raise ShardError(f"{shards[0].path.parent}: the shard pattern mixes audio and ink shards")
    return shards


def _read_index_file(path: Path) -> tuple[str, dict[str, list[ShardItem]]]:
    try:
        index = json.loads(path.read_text())
    except FileNotFoundError:
        raise ShardError(f"{path}: shard index not found (written by seqrec shard)") from None
    except (OSError, json.JSONDecodeError) as err:
        raise ShardError(f"{path}: unreadable shard index ({err})") from None
    if not isinstance(index, dict):
        raise ShardError(f"{path}: a shard index is a JSON object, got {type(index).__name__}")
    if index.get("version") != INDEX_VERSION:
        raise ShardError(f"{path}: index version {index.get('version')!r}, not {INDEX_VERSION}")
    try:
        items = {s["name"]: [ShardItem(**item) for item in s["items"]] for s in index["shards"]}
    except (KeyError, TypeError, AttributeError) as err:
        raise ShardError(f"{path}: malformed shard index ({type(err).__name__}: {err})") from None
    return index.get("modality", "audio"), items


def read_members(shard: Path) -> Iterator[tuple[str, str, bytes]]:
    """The file members of a shard, read in one pass.

    Args:
        shard: the tar file.

    Yields:
        ``(key, extension, bytes)`` of each file member, in order; the extension is what
        follows the first dot of its name (``ink.json`` for ``KEY.ink.json``).

    Raises:
        ShardError: naming the shard (and the member, where it is known) when the tar is
            missing, truncated or corrupt.
    """
    member = "its first member"
    try:
        with tarfile.open(shard, "r|") as tar:
            for info in tar:
                member = info.name
                if not info.isfile():
                    continue
                key, _, ext = info.name.partition(".")
                data = tar.extractfile(info)
                yield key, ext, data.read() if data is not None else b""
    except (tarfile.TarError, OSError, EOFError) as err:
        raise ShardError(f"{shard}: member {member}: corrupt or truncated shard ({err})") from None


def decode_audio(data: bytes, sample_rate: int, where: str) -> np.ndarray:
    """Stored audio bytes as float32 mono at ``sample_rate``.

    Args:
        data: a shard's audio member (any format soundfile reads).
        sample_rate: the rate to resample to; several channels are averaged.
        where: the shard and member, for errors.

    Returns:
        The waveform (S,) float32.

    Raises:
        ShardError: naming ``where`` when the bytes do not decode to finite, non-empty,
            not all-zero audio.
    """
    try:
        wave, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ShardError(f"{where}: cannot decode audio ({err})") from None
    wave = to_model_rate(wave[:, 0] if wave.shape[1] == 1 else wave.mean(axis=1), rate, sample_rate)
    problem = audio_problem(wave)
    if problem:
        raise ShardError(f"{where}: {problem}")
    return wave


def decode_ink(data: bytes, where: str) -> Ink:
    """A stored JSON ink member as ``Ink``.

    Args:
        data: a shard's ``KEY.ink.json`` member (``Ink.to_dict`` as JSON).
        where: the shard and member, for errors.

    Returns:
        The parsed ink.

    Raises:
        ShardError: naming ``where`` when it is not seqrec JSON ink.
    """
    try:
        return Ink.from_dict(json.loads(data), where)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ShardError(f"{where}: unreadable JSON ink ({err})") from None
    except ValueError as err:  # InkError included: it names ``where``
        raise ShardError(str(err) if where in str(err) else f"{where}: {err}") from None


__all__ = [
    "INDEX_NAME",
    "INK_MEMBER",
    "Shard",
    "ShardError",
    "ShardItem",
    "decode_audio",
    "decode_ink",
    "expand_pattern",
    "read_index",
    "read_members",
    "write_shards",
]
