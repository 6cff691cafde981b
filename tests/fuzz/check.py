"""Check one program in every mode against plain Python and finite differences.

``check_program(program_or_path)`` imports the program from a real ``.py`` file (st_ad reads
source with ``inspect``) and runs:

1. the plain Python value (the reference; ``numba.njit`` stubbed out);
2. ``st_ad.value_and_grad``: the value against the reference, the gradient against central
   finite differences;
3. ``st_ad.grad`` against the same;
4. ``st_ad.vjp`` with a random cotangent ``u`` against ``J^T u``;
5. ``st_ad.jvp`` with random tangents: its value and ``J v``;
6. the dot-product identity ``<vjp(u), v> == <u, jvp(v)>``;

and after every st_ad call, that the arguments were not modified. For array outputs
``grad`` and ``value_and_grad`` must raise ``st_ad.StAdError``. Where the finite differences
at two step sizes disagree the derivative check is a ``kink`` (skipped, counted).

The program's class is the most severe of its checks: ``wrong value`` > ``wrong
derivative`` > ``crash`` > ``unsupported`` > ``kink`` > ``correct``. ``invalid`` means the
program is outside the subset, not that st_ad failed: its plain Python function fails, or
(checked when st_ad's error is one of numba's own limits, ``NUMBA_LIMITS``) ``numba.njit``
cannot compile it either.
A wrong value or derivative where ``numba.njit`` of the plain program itself gives another
value than Python (an ill-conditioned program) is ``invalid`` too.
``unsupported`` is an ``StAdError`` naming the program's file and a line in it; any other
error, an ``StAdError`` without such a line, or a modified argument is a ``crash``.

``python -m tests.fuzz.check CASE.py [--modes grad,vjp]`` checks one saved case.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import itertools
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import st_ad

from .fd import LARGE_STEP, SMALL_STEP, Jacobians
from .outcome import Check, Outcome, classify
from .program import FUNC_NAME, Program, Wrt, plain_namespace, wrt_indices

MODES = ("value_and_grad", "grad", "vjp", "jvp")
CHECK_SEED = 20240611  # cotangents and tangents

# (value, derivative vs finite differences, dot-product identity) relative tolerances
TOLERANCES = {"float64": (1e-9, 1e-5, 1e-9), "float32": (1e-4, 2e-3, 1e-4)}
KINK_TOL = 1e-4  # finite differences at the two steps disagree by more: a kink


@dataclasses.dataclass
class Case:
    """A program imported for checking."""

    f: Callable  # from the real module: what st_ad transforms
    plain: Callable  # numba stubbed: the reference
    args: tuple
    wrt: Wrt
    indices: tuple[int, ...]
    path: Path
    nlines: int
    label: str

    @property
    def float32(self) -> bool:
        return any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in self.args)


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------

_COUNTER = itertools.count()
_WORKDIR: Path | None = None


def workdir() -> Path:
    """Where programs are written to be imported: ``$ST_AD_FUZZ_WORKDIR`` (each worker's
    own), else one shared temporary folder. Files are named by their content, so a program
    always has the same path, and an error st_ad cached for it names an existing file."""
    global _WORKDIR
    if _WORKDIR is None:
        root = os.environ.get("ST_AD_FUZZ_WORKDIR")
        _WORKDIR = Path(root) if root else Path(tempfile.gettempdir()) / "st_ad_fuzz_programs"
        _WORKDIR.mkdir(parents=True, exist_ok=True)
    return _WORKDIR


def load(program_or_path: Program | str | Path) -> Case:
    """Import a program (written to a temporary file) or a case file (in place)."""
    if isinstance(program_or_path, Program):
        text = program_or_path.text()
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        path = workdir() / f"fuzz_{digest}.py"
        if not path.exists():
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(text)
            os.replace(partial, path)
        label = program_or_path.label or path.name
    else:
        path = Path(program_or_path).resolve()
        text = path.read_text()
        label = path.name
    name = f"st_ad_fuzz_{path.stem}_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    plain = plain_namespace(text)
    source_of_f = text  # positions of wrt names come from f's signature
    return Case(
        f=getattr(module, FUNC_NAME),
        plain=_on_copies(plain[FUNC_NAME]),
        args=tuple(module.ARGS),
        wrt=module.WRT,
        indices=wrt_indices(source_of_f, module.WRT),
        path=path,
        nlines=len(text.splitlines()),
        label=label,
    )


def _on_copies(fn: Callable) -> Callable:
    """``fn`` called on copies of its array arguments: a program may write into its
    parameters, and every reference evaluation must start from the same inputs."""

    def call(*args: Any) -> Any:
        return fn(*_copy(args))

    return call


# ---------------------------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------------------------


def _f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _scale(want: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0


def _brief(x: Any) -> str:
    return np.array2string(_f64(x), precision=8, threshold=30, max_line_width=100)


def compare_value(name: str, got: Any, want: np.ndarray, rtol: float) -> Check:
    """A primal value against the reference: ``|got - want| <= rtol * max(1, max|want|)``."""
    g = _f64(got)
    if g.shape != want.shape:
        return Check(name, "wrong value", f"shape {g.shape}, want {want.shape}")
    err = float(np.max(np.abs(g - want))) / _scale(want) if g.size else 0.0
    if np.all(np.isfinite(g)) and err <= rtol:
        return Check(name, "ok", f"(rel err {err:.1e})")
    return Check(
        name,
        "wrong value",
        f"rel err {err:.2e} > {rtol:.0e}\ngot  {_brief(g)}\nwant {_brief(want)}",
    )


def compare_derivative(
    name: str,
    got: Sequence,
    small: Sequence,
    large: Sequence,
    tol: float,
    dtypes: Sequence[Any] | None = None,
) -> Check:
    """Derivatives (one array per wrt argument) against finite differences at two steps.

    An entry is wrong when it misses both estimates; if every wrong entry is one where the
    two estimates disagree (a kink or branch switch), the check is a ``kink``.
    """
    for k, (g, s) in enumerate(zip(got, small, strict=True)):
        if np.shape(g) != np.shape(s):
            return Check(
                name, "wrong derivative", f"argument {k}: shape {np.shape(g)}, want {np.shape(s)}"
            )
        if dtypes is not None and dtypes[k] is not None:
            actual = np.asarray(g).dtype
            if actual != dtypes[k]:
                return Check(
                    name,
                    "wrong derivative",
                    f"argument {k}: dtype {actual}, want {np.dtype(dtypes[k])}",
                )
    g = np.concatenate([_f64(x).ravel() for x in got]) if got else np.zeros(0)
    s = np.concatenate([_f64(x).ravel() for x in small]) if small else np.zeros(0)
    lg = np.concatenate([_f64(x).ravel() for x in large]) if large else np.zeros(0)
    scale = _scale(s)
    with np.errstate(invalid="ignore"):
        miss = ~((np.abs(g - s) <= tol * scale) | (np.abs(g - lg) <= tol * scale))
        kinks = np.abs(s - lg) > KINK_TOL * scale
    err = float(np.max(np.abs(g - s))) / scale if g.size else 0.0
    numbers = (
        f"got  {_brief(g)}\nfd   {_brief(s)} (h={SMALL_STEP:g})\n"
        f"fd   {_brief(lg)} (h={LARGE_STEP:g})"
    )
    if not miss.any():
        return Check(name, "ok", f"(rel err {err:.1e})")
    if (miss <= kinks).all():
        steps = float(np.max(np.abs(s - lg))) / scale
        return Check(
            name, "kink", f"finite differences at the two steps differ by {steps:.1e}\n{numbers}"
        )
    return Check(
        name,
        "wrong derivative",
        f"rel err {err:.2e} > {tol:.0e} "
        f"(entries {np.flatnonzero(miss & ~kinks).tolist()})\n{numbers}",
    )


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

_WHERE = re.compile(r'File "([^"]+)", line (\d+)')


def classify_error(exc: BaseException, case: Case, name: str) -> Check:
    """``unsupported`` for an StAdError naming the program's file and a line in it; else
    ``crash``."""
    if isinstance(exc, st_ad.StAdError):
        text = str(exc)
        first = text.splitlines()[0] if text else type(exc).__name__
        places = [(exc.filename, exc.lineno)] if getattr(exc, "filename", None) else []
        places += [(m.group(1), int(m.group(2))) for m in _WHERE.finditer(text)]
        for filename, lineno in places:
            if (
                filename
                and _same_file(filename, case.path)
                and lineno
                and 1 <= int(lineno) <= case.nlines
            ):
                return Check(name, "unsupported", text)
        return Check(
            name, "crash", f"StAdError that names no line of the program: {first}\n" + text
        )
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(tb[-6:]).rstrip()
    return Check(name, "crash", f"{type(exc).__name__}: {_first_line(exc)}\n{tail}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _same_file(a: str, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve()
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# the checker
# ---------------------------------------------------------------------------------------------


class Checker:
    """Runs the checks of one case; see the module docstring."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.checks: list[Check] = []
        self.pristine = _copy(case.args)
        self.dtype = "float32" if case.float32 else "float64"
        self.value_tol, self.deriv_tol, self.dot_tol = TOLERANCES[self.dtype]
        self.ref = _f64(case.plain(*_copy(case.args)))
        self.scalar = self.ref.ndim == 0
        self.jac = Jacobians(case.plain, case.args, case.indices)
        rng = np.random.default_rng(CHECK_SEED)
        if self.scalar:
            self.u: Any = float(rng.uniform(0.5, 1.5) * rng.choice((-1.0, 1.0)))
        else:
            self.u = rng.uniform(-1.0, 1.0, self.ref.shape)
        self.v = [_tangent(rng, case.args[i]) for i in case.indices]
        self.multi = isinstance(case.wrt, tuple)
        self.vjp_result: list | None = None
        self.jvp_result: np.ndarray | None = None

    # -- helpers -----------------------------------------------------------------------------

    def call(self, name: str, fn: Callable[[], Any]) -> tuple[bool, Any, float]:
        """Run one st_ad call; record an error or a modified argument as a check."""
        start = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - every error is classified
            self.checks.append(classify_error(exc, self.case, name))
            self.restore(name)
            return False, None, time.perf_counter() - start
        self.restore(name)
        return True, result, time.perf_counter() - start

    def restore(self, name: str) -> None:
        for k, (now, before) in enumerate(zip(self.case.args, self.pristine, strict=True)):
            if isinstance(before, np.ndarray) and not np.array_equal(now, before):
                self.checks.append(
                    Check(f"{name}.inputs", "crash", f"st_ad modified argument {k} in place")
                )
                now[...] = before

    def parts(self, name: str, result: Any) -> list | None:
        """The per-argument results of a gradient or vjp call (a tuple for a tuple wrt)."""
        if not self.multi:
            return [result]
        if isinstance(result, tuple | list) and len(result) == len(self.case.indices):
            return list(result)
        self.checks.append(
            Check(
                name,
                "wrong derivative",
                f"returned {type(result).__name__}, want a tuple of {len(self.case.indices)}",
            )
        )
        return None

    def expected_dtypes(self) -> list:
        return [
            a.dtype if isinstance(a, np.ndarray) else None
            for a in (self.case.args[i] for i in self.case.indices)
        ]

    def transform(self, kind: Callable) -> Callable:
        return kind(self.case.f, wrt=self.case.wrt)

    # -- modes -------------------------------------------------------------------------------

    def gradient_mode(self, name: str) -> None:
        with_value = name == "value_and_grad"
        kind = st_ad.value_and_grad if with_value else st_ad.grad
        ok, result, seconds = self.call(name, lambda: self.transform(kind)(*self.case.args))
        if not self.scalar:
            self.expect_rejection(name, ok)
            return
        if not ok:
            return
        grads = result
        if with_value:
            if not (isinstance(result, tuple) and len(result) == 2):
                self.checks.append(Check(name, "wrong value", "did not return (value, grad)"))
                return
            value, grads = result
            self.checks.append(compare_value(f"{name}.value", value, self.ref, self.value_tol))
        parts = self.parts(name, grads)
        if parts is not None:
            small, large = self.jac.both()
            check = compare_derivative(
                f"{name}.grad" if with_value else name,
                parts,
                small,
                large,
                self.deriv_tol,
                self.expected_dtypes(),
            )
            check.detail += f" [{seconds:.1f} s]" if check.status == "ok" else ""
            self.checks.append(check)

    def expect_rejection(self, name: str, ok: bool) -> None:
        errors = [c for c in self.checks if c.name == name]
        if ok:
            self.checks.append(Check(name, "crash", "accepted a function with an array output"))
        elif (
            errors
            and errors[-1].status in ("unsupported", "crash")
            and errors[-1].detail.startswith(("st_ad:", "StAdError"))
        ):
            self.checks.remove(errors[-1])
            self.checks.append(Check(name, "ok", "(array output rejected)"))

    def vjp_mode(self) -> None:
        ok, result, seconds = self.call(
            "vjp", lambda: self.transform(st_ad.vjp)(*self.case.args, self.u)
        )
        if not ok:
            return
        parts = self.parts("vjp", result)
        if parts is None:
            return
        self.vjp_result = parts
        u = _f64(self.u)
        check = compare_derivative(
            "vjp",
            parts,
            self.jac.vjp(SMALL_STEP, u),
            self.jac.vjp(LARGE_STEP, u),
            self.deriv_tol,
            self.expected_dtypes(),
        )
        check.detail += f" [{seconds:.1f} s]" if check.status == "ok" else ""
        self.checks.append(check)

    def jvp_mode(self) -> None:
        ok, result, seconds = self.call(
            "jvp", lambda: self.transform(st_ad.jvp)(*self.case.args, *self.v)
        )
        if not ok:
            return
        if not (isinstance(result, tuple) and len(result) == 2):
            self.checks.append(Check("jvp", "wrong value", "did not return (out, tangent)"))
            return
        out, tangent = result
        self.checks.append(compare_value("jvp.value", out, self.ref, self.value_tol))
        self.jvp_result = _f64(tangent)
        check = compare_derivative(
            "jvp.tangent",
            [tangent],
            [self.jac.jvp(SMALL_STEP, self.v)],
            [self.jac.jvp(LARGE_STEP, self.v)],
            self.deriv_tol,
        )
        check.detail += f" [{seconds:.1f} s]" if check.status == "ok" else ""
        self.checks.append(check)

    def dot_check(self) -> None:
        """``<vjp(u), v> == <u, jvp(v)>``: both from st_ad, no finite differences."""
        if self.vjp_result is None or self.jvp_result is None:
            return
        if self.jvp_result.shape != self.ref.shape:
            return
        if any(np.shape(g) != np.shape(v) for g, v in zip(self.vjp_result, self.v, strict=True)):
            return
        left_terms = [_f64(g) * _f64(v) for g, v in zip(self.vjp_result, self.v, strict=True)]
        left = float(sum(np.sum(t) for t in left_terms))
        right_terms = _f64(self.u) * self.jvp_result
        right = float(np.sum(right_terms))
        scale = max(
            1.0,
            sum(float(np.sum(np.abs(t))) for t in left_terms),
            float(np.sum(np.abs(right_terms))),
        )
        if np.isfinite(left) and np.isfinite(right) and abs(left - right) <= self.dot_tol * scale:
            self.checks.append(Check("dot", "ok", f"(rel err {abs(left - right) / scale:.1e})"))
        else:
            self.checks.append(
                Check(
                    "dot", "wrong derivative", f"<vjp(u), v> = {left!r} but <u, jvp(v)> = {right!r}"
                )
            )

    def run(self, modes: Sequence[str] = MODES) -> list[Check]:
        for mode in modes:
            if mode in ("value_and_grad", "grad"):
                self.gradient_mode(mode)
            elif mode == "vjp":
                self.vjp_mode()
            elif mode == "jvp":
                self.jvp_mode()
            else:
                raise ValueError(f"unknown mode {mode!r}")
        self.dot_check()
        return self.checks


