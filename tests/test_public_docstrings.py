"""Public names document what they take and what they give back; the names ``seqrec``
exports show an example too."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

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


def _own_constructor(cls: type) -> bool:
    """Whether seqrec code (or a dataclass of it) defines the constructor ``cls`` runs."""
    if getattr(cls, "_is_protocol", False):
        return False
    for base in cls.__mro__:
        if "__init__" in vars(base):
            return base.__module__.startswith("seqrec")
    return False


def _documented(name: str, obj: object, example: bool = True) -> list[str]:
    """What the docstring of ``obj`` lacks: a text, Args for parameters, Returns for a value,
    and (``example``) an Example."""
    if isinstance(obj, property):
        return [] if inspect.getdoc(obj.fget) else [f"{name}: property without a docstring"]
    doc = inspect.getdoc(obj) or ""
    if not doc:
        return [f"{name}: no docstring"]
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    parameters = [p for p in signature.parameters if p not in ("self", "cls")]
    if inspect.isclass(obj) and not _own_constructor(obj):
        parameters = []  # object's, nn.Module's or a Protocol's (*args, **kwargs)
    problems = [f"{name}: no Example"] if example and "Example:" not in doc else []
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


def _with_members(name: str, obj: object) -> list[tuple[str, object]]:
    if inspect.isclass(obj):
        return [(name, obj), *_public_members(obj)]
    return [(name, obj)] if callable(obj) else []


def _exported() -> list[tuple[str, object]]:
    return [item for name in seqrec.__all__ for item in _with_members(name, getattr(seqrec, name))]


def _module_public(module: ModuleType) -> list[tuple[str, object]]:
    """The classes and functions a module defines and makes public: its ``__all__``, or else
    every name it defines without a leading underscore."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    items = []
    for name in names:
        obj = getattr(module, name)
        defined_here = getattr(obj, "__module__", None) == module.__name__
        if defined_here and (inspect.isclass(obj) or inspect.isfunction(obj)):
            items += _with_members(f"{module.__name__}.{name}", obj)
    return items


MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(seqrec.__path__, "seqrec.")
    if not any(part.startswith("_") for part in info.name.split("."))
)


def test_the_check_finds_a_missing_section():
    def undocumented(path: str) -> str:
        """Reads nothing."""
        return path

    assert _documented("undocumented", undocumented) == [
        "undocumented: no Example",
        "undocumented: takes ['path'] without Args",
        "undocumented: returns str without Returns",
    ]
    assert _documented("undocumented", undocumented, example=False)[0].endswith("without Args")


@pytest.mark.parametrize("name, obj", [pytest.param(n, o, id=n) for n, o in _exported()])
def test_every_exported_name_has_args_returns_and_an_example(name, obj):
    assert _documented(name, obj) == []


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_of_a_module_has_args_and_returns(module_name):
    module = importlib.import_module(module_name)
    problems = [p for n, o in _module_public(module) for p in _documented(n, o, example=False)]
    assert problems == []
