"""One small function per primitive (or per call pattern of one), with how to draw its
arguments: the cases tests/test_primitives.py checks in both modes.

``Draw`` makes random arguments of the case's dtype: dimensions ``n``, ``m``, ``k`` are drawn
per case (2 to 5), so shapes vary; a shape is written like ``"n,m"`` (``""`` for a scalar,
digits for fixed sizes such as ``"n,1"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


class Draw:
    def __init__(self, rng: np.random.Generator, dtype) -> None:
        self.rng = rng
        self.dtype = dtype
        self.dims = {d: int(rng.integers(2, 6)) for d in "nmk"}

    def shape(self, spec: str) -> tuple[int, ...]:
        if not spec:
            return ()
        return tuple(self.dims[p] if p in self.dims else int(p) for p in spec.split(","))

    def uniform(self, spec: str, lo: float, hi: float):
        value = self.rng.uniform(lo, hi, self.shape(spec))
        if not spec:
            return self.dtype(value)
        return value.astype(self.dtype)

    def any(self, spec: str = "n"):
        return self.uniform(spec, -2.0, 2.0)

    def pos(self, spec: str = "n"):
        return self.uniform(spec, 0.5, 2.0)

    def unit(self, spec: str = "n"):
        return self.uniform(spec, -0.8, 0.8)

    def gt1(self, spec: str = "n"):
        return self.uniform(spec, 1.2, 3.0)

    def cond(self, spec: str = "n"):
        return self.rng.uniform(size=self.shape(spec)) > 0.5

    def spd(self, spec: str = "n"):
        n = self.shape(spec)[0]
        a = self.rng.standard_normal((n, n))
        return (a @ a.T + n * np.eye(n)).astype(self.dtype)

    def square(self, spec: str = "n"):
        n = self.shape(spec)[0]
        return (self.rng.standard_normal((n, n)) + n * np.eye(n)).astype(self.dtype)

    def sym(self, spec: str = "n"):
        n = self.shape(spec)[0]
        a = self.rng.standard_normal((n, n))
        return ((a + a.T) / 2 + np.diag(np.arange(n) * 3.0)).astype(self.dtype)


@dataclass
class Case:
    id: str
    func: Callable
    args: Callable[[Draw], tuple]  # arguments drawn for one run
    wrt: tuple[int, ...] = (0,)
    symmetric: bool = False  # tangents of matrix arguments are symmetric (cholesky, eigh)
    rtol: float = 1e-6


CASES: list[Case] = []  # one primitive (or call pattern) each, run in float64
FLOAT32_CASES: list[Case] = []  # every primitive again, a family per function, in float32


def case(args: Callable[[Draw], tuple], wrt=(0,), float32=False, **kw) -> Callable:
    """Register the decorated function as a case."""

    def register(func: Callable) -> Callable:
        (FLOAT32_CASES if float32 else CASES).append(
            Case(func.__name__, func, args, tuple(wrt), **kw)
        )
        return func

    return register


# --- elementwise, one argument ------------------------------------------------------------------
@case(lambda d: (d.any("n,m"),))
def sin(x):
    return np.sin(x)


@case(lambda d: (d.any(),))
def cos(x):
    return np.cos(x)


@case(lambda d: (d.unit(),))
def tan(x):
    return np.tan(x)


@case(lambda d: (d.unit(),))
def arcsin(x):
    return np.arcsin(x)


@case(lambda d: (d.unit(),))
def arccos(x):
    return np.arccos(x)


@case(lambda d: (d.any(),))
def arctan(x):
    return np.arctan(x)


@case(lambda d: (d.any(),))
def sinh(x):
    return np.sinh(x)


@case(lambda d: (d.any(),))
def cosh(x):
    return np.cosh(x)


@case(lambda d: (d.any("n,m"),))
def tanh(x):
    return np.tanh(x)


@case(lambda d: (d.any(),))
def arcsinh(x):
    return np.arcsinh(x)


@case(lambda d: (d.gt1(),))
def arccosh(x):
    return np.arccosh(x)


@case(lambda d: (d.unit(),))
def arctanh(x):
    return np.arctanh(x)


@case(lambda d: (d.any(),))
def exp(x):
    return np.exp(x)


@case(lambda d: (d.any(),))
def exp2(x):
    return np.exp2(x)


@case(lambda d: (d.any(),))
def expm1(x):
    return np.expm1(x)


@case(lambda d: (d.pos("n,m"),))
def log(x):
    return np.log(x)


@case(lambda d: (d.pos(),))
def log2(x):
    return np.log2(x)


@case(lambda d: (d.pos(),))
def log10(x):
    return np.log10(x)


@case(lambda d: (d.pos(),))
def log1p(x):
    return np.log1p(x)


@case(lambda d: (d.pos(),))
def sqrt(x):
    return np.sqrt(x)


@case(lambda d: (d.pos(),))
def cbrt(x):
    return np.cbrt(x)


@case(lambda d: (d.any(),))
def square(x):
    return np.square(x)


@case(lambda d: (d.pos(),))
def reciprocal(x):
    return np.reciprocal(x)


@case(lambda d: (d.any(),))
def negative_positive(x):
    return np.negative(x) * np.positive(x)


@case(lambda d: (d.any("n,m"),))
def absolute(x):
    return np.abs(x) + 2.0 * np.absolute(x) + 3.0 * np.fabs(x)


@case(lambda d: (d.any(),))
def piecewise_constant(x):
    steps = np.sign(x) + np.floor(x) + np.ceil(x) + np.trunc(x) + np.rint(x) + np.round(x)
    return x * (steps + np.around(x))


# --- the math module, on scalars ------------------------------------------------------------
@case(lambda d: (d.any(""), d.unit(""), d.pos(""), d.gt1("")), wrt=(0, 1, 2, 3))
def math_functions(x, u, p, g):
    trig = math.sin(x) + 2.0 * math.cos(x) + 3.0 * math.tan(u) + math.asin(u) + math.acos(u)
    hyper = math.atan(x) + math.sinh(x) + math.cosh(x) + math.tanh(x) + math.asinh(x)
    inverse = math.acosh(g) + math.atanh(u) + math.exp(x) + math.expm1(x) + math.log(p)
    logs = math.log2(p) + math.log10(p) + math.log1p(p) + math.sqrt(p) + math.fabs(x)
    other = abs(x) + math.erf(x) + math.erfc(u) + math.pow(p, x) + float(x)
    return trig * hyper + inverse * logs + other


@case(lambda d: (d.any(""), d.pos("")), wrt=(0, 1))
def math_two_arguments(x, p):
    return math.atan2(x, p) + math.hypot(x, p) * x**p + p**2.5


# --- arithmetic and binary ufuncs, with broadcasting --------------------------------------------
@case(lambda d: (d.any(""), d.any("n,m")), wrt=(0, 1))
def add_scalar_array(x, y):
    return x + y


@case(lambda d: (d.any("n,1"), d.any("1,m")), wrt=(0, 1))
def add_column_row(x, y):
    return x + y


@case(lambda d: (d.any("m"), d.any("n,m")), wrt=(0, 1))
def subtract_row_matrix(x, y):
    return x - y


@case(lambda d: (d.any("n,1"), d.any("1,m")), wrt=(0, 1))
def multiply_column_row(x, y):
    return x * y


@case(lambda d: (d.any("n,m"), d.pos("")), wrt=(0, 1))
def divide_array_scalar(x, y):
    return x / y


@case(lambda d: (d.any("m"), d.pos("n,m")), wrt=(0, 1))
def divide_row_matrix(x, y):
    return x / y


@case(lambda d: (d.pos("n,1"), d.any("m")), wrt=(0, 1))
def power_broadcast(x, y):
    return x**y


@case(lambda d: (d.any("n,m"),))
def power_constant(x):
    return x**3 + 1.0 / x**2


@case(lambda d: (d.any("n,m"), d.any("m")), wrt=(0, 1))
def numpy_arithmetic(x, y):
    return np.add(x, y) * np.subtract(x, y) + np.multiply(x, y) + np.divide(x, 2.0 + y * y)


@case(lambda d: (d.pos(""), d.any("n,m")), wrt=(0, 1))
def numpy_power(x, y):
    return np.power(x, y) + np.true_divide(y, x)


@case(lambda d: (d.any("n,1"), d.pos("1,m")), wrt=(0, 1))
def arctan2(y, x):
    return np.arctan2(y, x)


@case(lambda d: (d.any("m"), d.any("n,m")), wrt=(0, 1))
def hypot(x, y):
    return np.hypot(x, y)


@case(lambda d: (d.any("n,1"), d.any("1,m")), wrt=(0, 1))
def maximum(x, y):
    return np.maximum(x, y) + 2.0 * np.fmax(x, y)


@case(lambda d: (d.any(""), d.any("n,m")), wrt=(0, 1))
def minimum(x, y):
    return np.minimum(x, y) + 2.0 * np.fmin(y, x)


@case(lambda d: (d.any("n,m"), d.uniform("", -1.5, -0.5), d.uniform("m", 0.5, 1.5)), wrt=(0, 1, 2))
def clip(x, lo, hi):
    return np.clip(x, lo, hi)


@case(lambda d: (d.cond("n,m"), d.any("n,m"), d.any("m")), wrt=(1, 2))
def where(c, a, b):
    return np.where(c, a, b)


@case(lambda d: (d.any("n,m"),))
def where_condition_on_value(x):
    return np.where(x > 0.0, x * x, -x)


# --- reductions ----------------------------------------------------------------------------------
@case(lambda d: (d.any("n,m"),))
def sum_all(x):
    return np.sum(x) * x


@case(lambda d: (d.any("n,m"),))
def sum_axis(x):
    return np.sum(x, axis=1)[:, None] * np.sum(x, 0) + x.sum(axis=-1)[:, None]


@case(lambda d: (d.any("n,m"),))
def mean_all_and_axis(x):
    return np.mean(x, axis=0) * np.mean(x) + x.mean(axis=1).sum() + x.mean()


@case(lambda d: (d.any("n,m"),))
def prod_all_and_axis(x):
    return np.prod(x, axis=1).sum() + np.prod(x) + x.prod(axis=0).sum() + x[0].prod()


@case(lambda d: (d.any("n,m"),))
def prod_with_zero(x):
    y = x.copy()
    y[0, 0] = 0.0
    return np.prod(y, axis=0).sum() + np.prod(y)


@case(lambda d: (d.any("n,m"),))
def max_min(x):
    return np.max(x, axis=0) * np.min(x) + np.max(x) + np.min(x, axis=0) + x.max() * x.min()


@case(lambda d: (d.any("n,m"),))
def var_std(x):
    return np.var(x) + np.std(x) * np.var(x, axis=0) + np.std(x, axis=1).sum() + x.var() + x.std()


@case(lambda d: (d.any("n"), d.any("n,m")), wrt=(0, 1))
def norm(v, a):
    return np.linalg.norm(v) * np.linalg.norm(a) + np.linalg.norm(a, axis=1).sum()


@case(lambda d: (d.any("n,m"),))
def cumsum(x):
    return np.cumsum(x).sum() * np.cumsum(x, axis=1) + x.cumsum(axis=0)


# --- shapes and copies ---------------------------------------------------------------------------
@case(lambda d: (d.any("n,m"),))
def transpose(x):
    return x.T @ x + np.transpose(x).sum() + x.transpose()[0]


@case(lambda d: (d.any("n,m"),))
def transpose_axes(x):
    return np.transpose(x, (1, 0)) * np.swapaxes(x, 0, 1) + np.amax(x, axis=1) * np.amin(x, 1)


@case(lambda d: (d.any("n,m"),))
def reshape(x):
    n = x.shape[0]
    m = x.shape[1]
    return np.reshape(x, (m, n)) + x.reshape(m, n) * 2.0 + x.ravel().reshape((m, n))


@case(lambda d: (d.any("n,m"),))
def flatten_and_expand(x):
    y = x.flatten() + np.ravel(x)
    return np.expand_dims(y, 0) * np.expand_dims(y, 1)


@case(lambda d: (d.any("m"),))
def new_axes(v):
    return v[None, :] * v[:, None] + v[:, None] * 2.0


@case(lambda d: (d.any("m"),))
def broadcast_to(v):
    n = v.shape[0]
    return np.broadcast_to(v, (3, n)) * 2.0


@case(lambda d: (d.any("n,m"),))
def indexing(x):
    return x[1:, :] * x[0, :] + x[:-1, ::-1] * x[1, 0]


@case(lambda d: (d.any("n,m"),))
def constructors(x):
    n = x.shape[0]
    z = np.zeros(x.shape) + np.ones_like(x) + np.zeros_like(x) + np.ones((n, 1))
    e = np.eye(n) @ x + np.identity(n) @ x
    return z * x + e * np.arange(n)[:, None] + np.linspace(0.0, 1.0, n)[:, None]


@case(lambda d: (d.any("n,m"),))
def copies(x):
    y = x.copy()
    y[0, 0] = 2.0
    return y * np.copy(x) + np.ascontiguousarray(x.T).T


@case(lambda d: (d.any("n,m"), d.any("k,m")), wrt=(0, 1))
def concatenate_rows(a, b):
    return np.concatenate((a, b)) * 2.0 + np.concatenate((b, a), axis=0)


@case(lambda d: (d.any("n,m"), d.any("n,k")), wrt=(0, 1))
def concatenate_columns(a, b):
    return np.concatenate((a, b, a), axis=1)


@case(lambda d: (d.any("n"), d.any("n")), wrt=(0, 1))
def stack(a, b):
    return np.stack((a, b)) + np.stack((b, a), axis=1).T


@case(lambda d: (d.any("n"), d.any("m"), d.any("n,k")), wrt=(0, 1, 2))
def hstack(a, b, c):
    return np.hstack((a, b, a)).sum() * np.hstack((c, c))


@case(lambda d: (d.any("m"), d.any("n,m")), wrt=(0, 1))
def vstack(a, b):
    return np.vstack((a, a)) * 2.0 + np.vstack((b, b)).sum()


@case(lambda d: (d.any("n"), d.any("n,n")), wrt=(0, 1))
def diag(v, a):
    return np.diag(v) * 2.0 + np.diag(np.diag(a))


# --- products and linear algebra -------------------------------------------------------------
@case(lambda d: (d.any(""), d.any("n"), d.any("n,m"), d.any("m")), wrt=(0, 1, 2, 3))
def dot_ranks(s, v, a, w):
    return np.dot(v, a) * np.dot(a, w).sum() + s * np.dot(w, w) + np.dot(v, v) * v.dot(a)


@case(lambda d: (d.any("n,m"), d.any("m,k")), wrt=(0, 1))
def matmul(a, b):
    return a @ b + np.matmul(a, b) * np.dot(a, b)


@case(lambda d: (d.any("n,m"), d.any("m"), d.any("n")), wrt=(0, 1, 2))
def matmul_vectors(a, v, u):
    return (a @ v) * (u @ a).sum() + u @ u


@case(lambda d: (d.any("n"), d.any("n")), wrt=(0, 1))
def vdot_outer(a, b):
    return np.vdot(a, b) * np.outer(a, b)


@case(lambda d: (d.any("n"), d.any("m,n"), d.any("k,n")), wrt=(0, 1, 2))
def inner(v, a, b):
    return np.inner(a, v).sum() * np.inner(a, b) + np.inner(v, v)


@case(lambda d: (d.any("n,m"),))
def trace(a):
    return np.trace(a) * a + np.trace(a.T @ a)


@case(lambda d: (d.square("n"),))
def inv(a):
    return np.linalg.inv(a)


@case(lambda d: (d.square("n"),))
def det(a):
    return np.linalg.det(a) * a


@case(lambda d: (d.square("n"),))
def slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet + np.linalg.slogdet(a)[1] * a


@case(lambda d: (d.square("n"), d.any("n")), wrt=(0, 1))
def solve_vector(a, b):
    return np.linalg.solve(a, b)


@case(lambda d: (d.square("n"), d.any("n,m")), wrt=(0, 1))
def solve_matrix(a, b):
    return np.linalg.solve(a, b)


@case(lambda d: (d.spd("n"),), symmetric=True)
def cholesky(a):
    return np.linalg.cholesky(a)


@case(lambda d: (d.sym("n"),), symmetric=True)
def eigh_values(a):
    w, v = np.linalg.eigh(a)
    return w


@case(lambda d: (d.sym("n"),), symmetric=True)
def eigh_vectors(a):
    w, v = np.linalg.eigh(a)
    return v * v * w  # squares: independent of each eigenvector's sign


def _tall(d: Draw):
    """A 7 x n matrix of full column rank, and a right-hand side."""
    return d.any("7,n") + 3.0 * np.eye(*d.shape("7,n"), dtype=d.dtype), d.any("7")


@case(_tall, wrt=(0, 1))
def lstsq(a, b):
    x = np.linalg.lstsq(a, b)[0]
    return x


# --- float32: each family in one function (numba compiles per dtype, so this keeps the suite
# fast while every rule still runs in float32) ---------------------------------------------------
@case(lambda d: (d.any(), d.unit(), d.pos(), d.gt1()), wrt=(0, 1, 2, 3), float32=True)
def f32_elementwise(x, u, p, g):
    a = np.sin(x) + np.cos(x) + np.tan(u) + np.arcsin(u) + np.arccos(u) + np.arctan(x)
    b = np.sinh(x) + np.cosh(x) + np.tanh(x) + np.arcsinh(x) + np.arccosh(g) + np.arctanh(u)
    c = np.exp(x) + np.exp2(x) + np.expm1(x) + np.log(p) + np.log2(p) + np.log10(p)
    e = np.log1p(p) + np.sqrt(p) + np.cbrt(p) + np.square(x) + np.reciprocal(p)
    f = np.negative(x) * np.positive(x) + np.abs(x) + np.absolute(x) + np.fabs(x)
    steps = np.sign(x) + np.floor(x) + np.ceil(x) + np.trunc(x) + np.rint(x) + np.round(x)
    return a * b + c * e + (-f) + x * (steps + np.around(x))


@case(
    lambda d: (d.any("n,1"), d.pos("1,m"), d.any("m"), d.cond("n,m")),
    wrt=(0, 1, 2),
    float32=True,
)
def f32_binary(a, b, c, cond):
    arithmetic = a + b - c * a / b + b**c + a**2
    ufuncs = np.add(a, c) * np.subtract(b, a) + np.multiply(a, b) + np.divide(c, b)
    more = np.power(b, c) + np.true_divide(a, b) + np.arctan2(a, b) + np.hypot(a, c)
    extrema = np.maximum(a, c) + np.fmax(a, b) + np.minimum(b, c) + np.fmin(a, c)
    selected = np.clip(a * b, c, b) + np.where(cond, a * b, c)
    return arithmetic + ufuncs + more + extrema + selected


@case(lambda d: (d.any("n,m"), d.any("m")), wrt=(0, 1), float32=True)
def f32_reductions(x, v):
    a = np.sum(x) * np.sum(x, axis=0) + np.mean(x, axis=1).sum() + x.mean()
    b = np.prod(x, axis=0) + np.prod(v) + np.max(x, axis=0) * np.min(x) + x.max() + x.min()
    c = np.amax(x, axis=0) + np.amin(x, 0) + np.var(x, axis=0) + np.std(x) + x.var() + x.std()
    e = np.linalg.norm(v) * np.linalg.norm(x, axis=0) + np.cumsum(v) * np.cumsum(x, axis=0)
    return a + b + c + e + x.sum(axis=1).sum() + x.prod() + x.cumsum()[0]


@case(lambda d: (d.any("n,m"), d.any("m")), wrt=(0, 1), float32=True)
def f32_shapes(x, v):
    n = x.shape[0]
    m = x.shape[1]
    t = x.T @ x + np.transpose(x) @ x + np.transpose(x, (1, 0)) @ np.swapaxes(x, 0, 1).T
    r = np.reshape(x, (m, n)).T + x.reshape(n, m) + np.ravel(x).reshape((n, m))
    r = r + x.flatten().reshape(n, m) + x.ravel().reshape(n, m) + np.expand_dims(v, 0)
    b = np.broadcast_to(v, (n, m)) * v[None, :] + x[:, 0][:, None] + x[1:, :].sum()
    y = x.copy()
    y[0, 0] = 2.0
    c = y * np.copy(x) + np.ascontiguousarray(x) + np.zeros_like(x) + np.ones((n, m))
    j = np.concatenate((x, x), axis=1)[:, :m] + np.stack((v, v))[0] + np.hstack((v, v))[:m]
    k = np.vstack((x, x))[:n] + np.vstack((v, v))[0] + np.diag(np.diag(t)).sum() * np.trace(t)
    return t.sum() + r + b + c + j + k + np.eye(n)[0, 0]


@case(
    lambda d: (d.any("n,m"), d.any("m"), d.any("n"), d.any("m,k")), wrt=(0, 1, 2, 3), float32=True
)
def f32_products(a, v, w, b):
    d = np.dot(a, v) * np.dot(w, a).sum() + w @ w + a.dot(v) + np.vdot(w, w)
    p = a @ b + np.matmul(a, b) * np.dot(a, b)
    q = np.outer(w, v) * np.inner(v, v) + np.inner(a, a)[:, :1] + np.trace(a @ a.T)
    return d.sum() * p.sum() + q


@case(lambda d: (d.square("n"), d.any("n"), *_tall(d)), wrt=(0, 1, 2, 3), float32=True)
def f32_linalg(a, b, t, r):
    sign, logdet = np.linalg.slogdet(a)
    x = np.linalg.solve(a, b) + np.linalg.solve(a, np.outer(b, b))[0]
    z = np.linalg.lstsq(t, r)[0]
    return np.linalg.inv(a) @ x + np.linalg.det(a) * sign * logdet + z.sum()


@case(lambda d: (d.spd("n"),), symmetric=True, float32=True)
def f32_symmetric(s):
    w, v = np.linalg.eigh(s)
    return np.linalg.cholesky(s) + v * v * w


# the math module on float32 scalars: the same function as the float64 case
FLOAT32_CASES.append(
    Case(
        "f32_math_functions",
        math_functions,
        CASES[[c.id for c in CASES].index("math_functions")].args,
        (0, 1, 2, 3),
    )
)
