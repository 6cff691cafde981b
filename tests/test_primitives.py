"""Every primitive in both modes, on random shapes (broadcasting included), float64 and
float32:

- forward mode: ``st_ad.jvp`` against central differences of the plain numpy function
  (evaluated in float64) along random tangents;
- reverse mode: ``st_ad.vjp`` by the adjoint identity <vjp(u), v> == <u, jvp(v)> with a
  random output cotangent ``u``.

A last test checks that the cases use every rule in the registry, so a rule cannot be added
untested.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import st_ad
from st_ad import ir
from st_ad.frontend.normalize import normalize
from st_ad.frontend.source import load
from st_ad.rules import RULES

from .primitive_cases import CASES, FLOAT32_CASES, Case, Draw

STEP = 1e-6


def _draw(case: Case, dtype) -> tuple:
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    return case.args(Draw(rng, dtype)), rng


def _direction(x, rng, symmetric: bool):
    if np.ndim(x) == 0:
        return type(x)(rng.standard_normal())
    v = rng.standard_normal(np.shape(x))
    if symmetric and v.ndim == 2:
        v = (v + v.T) / 2
    return v.astype(x.dtype)


def _shifted(args, wrt, tangents, t):
    moved = [
        np.asarray(a, np.float64) if isinstance(a, np.ndarray) and a.dtype != bool else a
        for a in args
    ]
    moved = [float(a) if isinstance(a, np.floating) else a for a in moved]
    for k, v in zip(wrt, tangents, strict=True):
        moved[k] = (
            moved[k] + t * np.asarray(v, np.float64) if np.ndim(v) else moved[k] + t * float(v)
        )
    return moved


def _central_difference(case: Case, args, tangents):
    h = STEP * max(1.0, max(float(np.max(np.abs(args[k]))) for k in case.wrt))
    up = np.asarray(case.func(*_shifted(args, case.wrt, tangents, h)), np.float64)
    down = np.asarray(case.func(*_shifted(args, case.wrt, tangents, -h)), np.float64)
    return (up - down) / (2 * h)


def _inner(a, b) -> float:
    return float(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64)))


def _relative(a, b, scale) -> float:
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b))) / max(scale, 1e-12)


RUNS = [(c, np.float64) for c in CASES] + [(c, np.float32) for c in FLOAT32_CASES]


@pytest.mark.parametrize(("case", "dtype"), RUNS, ids=[c.id for c, _ in RUNS])
def test_rule(case: Case, dtype):
    args, rng = _draw(case, dtype)
    tangents = [_direction(args[k], rng, case.symmetric) for k in case.wrt]

    value, tangent = st_ad.jvp(case.func, wrt=case.wrt)(*args, *tangents)
    expected = _central_difference(case, args, tangents)
    scale = float(np.max(np.abs(expected))) + 1e-3
    forward_tol = 1e-6 if dtype is np.float64 else 2e-3
    assert np.shape(tangent) == np.shape(expected)
    assert _relative(tangent, expected, scale) < forward_tol

    u = _direction(np.asarray(value) if np.ndim(value) else value, rng, False)
    cotangents = st_ad.vjp(case.func, wrt=case.wrt)(*args, u)
    left = sum(_inner(c, v) for c, v in zip(cotangents, tangents, strict=True))
    right = _inner(u, tangent)
    magnitude = sum(
        np.sum(np.abs(np.asarray(c, np.float64) * np.asarray(v, np.float64)))
        for c, v in zip(cotangents, tangents, strict=True)
    )
    identity_tol = 1e-10 if dtype is np.float64 else 1e-4
    assert abs(left - right) <= identity_tol * max(magnitude, abs(right), 1e-12)

    for k, c in zip(case.wrt, cotangents, strict=True):
        assert np.shape(c) == np.shape(args[k])
        if isinstance(args[k], np.ndarray):
            assert c.dtype == dtype, f"cotangent of argument {k} is {c.dtype}"
    if isinstance(tangent, np.ndarray):
        assert tangent.dtype == np.asarray(value).dtype  # a float32 value has a float32 tangent


def _rules_used(func) -> set[int]:
    fn = normalize(load(func))
    return {id(s.prim) for s in ir.walk(fn.body) if isinstance(s, ir.Let) and s.prim is not None}


@pytest.mark.parametrize("cases", [CASES, FLOAT32_CASES], ids=["float64", "float32"])
def test_every_rule_has_a_case(cases):
    used: set[int] = set()
    for c in cases:
        used |= _rules_used(c.func)
    untested = sorted(
        r.name
        for r in set(RULES.values())
        if r.family not in ("user", "runtime", "")
        and id(r) not in used
        and not any(id(p) in used for p in r.parts or ())
    )
    assert not untested, f"rules with no case in tests/primitive_cases.py: {untested}"
