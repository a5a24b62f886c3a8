"""A missing optional dependency is named with the extra that installs it."""

from __future__ import annotations

import pytest

from seqrec.extras import require


def test_a_missing_module_names_its_extra():
    with pytest.raises(ImportError, match=r"pip install 'seqrec\[onnx\]'"):
        require("onnx", "no_such_module_for_seqrec")
    assert require("report", "matplotlib.figure").Figure is not None
    with pytest.raises(ValueError, match="unknown extra"):
        require("video", "matplotlib")
