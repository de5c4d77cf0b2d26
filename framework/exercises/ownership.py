"""Written here, not taken from the framework: the checks compare with the framework (the reference
implementation), so an exercise must not use it. ``require_own_class`` and ``require_own_function``
fail when a graded class or function is taken or derived from ``framework``, or when its code refers
to anything from it; ``framework_references`` lists what it refers to, found by walking the bytecode
of its methods (and of the notebook's own helpers they call).
"""

from __future__ import annotations

import dis
import functools
import re
import sys
import types

from .compare import describe

__all__ = ["require_own_class", "require_own_function", "framework_references"]


_MODULE_NAME = re.compile(r"framework(\.\w+)*")
_GLOBAL_LOADS = {"LOAD_GLOBAL", "LOAD_NAME"}
_ATTRIBUTE_LOADS = {"LOAD_ATTR", "LOAD_METHOD"}


def _is_framework_module_name(name):
    return isinstance(name, str) and _MODULE_NAME.fullmatch(name) is not None


def _framework_name(obj):
    """'framework.ReLU' for something from the framework package (a module, class, function or an
    object of one of its classes), None otherwise."""
    try:
        if isinstance(obj, types.ModuleType):
            name = obj.__name__
            return name if _is_framework_module_name(name) else None
        kind = obj if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) else type(obj)
        module = getattr(obj, "__module__", None)
        if not isinstance(module, str) or not _is_framework_module_name(module):
            module = getattr(kind, "__module__", None)
        if not isinstance(module, str) or not _is_framework_module_name(module):
            return None
        qualname = getattr(kind, "__qualname__", type(kind).__name__)
        package = sys.modules.get("framework")
        public = package is not None and vars(package).get(qualname) is kind
        name = f"framework.{qualname}" if public else f"{module}.{qualname}"
        return name if kind is obj else f"{name} (an object of it)"
    except Exception:  # an object that fails when asked for its module is not the framework's
        return None


def _own_class(cls, module):
    return isinstance(cls, type) and cls.__module__ == module


def _members(cls):
    """(attribute name, value) of everything a class defines itself, functions unwrapped."""
    for attr, value in vars(cls).items():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            for part, fn in (("getter", value.fget), ("setter", value.fset), ("deleter", value.fdel)):
                if fn is not None:
                    yield f"{attr} ({part})", fn
            continue
        if attr in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__",
                    "__static_attributes__"):
            continue
        yield attr, value


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _function_references(fn, seen):
    """What a function refers to from the framework, as (thing, through): thing like 'framework.ReLU',
    through the names of the notebook's own helpers it goes through (empty when direct)."""
    if id(fn) in seen:
        return
    seen.add(id(fn))
    if isinstance(fn, functools.partial):
        name = _framework_name(fn.func)
        if name:
            yield name, ()
        else:
            yield from _value_references(fn.func, getattr(fn.func, "__module__", None), seen)
        return
    if not isinstance(fn, types.FunctionType):
        return
    globals_, module = fn.__globals__, fn.__globals__.get("__name__")
    # what it was given when it was defined: default values, closure cells
    values = list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values())
    for cell in fn.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    for value in values:
        yield from _value_references(value, module, seen)
    # what its code (and the code of the functions, lambdas and comprehensions inside it) names
    for code in _code_objects(fn.__code__):
        for const in code.co_consts:
            if _is_framework_module_name(const):  # importlib.import_module("framework"), sys.modules[...]
                yield const, ()
        instructions = list(dis.get_instructions(code))
        for i, ins in enumerate(instructions):
            if ins.opname == "IMPORT_NAME" and _is_framework_module_name(ins.argval):
                yield ins.argval, ()
            elif ins.opname in _GLOBAL_LOADS and isinstance(ins.argval, str) and ins.argval in globals_:
                value = globals_[ins.argval]
                name = _framework_name(value)
                if name and isinstance(value, types.ModuleType):
                    after = instructions[i + 1] if i + 1 < len(instructions) else None
                    if after is not None and after.opname in _ATTRIBUTE_LOADS:
                        name = f"{name}.{after.argval}"
                if name:
                    yield name, ()
                else:
                    for thing, through in _value_references(value, module, seen):
                        yield thing, (ins.argval, *through)


