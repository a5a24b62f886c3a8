"""Parsing an XML ink file with errors that name the file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from seqrec.ink.ink import InkError


def parse_xml(path: Path) -> ET.Element:
    """The root element of an XML file.

    Args:
        path: the XML file.

    Returns:
        The document's root element.

    Raises:
        InkError: naming the file, for a missing, unreadable or malformed file.
    """
    try:
        return ET.parse(path).getroot()
    except FileNotFoundError:
        raise InkError(f"{path}: file not found") from None
    except OSError as err:
        raise InkError(f"{path}: unreadable ({err.strerror})") from None
    except ET.ParseError as err:
        raise InkError(f"{path}: malformed XML ({err})") from None
