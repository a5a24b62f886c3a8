"""The examples in the public docstrings run (those that need a trained model are marked
to skip)."""

from __future__ import annotations

import doctest

import pytest

import seqrec.ensemble
import seqrec.ink.ink
import seqrec.metrics
import seqrec.recognizer

MODULES = [seqrec.metrics, seqrec.recognizer, seqrec.ensemble, seqrec.ink.ink]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.failed == 0
