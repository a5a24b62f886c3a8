"""Every name ``seqrec`` exports documents what it takes and what it gives back, with an
example."""

from __future__ import annotations

import inspect

import pytest

import seqrec


def _public_members(cls: type) -> list[tuple[str, object]]:
    members = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property) or inspect.isfunction(value):
            members.append((f"{cls.__name__}.{name}", value))
    return members


def _documented(name: str, obj: object) -> list[str]:
    """What the docstring of ``obj`` lacks: a text, Args for parameters, Returns for a value."""
    if isinstance(obj, property):
        return [] if inspect.getdoc(obj.fget) else [f"{name}: property without a docstring"]
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return [f"{name}: no docstring"]
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    parameters = [p for p in signature.parameters if p not in ("self", "cls")]
    problems = [] if "Example:" in doc else [f"{name}: no Example"]
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return problems
        if parameters and "Args:" not in doc and "Attributes:" not in doc:
            problems.append(f"{name}: takes {parameters} without Args or Attributes")
        return problems
    if parameters and "Args:" not in doc:
        problems.append(f"{name}: takes {parameters} without Args")
    returned = signature.return_annotation
    if returned not in (inspect.Signature.empty, None, "None") and not (
        "Returns:" in doc or "Yields:" in doc
    ):
        problems.append(f"{name}: returns {returned} without Returns")
    return problems


def _exported() -> list[tuple[str, object]]:
    names = []
    for name in seqrec.__all__:
        obj = getattr(seqrec, name)
        if inspect.isclass(obj):
            names += [(name, obj), *_public_members(obj)]
        elif callable(obj):
            names.append((name, obj))
    return names


def test_the_check_finds_a_missing_section():
    def undocumented(path: str) -> str:
        """Reads nothing."""
        return path

    assert _documented("undocumented", undocumented) == [
        "undocumented: no Example",
        "undocumented: takes ['path'] without Args",
        "undocumented: returns str without Returns",
    ]


@pytest.mark.parametrize("name, obj", [pytest.param(n, o, id=n) for n, o in _exported()])
def test_every_exported_name_has_args_and_returns(name, obj):
    assert _documented(name, obj) == []