def _value_references(value, module, seen):
    """Framework references of a value a function uses: the value itself, or, for the notebook's
    own functions, classes and objects of its classes, what their code refers to."""
    name = _framework_name(value)
    if name:
        yield name, ()
    elif isinstance(value, (types.FunctionType, functools.partial)):
        if isinstance(value, functools.partial) or value.__globals__.get("__name__") == module:
            yield from _function_references(value, seen)
    elif isinstance(value, type):
        if _own_class(value, module):
            yield from _class_references(value, seen)
    elif _own_class(type(value), module):
        yield from _class_references(type(value), seen)


def _member_references(cls, new_seen):
    """(member, value, thing, through) for a class of the notebook: its framework base classes
    (member and value None) and what each member its own classes define refers to.
    ``new_seen()`` gives the set of what the walk from one member has visited."""
    for klass in cls.__mro__:
        base = _framework_name(klass)
        if base:
            yield None, None, f"{base} (as a base class)", ()
            continue
        if klass.__module__ != cls.__module__:
            continue  # object, and classes of other libraries
        for attr, value in _members(klass):
            for thing, through in _value_references(value, cls.__module__, new_seen()):
                yield attr, value, thing, through


def _class_references(cls, seen):
    """The framework references of a class the notebook's code uses, as (thing, through)."""
    if id(cls) in seen:
        return
    seen.add(id(cls))
    for attr, value, thing, through in _member_references(cls, lambda: seen):
        function = attr is None or isinstance(value, (types.FunctionType, functools.partial))
        yield thing, through if function else (attr, *through)


def framework_references(obj, name=None):
    """Where a class's methods (or a function) refer to anything from the ``framework`` package, as
    lines like 'ReLU.forward uses framework.ReLU'. What the code names counts: a global or a closure
    bound to a framework module, class, function or object, an import of it, a default value, and
    the same in the notebook's own helpers that it calls. Objects it is given as arguments at run
    time (a Sequential of framework layers built by a test) are not references."""
    name = name or getattr(obj, "__qualname__", type(obj).__name__)
    if isinstance(obj, type):  # each member on its own, so that each names what it uses
        found = [(name if attr is None else f"{name}.{attr}", thing, through)
                 for attr, _, thing, through in _member_references(obj, set)]
    else:
        found = [(name, thing, through) for thing, through in _function_references(obj, set())]
    lines = []
    for where, thing, through in found:
        line = f"{where} uses {thing}" + (f" (through {' -> '.join(through)})" if through else "")
        if line not in lines:
            lines.append(line)
    return lines


def _origin(obj):
    module = getattr(obj, "__module__", None)
    return f"{module}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def require_own_class(cls, name):
    """The graded classes must be written in this notebook with NumPy: not imported from the
    framework, nor derived from it, and without using it in their methods."""
    if not isinstance(cls, type):
        raise AssertionError(f"{name} must be a class defined in this notebook, got {describe(cls)}")
    borrowed = [_framework_name(c) for c in cls.__mro__ if _framework_name(c)]
    if cls.__module__ != "__main__" or borrowed:
        origin = borrowed[0] if borrowed else _origin(cls)
        raise AssertionError(f"{name} must be written in this notebook, not taken or derived from {origin}")
    uses = framework_references(cls, name)
    if uses:
        raise AssertionError(f"{uses[0]}: write it yourself with NumPy")


def require_own_function(fn, name, advice="write it yourself with NumPy"):
    """The same for a graded function: defined in this notebook, and without using the framework."""
    if not isinstance(fn, types.FunctionType):
        raise AssertionError(f"{name} must be a function defined in this notebook, got {describe(fn)}")
    if fn.__module__ != "__main__":
        raise AssertionError(f"{name} must be written in this notebook, not taken from {_origin(fn)}")
    uses = framework_references(fn, name)
    if uses:
        raise AssertionError(f"{uses[0]}: {advice}")

