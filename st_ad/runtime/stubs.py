"""Python functions that numba compiles as whatever a typing-time function picks.

``overloaded_stub(name, params, resolve)`` is a plain function ``name(*params)`` with a numba
``@overload``: when compiled code calls it, numba passes the argument types to ``resolve``,
which returns the compiled function to call for them, or raises a ``TypingError`` (a located
message, ``checks.located_message``, becomes an StAdError at the user's line). The typed
derivatives of each argument-type signature (``signatures.py``) and the guard against callees
updating an array argument in place (``frontend/argument_writes.py``) are such stubs.
"""

from __future__ import annotations

from collections.abc import Callable

from numba import types
from numba.extending import overload


def overloaded_stub(name: str, params: list[str], resolve: Callable[..., object]) -> Callable:
    """``name(*params)`` (never run from Python) that numba compiles, per argument types, as a
    call of ``resolve(*argtypes)``."""
    listed = ", ".join(params)
    scope: dict[str, object] = {}
    exec(f"def {name}({listed}):\n    raise NotImplementedError\n", scope)  # never run
    stub = scope[name]

    def implementation(*argtypes: types.Type):
        namespace = {"inner": resolve(*argtypes)}
        exec(f"def impl({listed}):\n    return inner({listed})\n", namespace)
        return namespace["impl"]

    typing_scope = {"implementation": implementation}
    exec(f"def typing({listed}):\n    return implementation({listed})\n", typing_scope)
    overload(stub, jit_options={"error_model": "numpy"})(typing_scope["typing"])
    return stub
