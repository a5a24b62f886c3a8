"""Reading ink files by extension."""

from __future__ import annotations

import json
from pathlib import Path

from seqrec.ink.iam_xml import read_iam_xml
from seqrec.ink.ink import Ink, InkError
from seqrec.ink.inkml import read_inkml


def read_json_ink(path: Path) -> Ink:
    """seqrec's own JSON ink (see Ink.to_dict).

    Args:
        path: the JSON ink file.

    Returns:
        The ink, its source set to ``path``.

    Raises:
        InkError: for a missing or unreadable file, malformed JSON or an invalid ink dict.
    """
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InkError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InkError(f"{path}: unreadable JSON ink ({err})") from None
    return Ink.from_dict(data, str(path))


READERS = {".json": read_json_ink, ".xml": read_iam_xml, ".inkml": read_inkml}
"""Ink readers by lower-case file extension."""


def read_ink(path: Path) -> Ink:
    """Dispatch on the file extension to the reader in ``READERS``.

    Args:
        path: an ink file: ``.json``, ``.xml`` (IAM-OnDB) or ``.inkml`` (case-insensitive).

    Returns:
        The ink the file's reader returns.

    Raises:
        InkError: for an unknown extension (naming the file), or from the reader.
    """
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted(READERS))
        raise InkError(f"{path}: unknown ink extension {path.suffix!r} (known: {known})")
    return reader(path)
