"""What a user function computes, as hashes: its source and place, the sources of the user
functions it reaches through calls, and what each of them reads from its module (constants by
value, arrays by data, rules by the source of the rule). The on-disk cache keys transforms by
it, and generated modules name their injected user functions by it."""

from __future__ import annotations

import hashlib
import inspect
import types
from typing import Any

import numpy

from ..rules import lookup
from .calls import call_graph, referenced


def digest_of(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def function_text(func: types.FunctionType) -> str:
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        return func.__code__.co_code.hex()


def array_digest(array: numpy.ndarray) -> str:
    """A hash of an array's data (numba freezes a global array into the machine code)."""
    return digest_of(numpy.ascontiguousarray(array).tobytes())[:12]


def _text_of(obj: object) -> str:
    func = getattr(obj, "py_func", obj)
    return function_text(func) if isinstance(func, types.FunctionType) else repr(obj)


def describe_value(obj: object) -> str:
    """What a global read by user code contributes to a key."""
    if isinstance(obj, (bool, int, float, tuple)) and not isinstance(obj, numpy.ndarray):
        return f"value {obj!r}"
    if isinstance(obj, numpy.ndarray):
        return f"array {obj.dtype} {obj.shape} {array_digest(obj)}"
    if isinstance(obj, types.ModuleType):
        return f"module {obj.__name__}"
    rule = lookup(obj)
    if rule is not None:
        used = sorted(f"{n}:{_text_of(f)}" for n, f in rule.injected.items())
        return f"rule {rule.name} custom={rule.custom} {digest_of(''.join(used))}"
    func = getattr(obj, "py_func", obj)
    if isinstance(func, types.FunctionType):  # its source is in the key through call_graph
        return f"function {func.__module__}.{func.__qualname__} {type(obj).__name__}"
    return f"object {type(obj).__module__}.{type(obj).__qualname__}"


def update_with_dependencies(digest: Any, func: types.FunctionType) -> None:
    """Feed ``digest`` what ``func`` computes: the source and place of every user function it
    reaches, and what each reads from its module."""
    for f in call_graph(func):
        # where it is, too: generated code and its errors name the user's file and lines
        code = f.__code__
        where = f"{code.co_filename}:{code.co_firstlineno}"
        digest.update(f"\n{f.__module__}.{f.__qualname__} {where}\n{function_text(f)}".encode())
        for n, obj in referenced(f).items():
            digest.update(f"{n}={describe_value(obj)}\n".encode())


def dependency_digest(func: types.FunctionType) -> str:
    """A hash of what ``func`` computes: its source, its callees' and the globals they read."""
    digest = hashlib.sha256()
    update_with_dependencies(digest, func)
    return digest.hexdigest()[:12]
