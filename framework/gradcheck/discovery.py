"""Finding what to check inside a layer, a loss or a model, framework-made or student-written.

    walk(obj)                       every object reachable through attributes, lists, dicts
    float64_copy(obj)               a deep copy with every floating-point array in float64
    find_parameters(obj, caches)    the parameters, each with name, value, grad
    forward_caches(obj, ids, ...)   the arrays forward stores for backward (not parameters)
    grad_name(name)                 'W' -> 'dW', '0.W' -> '0.dW'
    positional_count(obj)           how many positional arguments forward takes
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Iterator

import numpy as np

from ..errors import short_repr
from ..module import Parameter


def slots(obj: Any) -> list[tuple[Any, Any]]:
    """(key, value) for what ``obj`` holds: dict items, list or tuple entries, attributes."""
    if isinstance(obj, (np.ndarray, np.random.Generator, np.random.RandomState, str, bytes, type)):
        return []
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, (list, tuple)):
        return list(enumerate(obj))
    return list(getattr(obj, "__dict__", {}).items())


def walk(obj: Any, seen: set[int] | None = None) -> Iterator[Any]:
    """Every object reachable from a layer through attributes, lists, tuples and dicts."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    for _, child in slots(obj):
        yield from walk(child, seen)


def float64_copy(obj: Any) -> Any:
    """A deep copy of ``obj`` in which every floating-point array is float64."""
    try:
        work = copy.deepcopy(obj)
    except Exception as exc:  # pragma: no cover - exotic student objects
        raise TypeError(f"cannot check {obj!r}: it cannot be copied ({exc})") from exc
    for holder in list(walk(work)):
        if not isinstance(holder, tuple):  # a tuple cannot be changed in place
            _widen_floats(holder)
    for p in find_parameters(work):
        if np.asarray(p.value).dtype != np.float64:
            raise TypeError(
                f"parameter {p.name!r} of {short_repr(obj)} is {np.asarray(p.value).dtype} and parameters() returns a "
                "copy of it, so the checker cannot work in float64: keep parameters in float64, or return the arrays themselves"
            )
    return work


def _widen_floats(holder: Any) -> None:
    """Replace every float16/float32 array that ``holder`` holds directly by a float64 copy."""
    for key, value in slots(holder):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float64:
            if isinstance(holder, (dict, list)):
                holder[key] = value.astype(np.float64)
            else:
                setattr(holder, key, value.astype(np.float64))


class ListedParameter:
    """A parameter given as a ``(name, value, grad)`` tuple or list, looked up afresh on each access."""

    def __init__(self, owner: Any, index: int) -> None:
        self.owner, self.index = owner, index

    def _get(self, k: int) -> Any:
        return list(self.owner.parameters())[self.index][k]

    name = property(lambda self: self._get(0))
    value = property(lambda self: self._get(1))
    grad = property(lambda self: self._get(2))


def find_parameters(obj: Any, caches: frozenset[str] = frozenset()) -> list[Any]:
    """The parameters of ``obj``, each with ``name``, ``value``, ``grad``.

    From ``parameters()`` (framework Parameters, or (name, value, grad) sequences); for an
    object without it, every float array attribute ``W`` that has a gradient attribute ``dW``,
    except ``caches``: what forward stores for backward (``self.x`` next to ``self.dx``).
    """
    if hasattr(obj, "parameters"):
        items = list(obj.parameters())
        return [ListedParameter(obj, i) if isinstance(p, (tuple, list)) else p for i, p in enumerate(items)]
    attrs = getattr(obj, "__dict__", {})
    return [
        Parameter(obj, name, name) for name, value in attrs.items()
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and "d" + name in attrs and name not in caches
    ]


def attribute_ids(obj: Any) -> dict[str, int]:
    """The id of every attribute of ``obj``: compared after a forward call by :func:`forward_caches`."""
    return {name: id(value) for name, value in getattr(obj, "__dict__", {}).items()}


def forward_caches(obj: Any, before: dict[str, int], x: np.ndarray, out: Any) -> frozenset[str]:
    """Array attributes that a forward call (``before`` = attribute ids before it) replaced with
    an array shaped like its input or output: what it caches, not parameters."""
    shapes = {np.shape(x), np.shape(out)}
    return frozenset(
        name for name, value in getattr(obj, "__dict__", {}).items()
        if isinstance(value, np.ndarray) and before.get(name) != id(value) and value.shape in shapes
    )


def grad_name(name: str) -> str:
    """'W' -> 'dW', '0.W' -> '0.dW'."""
    prefix, _, attr = name.rpartition(".")
    return f"{prefix}{'.' if prefix else ''}d{attr}"


def positional_count(obj: Any, required: bool = False) -> int:
    """How many positional arguments ``obj.forward`` accepts, or requires (1 for layers, 2 for losses)."""
    try:
        params = inspect.signature(obj.forward).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return 1
    if not required and any(p.kind == p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and (not required or p.default is p.empty)
               for p in params)
