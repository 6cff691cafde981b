"""The compiled derivative as a numba dispatcher whose errors speak the user's language.

``Dispatcher`` is numba's own CPU dispatcher with two hooks: argument types are checked once
per signature before numba compiles (``_check_arguments``), and numba's typing errors, wrong
argument counts and the located errors raised by generated checks (``runtime/checks.py``)
become StAdErrors naming the user's file and line (``_translate``, ``_call_error``).
``CallSpec`` says how an entry point's arguments relate to the user's function.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gast
import numba
import numpy as np
from numba.core.dispatcher import OmittedArg, _CompileStats
from numba.core.errors import NumbaError
from numba.core.registry import CPUDispatcher

from .cache import cache_dir, recover_damaged_numba_files
from .errors import StAdError, library_source
from .frontend.source import FunctionSource, load
from .runtime.checks import MARKER, parse_located


@dataclass(frozen=True)
class CallSpec:
    """How a generated entry point's arguments relate to the user's function: ``kind`` is
    ``grad``, ``value_and_grad``, ``vjp`` (then the output's cotangent follows the
    arguments) or ``tangent`` (then one tangent per differentiated argument)."""

    name: str
    params: tuple[str, ...]
    positions: tuple[int, ...]  # the differentiated arguments
    kind: str
    defaults: tuple = ()  # values of the last len(defaults) parameters

    @property
    def extra(self) -> tuple[str, ...]:
        """The parameters after the user's: the cotangent, or the tangents."""
        if self.kind == "vjp":
            return ("cotangent",)
        if self.kind == "tangent":
            return tuple(f"d{self.params[k]}" for k in self.positions)
        return ()

    def counts(self) -> tuple[int, int]:
        """The fewest and the most arguments a call takes."""
        most = len(self.params) + len(self.extra)
        bound = self.kind in ("grad", "value_and_grad")  # numba binds the defaults
        return (most - len(self.defaults) if bound else most), most

    def expected(self) -> str:
        """What a call takes, in words."""
        params = ", ".join(self.params)
        if self.kind == "vjp":
            return (
                f"vjp({self.name}) takes the {len(self.params)} argument(s) of {self.name}"
                f"({params}), defaults included, then the output's cotangent"
            )
        if self.kind == "tangent":
            return (
                f"jvp({self.name}) takes the {len(self.params)} argument(s) of {self.name}"
                f"({params}), defaults included, then one tangent per differentiated "
                f"argument ({', '.join(self.extra)})"
            )
        low, most = self.counts()
        count = f"{low} to {most}" if low != most else str(most)
        return f"{self.kind}({self.name}) takes {count} argument(s): {self.name}({params})"


_NUMBA_CALL = CPUDispatcher.__call__  # the C type's call slot


