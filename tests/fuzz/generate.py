"""``generate(seed, index)``: program ``index`` of batch ``seed``, always the same text.

A program is ``f`` with 1-3 float scalar parameters, 0-2 float arrays (1-D of length 3-6, or
2-D), sometimes an int parameter, plus 0-2 module-level helpers (plain ``def`` or
``@numba.njit``). About 15% of programs use float32 arrays and 15% return an array. Programs
whose plain Python evaluation raises, overflows or returns a huge or non-finite value are
discarded and the next sub-seed is tried, so generation stays deterministic.

``python -m tests.fuzz.generate --seed S --index I`` prints one program as a case file.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import warnings

import numpy as np

from .exprs import HelperSig
from .program import Program
from .scope import F32, F64, A, Expr, F, I, Var
from .statements import FunctionWriter

DEFAULT_SIZE = 20  # target number of lines of ``f``
MAX_VALUE = 1e6  # larger outputs are rejected (finite differences lose accuracy)
HELPER_NAMES = ("mix", "smooth", "pair", "accum", "damp")


def generate(seed: int, index: int, size: int = DEFAULT_SIZE) -> Program:
    """Program ``index`` of batch ``seed`` (deterministic)."""
    for attempt in range(200):
        rng = random.Random(f"{seed}:{index}:{attempt}")
        program = build(rng, size)
        program.label = f"seed {seed} index {index}" + (f" (sub-seed {attempt})" if attempt else "")
        if evaluates(program):
            return program
    raise RuntimeError(f"no valid program for seed {seed} index {index}")


def build(rng: random.Random, size: int = DEFAULT_SIZE) -> Program:
    """One random program (not yet checked to run)."""
    f32 = rng.random() < 0.18
    dtype = F32 if f32 else F64
    n, m = rng.randint(3, 6), rng.randint(2, 4)
    params, values = _parameters(rng, n, m, dtype)
    shapes = sorted({p.shape for p in params if p.kind == A})
    out = Expr("", F)
    if shapes and rng.random() < 0.18:
        out = Expr("", A, rng.choice(shapes), F64)
    helpers, sources = _helpers(rng, shapes, dtype)

    writer = FunctionWriter(rng, "f", [dataclasses.replace(p) for p in params], out, helpers)
    _preamble(writer, params)
    while len(writer.lines) < size:
        writer.statement()
    sources.append(writer.finish())
    return Program(source="\n\n".join(sources), args=tuple(values), wrt=_wrt(rng, params))


def _parameters(rng: random.Random, n: int, m: int, dtype: str) -> tuple[list[Var], list]:
    """Parameter variables and their argument values, in signature order."""
    np_dtype = np.float32 if dtype == F32 else np.float64
    arrays: list[tuple[Var, object]] = []
    for name in ("x", "w")[: rng.choice((0, 1, 1, 1, 2, 2))]:
        arrays.append((Var(name, A, (n,), dtype, 1.0, param=True), _array(rng, (n,), np_dtype)))
    if rng.random() < 0.35:
        arrays.append((Var("A", A, (n, m), dtype, 1.0, param=True), _array(rng, (n, m), np_dtype)))
    scalars = []
    for name in ("a", "b", "c")[: rng.choice((1, 1, 2, 2, 3))]:
        value = round(rng.uniform(0.1, 1.0) * rng.choice((-1, 1)), 5)
        scalars.append((Var(name, F, (), F64, 1.0, param=True), value))
    ints = []
    if rng.random() < 0.25:
        k = rng.randint(0, 4)
        ints.append((Var("m", I, span=(k, k), param=True, counter=True, active=False), k))
    ordered = arrays + scalars
    if rng.random() < 0.3:
        rng.shuffle(ordered)
    ordered += ints
    return [p for p, _ in ordered], [v for _, v in ordered]


def _array(rng: random.Random, shape: tuple[int, ...], dtype) -> np.ndarray:
    data = [round(rng.uniform(-1.0, 1.0), 5) for _ in range(math.prod(shape))]
    return np.array(data, dtype=dtype).reshape(shape)


def _helpers(
    rng: random.Random, shapes: list[tuple[int, ...]], dtype: str
) -> tuple[list[HelperSig], list[str]]:
    """0-2 helpers, each returning one value; a later one may call an earlier one."""
    helpers: list[HelperSig] = []
    sources: list[str] = []
    vectors = [s for s in shapes if len(s) == 1]
    for name in HELPER_NAMES[: rng.choice((0, 0, 1, 1, 1, 2))]:
        params: list[Var] = []
        for pname in ("p", "q", "r")[: rng.choice((1, 2, 2, 3))]:
            params.append(Var(pname, F, (), F64, 2.0, param=True))
        if vectors and rng.random() < 0.4:
            shape = rng.choice(vectors)
            pdtype = dtype if rng.random() < 0.5 else F64
            params.insert(rng.randint(0, len(params)), Var("v", A, shape, pdtype, 2.0, param=True))
        array_param = next((p for p in params if p.kind == A), None)
        if array_param is not None and rng.random() < 0.2:
            out = Expr("", A, array_param.shape, F64)
        else:
            out = Expr("", F)
        decorator = "@numba.njit" if rng.random() < 0.5 else None
        callable_helpers = helpers if rng.random() < 0.3 else []
        if decorator:  # numba cannot call a plain Python function from njit code
            callable_helpers = [h for h in callable_helpers if h.njit]
        signature = [dataclasses.replace(p) for p in params]
        writer = FunctionWriter(rng, name, params, out, callable_helpers, decorator=decorator)
        if array_param is not None:
            writer.emit(f"n = {array_param.name}.shape[0]")
            writer.scopes.add(Var("n", I, span=array_param.shape * 2, counter=True, active=False))
            writer.used.add("n")
            writer.lengths[array_param.shape[0]] = "n"
        writer.statements(rng.randint(1, 4))
        sources.append(writer.finish())
        out.bound = max(writer.ret_bound, 1.0)
        helpers.append(HelperSig(name, signature, out, njit=decorator is not None))
    return helpers, sources


def _preamble(writer: FunctionWriter, params: list[Var]) -> None:
    """Array lengths as names (``n = x.shape[0]``) and often an accumulator ``s = 0.0``."""
    for p in params:
        if p.kind != A:
            continue
        for axis, length in enumerate(p.shape):
            if length in writer.lengths:
                continue
            name = "n" if not writer.lengths else f"n{len(writer.lengths) + 1}"
            writer.emit(f"{name} = {p.name}.shape[{axis}]")
            writer.scopes.add(Var(name, I, span=(length, length), counter=True, active=False))
            writer.used.add(name)
            writer.lengths[length] = name
    if writer.rng.random() < 0.7:
        name = writer.fresh("f")
        writer.emit(f"{name} = 0.0")
        writer.scopes.add(Var(name, F, (), F64, 0.0, active=False))


def _wrt(rng: random.Random, params: list[Var]) -> int | str | tuple:
    """A random non-empty choice of float parameters, as positions or names."""
    floats = [k for k, p in enumerate(params) if p.kind in (F, A)]
    chosen = rng.sample(floats, rng.randint(1, len(floats)))
    if rng.random() < 0.7:
        chosen.sort()
    r = rng.random()
    if len(chosen) == 1 and r < 0.3:
        return chosen[0] if r < 0.15 else params[chosen[0]].name
    if r < 0.15:
        return tuple(params[k].name for k in chosen)
    return tuple(chosen)


def evaluates(program: Program) -> bool:
    """Whether the plain Python function runs on its arguments to a finite, moderate value."""
    try:
        f = program.plain_function()
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in program.args)
        with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            value = f(*args)
    except Exception:  # noqa: BLE001 - any failure discards the program
        return False
    for before, after in zip(program.args, args, strict=True):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after):
            return False
    if isinstance(value, np.ndarray):
        ok = value.dtype.kind == "f" and value.ndim >= 1 and value.size > 0
        return bool(ok and np.all(np.isfinite(value)) and np.max(np.abs(value)) < MAX_VALUE)
    if not isinstance(value, float | np.floating):
        return False
    return math.isfinite(value) and abs(value) < MAX_VALUE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    opts = parser.parse_args(argv)
    print(generate(opts.seed, opts.index, opts.size).text(), end="")


if __name__ == "__main__":
    main()
