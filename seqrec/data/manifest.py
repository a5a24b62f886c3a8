"""JSONL manifests (NeMo keys): one utterance per line, paths relative to the manifest."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIGNAL_KEYS = ("audio_filepath", "ink_filepath")


class ManifestError(ValueError):
    """A manifest line that cannot be parsed; the message names the file and line."""


@dataclass
class ManifestEntry:
    """One manifest line: a signal file (audio or ink), its transcript and where it came from.

    Attributes:
        path: the signal file (``audio_filepath`` or ``ink_filepath``).
        text: the transcript.
        kind: "audio" or "ink", from the path's key.
        offset: seconds into the audio file where the utterance starts.
        duration: the utterance's length in seconds; None: to the end of the file.
        manifest: the manifest file the line was read from; None if not read from one.
        line: the line's number in ``manifest`` (from 1; 0 if not read from one).
        extra: the line's other keys, written back by ``to_dict``.
    """

    path: Path
    text: str
    kind: str = "audio"
    offset: float = 0.0
    duration: float | None = None
    manifest: Path | None = None
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """``manifest:line`` for error messages."""
        return f"{self.manifest}:{self.line}" if self.manifest else str(self.path)

    def to_dict(self) -> dict[str, Any]:
        """The NeMo-style JSON object of this entry (path left as stored).

        Returns:
            The path under ``audio_filepath`` or ``ink_filepath``, ``offset`` (when nonzero),
            ``duration`` (when known), ``text`` and the ``extra`` keys.
        """
        key = "ink_filepath" if self.kind == "ink" else "audio_filepath"
        out: dict[str, Any] = {key: str(self.path)}
        if self.offset:
            out["offset"] = self.offset
        if self.duration is not None:
            out["duration"] = self.duration
        out["text"] = self.text
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any], base_dir: Path | None = None) -> ManifestEntry:
        """Build an entry from a manifest object.

        Args:
            obj: one manifest line's JSON object.
            base_dir: what relative paths resolve against; None: leave them as they are.

        Returns:
            The entry, its ``manifest`` and ``line`` unset.

        Raises:
            ManifestError: if ``obj`` has not exactly one of ``audio_filepath`` and
                ``ink_filepath``, or no string ``text``.
        """
        keys = [k for k in SIGNAL_KEYS if k in obj]
        if len(keys) != 1:
            raise ManifestError(f"needs exactly one of {SIGNAL_KEYS}, got keys {sorted(obj)}")
        key = keys[0]
        path = Path(obj[key])
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        if "text" not in obj or not isinstance(obj["text"], str):
            raise ManifestError("missing string key 'text'")
        known = {key, "text", "offset", "duration"}
        duration = obj.get("duration")
        return cls(
            path=path,
            text=obj["text"],
            kind="ink" if key == "ink_filepath" else "audio",
            offset=float(obj.get("offset", 0.0) or 0.0),
            duration=None if duration is None else float(duration),
            extra={k: v for k, v in obj.items() if k not in known},
        )


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """Read a JSONL manifest, skipping blank lines.

    Args:
        path: the manifest file; relative signal paths resolve against its folder.

    Returns:
        One entry per non-blank line, in order, each with its ``manifest`` and ``line``.

    Raises:
        ManifestError: if the file is missing, or naming the line that is not a valid object.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found")
    entries = []
    with path.open(encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict):
                    raise ManifestError("line is not a JSON object")
                entry = ManifestEntry.from_dict(obj, base_dir=path.parent)
            except (json.JSONDecodeError, ManifestError, TypeError, ValueError) as err:
                raise ManifestError(f"{path}:{number}: {err}") from None
            entry.manifest, entry.line = path, number
            entries.append(entry)
    return entries


def manifest_modality(entries: Sequence[ManifestEntry], name: str | Path) -> str:
    """The one modality ("audio" or "ink") of a manifest's entries.

    Args:
        entries: the manifest's entries.
        name: the manifest, named in the error.

    Returns:
        The entries' kind; "audio" when there are none.

    Raises:
        ManifestError: if the entries mix audio and ink, naming the first line of each.
    """
    first_line: dict[str, int] = {}
    for entry in entries:
        first_line.setdefault(entry.kind, entry.line)
    if len(first_line) > 1:
        raise ManifestError(
            f"{name}: mixes audio (line {first_line['audio']}) and ink (line {first_line['ink']});"
            " a manifest must hold one modality"
        )
    return next(iter(first_line), "audio")


def write_manifest(path: str | Path, rows: Iterable[dict[str, Any] | ManifestEntry]) -> Path:
    """Write manifest rows as JSONL (UTF-8, not ASCII-escaped); creates the parent folder.

    Args:
        path: the file to write (overwritten).
        rows: JSON objects, or entries (written with ``ManifestEntry.to_dict``).

    Returns:
        ``path`` as a Path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            obj = row.to_dict() if isinstance(row, ManifestEntry) else row
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return path


__all__ = [
    "ManifestEntry",
    "ManifestError",
    "manifest_modality",
    "read_manifest",
    "write_manifest",
]