class Dispatcher(CPUDispatcher):
    """A numba dispatcher whose errors on user input (compilation, wrong arguments, a check
    failing at run time) become StAdErrors. Calls from ``@njit`` code do not pass through
    ``__call__``: numba types them directly."""

    st_function: Callable | None = None  # the user's function this derivative came from
    st_spec: CallSpec | None = None
    # per-signature derivatives (signatures.py): the dispatcher a call from Python goes to,
    # the type-blind derivative, and the typed ones compiled so far by argument types
    st_python: CPUDispatcher | None = None
    st_make_generic: Callable[[], CPUDispatcher] | None = None
    st_compiled: dict | None = None

    @property
    def st_generic(self) -> CPUDispatcher | None:
        """The type-blind derivative (what ``st_ad.jvp(st_ad.grad(f))`` differentiates)."""
        return None if self.st_make_generic is None else self.st_make_generic()

    @property
    def st_source(self) -> FunctionSource | None:
        # read only when an error needs it: a module read back from the cache has not
        # parsed the user's source
        return None if self.st_function is None else load(self.st_function)

    def st_place(self) -> dict:
        """The user's ``def`` line, for an error (nothing if its source is gone)."""
        try:
            return def_place(self.st_source)
        except StAdError:
            return {}

    def __call__(self, /, *args, **kws):
        # numba's own call, named directly: super() would cost another 0.05 us per call
        target = self if self.st_python is None else self.st_python
        if target is not self and self.st_spec.defaults and not kws:
            args = self._with_defaults(args)
        try:
            return _NUMBA_CALL(target, *args, **kws) if kws else _NUMBA_CALL(target, *args)
        except StAdError:
            raise
        except Exception as exc:
            raise self._call_error(exc, len(args) + len(kws)) from None

    def _with_defaults(self, args: tuple) -> tuple:
        """``args`` completed with the user's defaults (grad and value_and_grad)."""
        spec = self.st_spec
        missing = len(spec.params) - len(args)
        if spec.kind in ("grad", "value_and_grad") and 0 < missing <= len(spec.defaults):
            return args + spec.defaults[len(spec.defaults) - missing :]
        return args

    @property
    def stats(self):
        """numba's cache statistics, of the typed derivatives compiled so far."""
        if self.st_compiled is None:
            return super().stats
        hits, misses = Counter(), Counter()
        for d in self.st_compiled.values():
            hits.update(d.stats.cache_hits)
            misses.update(d.stats.cache_misses)
        return _CompileStats(cache_path=None, cache_hits=hits, cache_misses=misses)

    @property
    def sources(self) -> dict[str, str]:
        """The generated source of each argument-type signature compiled so far."""
        return {
            ", ".join(map(str, argtypes)): Path(inspect.getfile(d.py_func)).read_text()
            for argtypes, d in (self.st_compiled or {}).items()
        }

    def _compile_for_args(self, *args, **kws):
        if self.st_spec is not None:
            _check_arguments(self, args)
        try:
            return super()._compile_for_args(*args, **kws)
        except NumbaError as exc:
            raise _translate(exc, self.st_source) from None
        except ImportError as exc:  # numba's np.dot and @ need scipy's BLAS
            where = self.st_place()
            raise StAdError(
                f"numba needs a missing package to compile this function: {exc}",
                hint="pip install scipy (numba uses its BLAS for np.dot and @)",
                **where,
            ) from None
        except NotImplementedError as exc:  # raised by numba's lowering, past its typing
            raise StAdError(
                f"numba could not compile the derivative code of this function: {exc}",
                hint="numba lacks this form for these argument types (e.g. arrays of layout "
                "'A' from re-binding a name to a view of itself, `x = x[::-1]`, in a loop): "
                "make a copy (`x = x[::-1].copy()`); st_ad.source(f) shows the generated code",
                **self.st_place(),
            ) from None

    def _call_error(self, exc: Exception, count: int) -> StAdError:
        """The StAdError for an exception a call raised outside compilation."""
        text = str(exc)
        where = self.st_place()
        spec = self.st_spec
        if isinstance(exc, TypeError) and _ARITY.match(text) and spec is not None:
            message = f"{spec.expected()}; got {count}"
            numba_count = re.search(r"expected (?:at least )?(\d+)", text)
            if numba_count and int(numba_count.group(1)) not in spec.counts():
                message += f" (numba: {text})"  # the generated function has other parameters
            return StAdError(
                message,
                hint="pass every argument positionally, in the order of the parameters",
                **where,
            )
        return _runtime_error(exc, spec, where)


# numba's messages for a call with the wrong arguments (before anything runs)
_ARITY = re.compile(r"(too many|not enough) arguments|some keyword arguments|missing argument")


def def_place(src: FunctionSource | None) -> dict:
    """The user's ``def`` line, for an error (nothing without the source)."""
    if src is None:
        return {}
    return dict(
        filename=src.filename, lineno=src.file_line(src.tree), source_line=src.text(src.tree)
    )


def _marked(text: str, tag: str) -> re.Match | None:
    """The rest of the line of a check's message ``MARKER + tag``, if ``text`` has one."""
    return re.search(re.escape(MARKER + tag) + r"([^\n]*)", text)