def _numba_plain(case: Case) -> Callable:
    """The program's ``f`` compiled by ``numba.njit``, every function of it jitted."""
    import types

    import numba

    namespace: dict[str, Any] = {"__name__": "st_ad_fuzz_numba_check"}
    exec(compile(case.path.read_text(), str(case.path), "exec"), namespace)  # noqa: S102
    for name, value in list(namespace.items()):
        if isinstance(value, types.FunctionType):
            namespace[name] = numba.njit(value)
    return namespace[FUNC_NAME]


def numba_disagrees(case: Case, ref: np.ndarray, rtol: float) -> str:
    """Why numba's own value of the plain program is not Python's, or ``""``.

    Where they differ (sin of 1e191, say: a program whose values grow without bound, which
    the generator's bounds do not foresee) the reference cannot judge st_ad, whose primal is
    numba-compiled code too."""
    try:
        got = _numba_plain(case)(*_copy(case.args))
    except Exception:  # noqa: BLE001 - numba cannot run it: it does not explain the miss
        return ""
    check = compare_value("numba", got, ref, rtol)
    if check.status == "ok":
        return ""
    return check.detail.splitlines()[0]


def numba_typing_problem(case: Case) -> str:
    """Why ``numba.njit`` cannot type the plain program (every function jitted), or ``""``.

    Only a failure to unify types counts: it means the program is outside the subset (one
    type per name), not that st_ad failed. (Forms st_ad supports and numba lacks, such as
    ``np.mean(x, axis=0)``, fail differently and are not excused.)
    """
    try:
        _numba_plain(case)(*_copy(case.args))
    except Exception as exc:  # noqa: BLE001 - only the message matters
        text = str(exc)
        for phrase in NUMBA_LIMITS:
            if phrase in text:
                return next((line.strip() for line in text.splitlines() if phrase in line), "")
    return ""


