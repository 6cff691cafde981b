"""Per-signature derivatives: the callable ``grad`` and friends return generates and compiles
the derivative of each argument-type signature it meets, as numba compiles a function per
signature.

The callable is a ``dispatch.Dispatcher`` (a numba dispatcher, so ``@njit`` code can call it)
over a two-line *wrapper* ``def f_grad(x): return f_grad_typed(x)``, where ``f_grad_typed`` is
a stub with a numba ``@overload``: when numba types a call of it, the overload's typing
function receives the argument types, builds that signature's module
(``transform.built_for``: generated for those types, cached on disk, compiled with
``cache=True``) and returns an implementation calling it. ``@njit`` callers compile the wrapper
into their own code that way, whatever signature they bring.

A call from Python does not compile the wrapper: ``Dispatcher.__call__`` hands it to a second
dispatcher over the same wrapper (``PythonSide``) whose ``compile`` adds the typed function's
own compiled entry for the signature, so the call runs the typed code directly and a warm
start loads it from numba's cache without compiling anything. (Adding a foreign compiled
entry works for calls from Python but not when numba lowers an ``@njit`` caller, which is why
the two dispatchers are separate.)
"""

from __future__ import annotations

from collections.abc import Callable

import numba
from numba.core import sigutils, types
from numba.core.registry import CPUDispatcher

from .cache import recover_damaged_numba_files
from .codegen.emit import GENERATED_PACKAGE
from .dispatch import CallSpec, Dispatcher
from .runtime.stubs import overloaded_stub
from .transform import Signature


def typed_stub(name: str, params: list[str], build: Callable[[tuple], CPUDispatcher]):
    """A Python function ``name(*params)`` numba resolves, per argument types, to a call of
    ``build(types)`` (the typed derivative of those types)."""
    return overloaded_stub(
        name, params, lambda *argtypes: build(tuple(types.unliteral(t) for t in argtypes))
    )


def wrapper(name: str, params: list[str], stub: Callable, namespace: dict, defaults: tuple):
    """``def name(*params): return stub(*params)``, with ``namespace`` as its globals."""
    listed = ", ".join(params)
    hidden = f"_{name}_typed"
    namespace[hidden] = stub
    local: dict[str, object] = {}
    exec(f"def {name}({listed}):\n    return {hidden}({listed})\n", namespace, local)
    function = local[name]
    function.__defaults__ = defaults or None
    function.__module__ = namespace.get("__name__", function.__module__)
    return function


class PythonSide(Dispatcher):
    """The dispatcher behind a call from Python: a new signature gets the typed function's
    compiled entry (``st_typed(signature)`` builds it) instead of a compile of the wrapper."""

    st_typed: Callable[[tuple], CPUDispatcher] | None = None

    def compile(self, sig):
        args, _ = sigutils.normalize_signature(sig)
        args = tuple(args)
        existing = self.overloads.get(args)
        if existing is not None:
            return existing.entry_point
        inner = self.st_typed(args)
        inner.compile(args)
        found = inner.overloads[args]
        self.add_overload(found)
        return found.entry_point


def _parameters(spec: CallSpec) -> list[str]:
    """The wrapper's parameters: the user's, then the cotangent or tangents, named apart."""
    params = list(spec.params)
    for extra in spec.extra:
        while extra in params:
            extra += "_"
        params.append(extra)
    return params


def typed_dispatcher(
    generic: Callable[[], CPUDispatcher],
    user_function: Callable,
    spec: CallSpec,
    typed: Callable[[Signature], CPUDispatcher],
) -> Dispatcher:
    """The callable of one entry point: per signature, ``typed`` gives the compiled derivative
    (a dispatcher of its module); ``generic()`` the type-blind one, whose source forward mode
    differentiates again (``st_ad.jvp(st_ad.grad(f))``), imported only then."""
    name = f"{spec.name}_{spec.kind}"
    params = _parameters(spec)
    compiled: dict[tuple, CPUDispatcher] = {}
    count = len(spec.params)

    def build(argtypes: tuple) -> CPUDispatcher:
        found = compiled.get(argtypes)
        if found is None:
            found = typed(Signature(spec.kind, argtypes[:count], argtypes[count:]))
            recover_damaged_numba_files(found)
            compiled[argtypes] = found
        return found

    stub = typed_stub(f"{name}_typed", params, build)
    namespace = {"__name__": f"{GENERATED_PACKAGE}.{name}"}
    bound = spec.defaults if spec.kind in ("grad", "value_and_grad") else ()
    outer = numba.njit(error_model="numpy")(wrapper(name, params, stub, namespace, bound))
    side = numba.njit(error_model="numpy")(wrapper(name, params, stub, namespace, ()))
    outer.__class__, side.__class__ = Dispatcher, PythonSide
    # numba's finalizer of a dispatcher unregisters the compiled functions in its `overloads`
    # dict when it is collected; those of `side` belong to the typed dispatchers, which stay
    # (njit callers link them): give `side` a dict that finalizer does not know
    side.overloads = type(side.overloads)()
    for d in (outer, side):
        d.st_function, d.st_spec = user_function, spec
    side.st_typed = build
    outer.st_python, outer.st_make_generic, outer.st_compiled = side, generic, compiled
    return outer