def _translate(exc: Exception, src: FunctionSource | None) -> StAdError:
    text = _ANSI.sub("", str(exc))
    located = _located(text)
    if located is not None:
        return located
    where = def_place(src)
    found = _marked(text, "scalar-output")
    if found:
        kind = re.search(r"returns (.*?), and grad", found.group(1))
        got = f": this `return` gives {kind.group(1)}" if kind else ""
        return StAdError(
            f"grad and value_and_grad need a function that returns a float scalar{got}",
            hint="use st_ad.vjp for array outputs, or reduce the output (e.g. np.sum); "
            "return a float, not an int or a bool",
            **_return_where(src, _user_line(text), where),
        )
    found = _marked(text, "tangent-type:")
    if found:
        arg, _, detail = found.group(1).partition(": ")
        return StAdError(
            f"the tangent of `{arg}` does not match it: {detail}",
            hint=f"pass a float tangent with the shape of `{arg}` (a scalar for a scalar, "
            "an array of the same shape for an array)",
            **where,
        )
    found = _marked(text, "cotangent-type:")
    if found:
        return StAdError(
            f"the cotangent does not match the function's output:{found.group(1)}",
            hint="pass a float cotangent with the shape of the output (a float for a "
            "scalar output)",
            **_return_where(src, None, where),
        )
    if MARKER + "differentiable" in text:
        return StAdError(
            "an argument differentiated against is not a float scalar or float array",
            hint="pass floats (e.g. 1.0, not 1) or float arrays, or change `wrt`",
            **where,
        )
    reason = _numba_reason(text) or type(exc).__name__
    line = _user_line(text)
    if line is not None and src is not None:
        where = dict(where, lineno=line[0], source_line=line[1])
        if line[2]:  # the line is in a callee, maybe in another file
            where["filename"] = line[2]
    return StAdError(
        f"numba could not compile the derivative code of this line: {reason}",
        hint="check the argument types (numba supports this form of the call?); "
        "st_ad.source(f) shows the generated code",
        **where,
    )


def _return_where(
    src: FunctionSource | None, line: tuple[int, str, str | None] | None, default: dict
) -> dict:
    """The place of the ``return`` that produced the function's output: the one numba's
    error points to, else the last ``return`` of the function."""
    if src is None:
        return default
    returns = [n for n in gast.walk(src.tree) if isinstance(n, gast.Return)]
    if not returns:
        return default
    chosen = returns[-1]
    if line is not None and line[2] in (None, src.filename):
        chosen = next((r for r in returns if src.file_line(r) == line[0]), chosen)
    return dict(filename=src.filename, lineno=src.file_line(chosen), source_line=src.text(chosen))


def _located(text: str) -> StAdError | None:
    """The StAdError a check's ``located_message`` (``runtime/checks.py``) describes: the
    generated code raised it naming the user's file, line, text and hint itself."""
    fields = parse_located(text)
    return None if fields is None else StAdError(fields.pop("message"), **fields)