# What numba itself cannot compile: one type per name at a merge, (numba 0.68) a ufunc on a
# name re-bound to a view of itself in a loop (layout 'A'), and np.dot of arrays of two
# dtypes (float64 zeros and a float32 argument), which plain njit rejects too.
NUMBA_LIMITS = (
    "Cannot unify",
    "Don't know how to allocate array with layout",
    "Function(<built-in function dot>) found for signature",
)


def _copy(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _tangent(rng: np.random.Generator, arg: Any) -> Any:
    if isinstance(arg, np.ndarray):
        return rng.uniform(-1.0, 1.0, arg.shape).astype(arg.dtype)
    return float(rng.uniform(-1.0, 1.0))


def check_program(program_or_path: Program | str | Path, modes: Sequence[str] = MODES) -> Outcome:
    """Check one program (or saved case file) in ``modes``; see the module docstring."""
    start = time.perf_counter()
    case = load(program_or_path)
    try:
        checker = Checker(case)
    except Exception as exc:  # noqa: BLE001 - the reference itself failed
        return Outcome(
            "invalid",
            [Check("reference", "invalid", f"{type(exc).__name__}: {_first_line(exc)}")],
            f"the plain Python function fails: {_first_line(exc)}",
            time.perf_counter() - start,
            case.label,
        )
    checks = checker.run(modes)
    status, reason = classify(checks)
    if status in ("unsupported", "crash") and any(
        phrase in c.detail for c in checks if c.status == status for phrase in NUMBA_LIMITS
    ):
        problem = numba_typing_problem(case)
        if problem:
            checks.append(Check("numba", "invalid", problem))
            status, reason = "invalid", f"numba cannot type the plain program: {problem}"[:200]
    if status in ("wrong value", "wrong derivative"):
        problem = numba_disagrees(case, checker.ref, checker.value_tol)
        if problem:
            checks.append(Check("numba", "invalid", problem))
            reason = f"numba's value of the plain program is not Python's: {problem}"
            status = "invalid"
    return Outcome(
        status,
        checks,
        reason if status != "correct" else "",
        time.perf_counter() - start,
        case.label,
        "scalar" if checker.scalar else "array",
        case.float32,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check saved st_ad fuzz cases.")
    parser.add_argument("cases", nargs="+", help="case files (.py)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}"
    )
    opts = parser.parse_args(argv)
    modes = [m for m in opts.modes.split(",") if m]
    worst = 0
    for path in opts.cases:
        outcome = check_program(path, modes)
        print(outcome.report())
        worst = max(worst, int(outcome.status not in ("correct", "kink")))
    return worst


if __name__ == "__main__":
    sys.exit(main())