def _runtime_error(exc: Exception, spec: CallSpec | None, where: dict) -> StAdError:
    """The StAdError for an exception the compiled derivative code raised."""
    text = str(exc)
    name = spec.name if spec else "the function"
    located = _located(text)
    if located is not None:
        return located
    found = _marked(text, "tangent-shape:")
    if found:
        arg = found.group(1)
        return StAdError(
            f"the tangent of `{arg}` has a different shape from `{arg}`",
            hint=f"pass a tangent of the shape of `{arg}` (np.shape({arg}))",
            **where,
        )
    if _marked(text, "cotangent-shape"):
        return StAdError(
            f"the cotangent has a different shape from the output of {name}",
            hint="pass a cotangent of the output's shape",
            **where,
        )
    found = _marked(text, "aliased:")
    if found:
        written, _, other = found.group(1).partition(":")
        return StAdError(
            f"the arguments `{written}` and `{other}` share memory, and {name} writes into "
            f"`{written}`: the derivative would not be that of {name}",
            hint=f"pass separate arrays (e.g. {other}.copy())",
            **where,
        )
    first = text.strip().splitlines()[0] if text.strip() else ""  # not numba's "File ..." lines
    return StAdError(
        f"the derivative code of {name} failed while running: {type(exc).__name__}: {first}",
        hint="check the arguments' shapes and values (a tangent or cotangent must have the "
        "shape of its argument or of the output, indices must be in range); "
        "st_ad.source(f) shows the generated code",
        **where,
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REASONS = (
    "No implementation of function",
    "Unknown attribute",
    "Use of unsupported",
    "NumbaTypeError:",
    "NumbaValueError:",
    "Invalid use of",
    "Cannot unify",
    "Can't unify",
    "Cannot determine Numba type",
)


def _numba_reason(text: str) -> str | None:
    """The line of a numba error that says what failed (its first line says only where)."""
    lines = [line.strip() for line in text.splitlines()]
    for k, line in enumerate(lines):
        if line.startswith(_REASONS):
            if line.endswith("signature:") and k + 2 < len(lines):
                return f"{line} {lines[k + 2]}"  # ">>> f(types...)" follows
            return line
    return next((line for line in lines if line and not line.startswith(_CONTEXT)), None)


_CONTEXT = ("Failed in ", "During:", "File ", "<source", "^", "def ", "#")


def _user_line(text: str) -> tuple[int, str, str | None] | None:
    """The user's line behind the generated line numba failed on: the nearest ``# line N:``
    or ``# adjoint of line N:`` comment above it in the generated file, and the user's file
    named in that file's header."""
    # innermost first; numba's and st_ad's own sources (an implementation numba was typing
    # when it failed) are not the user's
    found = (
        m
        for m in re.finditer(r"typing of [^\n]*? at (\S+\.py) \((\d+)\)", text)
        if not library_source(Path(m.group(1)).resolve())
    )
    m = next(found, None)
    if m is None:
        return None
    path, row = Path(m.group(1)).resolve(), int(m.group(2))
    if path.parent != (cache_dir() / "generated").resolve():
        # a user function numba compiled as it is (a callee's primal)
        return row, linecache.getline(str(path), row).strip(), str(path)
    try:
        generated = Path(m.group(1)).read_text().splitlines()
    except OSError:
        return None
    origins = [re.match(r"# from (.*), line \d+\.", row) for row in generated[:3]]
    filename = next((o.group(1) for o in origins if o), None)
    for row in reversed(generated[: int(m.group(2))]):
        found = re.match(r"\s*# (?:adjoint of |reverse of the loop at )?line (\d+): (.*)", row)
        if found:
            return int(found.group(1)), found.group(2), filename
    return None


# call-time argument checks (at compilation, once per argument-type signature) ----------
def _describe(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"the bool {value!r}"
    if isinstance(value, (int, np.integer)):
        return f"the int {value!r}"
    if isinstance(value, (complex, np.complexfloating)):
        return "a complex number"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    if isinstance(value, (str, bytes)):
        return "a string"
    return f"a {type(value).__name__}"


def _is_float(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "f"
    return isinstance(value, (float, np.floating))


def _float_hint(value: Any, name: str) -> str:
    kind = value.dtype.kind if isinstance(value, np.ndarray) else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return f"pass a float (e.g. {value}.0)"
    if kind is not None and kind in "iub":
        return f"pass {name}.astype(np.float64)"
    if kind == "c" or isinstance(value, (complex, np.complexfloating)):
        return (
            "st_ad differentiates real-valued code: pass the real and imaginary parts as "
            "separate float arguments"
        )
    if isinstance(value, (list, tuple)):
        return f"pass np.asarray({name}, dtype=np.float64)"
    return "pass a float or a float array"


_OPAQUE = (list, dict, set, frozenset, str, bytes)


def _check_arguments(dispatcher: Dispatcher, args: tuple) -> None:
    """Reject argument types the generated code cannot take, naming the argument."""
    spec = dispatcher.st_spec
    n = len(spec.params)
    values = [a.value if isinstance(a, OmittedArg) else a for a in args]
    problems = [
        p
        for k, value in enumerate(values[:n])
        if (p := _argument_problem(spec, k, value)) is not None
    ]
    problems += _extra_problems(spec, args[:n], args[n:])
    if problems:
        message, hint = problems[0]
        raise StAdError(message, hint=hint, **dispatcher.st_place())


def _argument_problem(spec: CallSpec, k: int, value: Any) -> tuple[str, str] | None:
    """What is wrong with ``value`` as argument ``k``, and what to do (None if nothing)."""
    name = spec.params[k]
    if k in spec.positions and not _is_float(value):
        return (
            f"argument `{name}` of {spec.name} is differentiated (wrt) but is "
            f"{_describe(value)}: only float scalars and float arrays can be",
            f"{_float_hint(value, name)}, or leave `{name}` out of wrt",
        )
    if isinstance(value, _OPAQUE):
        hint = (
            f"pass np.asarray({name})"
            if isinstance(value, list)
            else "keep it out of the differentiated function; pass numbers or arrays"
        )
        message = f"argument `{name}` of {spec.name} is {_describe(value)}"
        return message + ": the derivative code takes numbers and NumPy arrays", hint
    return None


def _extra_problems(spec: CallSpec, args: tuple, extra: tuple) -> list[tuple[str, str]]:
    """Problems with the tangents of a jvp call or the cotangent of a vjp call."""
    problems = []
    if spec.kind == "tangent":
        for k, tangent, label in zip(spec.positions, extra, spec.extra, strict=False):
            name = spec.params[k]
            primal = args[k]
            hint = f"pass a float tangent of the shape of `{name}` (np.shape({name}))"
            if not _is_float(tangent):
                message = f"the tangent `{label}` of `{name}` is {_describe(tangent)}"
                problems.append((message + ": tangents are floats or float arrays", hint))
            elif np.ndim(tangent) != np.ndim(primal):
                message = (
                    f"the tangent `{label}` of `{name}` has {np.ndim(tangent)} dimension(s), "
                    f"and `{name}` has {np.ndim(primal)}"
                )
                problems.append((message + ": a tangent has the shape of its argument", hint))
    if spec.kind == "vjp" and extra and not _is_float(extra[0]):
        problems.append(
            (
                f"the cotangent of {spec.name}'s output is {_describe(extra[0])}",
                f"{_float_hint(extra[0], 'cotangent')}; a cotangent has the shape of the "
                "output (a float for a scalar output)",
            )
        )
    return problems


# building ---------------------------------------------------------------------------------
def as_dispatcher(func: Any, user_function: Callable, spec: CallSpec) -> Dispatcher:
    dispatcher = func if isinstance(func, CPUDispatcher) else numba.njit(cache=True)(func)
    if spec.defaults and spec.kind in ("grad", "value_and_grad"):
        dispatcher = with_defaults(dispatcher, spec.defaults)
    dispatcher.__class__ = Dispatcher
    dispatcher.st_function = user_function
    dispatcher.st_spec = spec
    recover_damaged_numba_files(dispatcher)
    return dispatcher


@functools.lru_cache(maxsize=256)
def with_defaults(dispatcher: CPUDispatcher, defaults: tuple) -> CPUDispatcher:
    """A dispatcher of the generated function with the user's defaults: numba binds an
    argument left out (from Python or from @njit code) to its default."""
    py = dispatcher.py_func
    clone = type(py)(py.__code__, py.__globals__, py.__name__, defaults, py.__closure__)
    clone.__qualname__, clone.__module__ = py.__qualname__, py.__module__
    options = {k: v for k, v in dispatcher.targetoptions.items() if k != "nopython"}
    return numba.njit(cache=True, **options)(clone)
