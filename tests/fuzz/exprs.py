"""Random expressions of a given kind over the names in scope.

``ExprMaker`` builds float-scalar expressions, array expressions of an exact shape, conditions
and index expressions, keeping every function inside its domain (log and sqrt of ``1 + v * v``,
division by ``1 + v * v``, exp of bounded arguments, ``np.prod`` of bounded factors, norms of
vectors offset away from zero). Each expression carries a heuristic bound on its magnitude so
that loops stay finite; the generator rejects the rare program that still overflows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from .scope import F32, F64, UNKNOWN, A, Expr, F, I, Scopes, Var, join_dtype

CONSTANTS = (0.5, 1.5, 2.0, 0.25, -0.75, 0.1, 3.0, -1.0, 0.3, 0.8)
THRESHOLDS = (0.3, -0.2, 0.0, 0.5, 0.1, -0.4, 0.7, 1.0)
SCALAR_OK = 2.0  # operands above this bound are squashed before exp, powers and products


class HelperSig:
    """A module-level helper the generated code may call."""

    def __init__(self, name: str, params: list[Var], out: Expr, njit: bool = False) -> None:
        self.name = name
        self.params = params
        self.out = out  # kind, shape, dtype and bound of the returned value
        self.njit = njit  # ``@numba.njit``: callable from other njit helpers


class ExprMaker:
    """Random expressions over ``scopes`` (see the module docstring)."""

    def __init__(
        self,
        rng: random.Random,
        scopes: Scopes,
        lengths: Callable[[], dict[int, str]],
        helpers: list[HelperSig],
    ) -> None:
        self.rng = rng
        self.scopes = scopes
        self.lengths = lengths  # length -> source text giving it (``n``, ``v.shape[0]``)
        self.helpers = helpers

    # -- choice helpers ----------------------------------------------------------------------

    def pick(self, weighted: list[tuple[float, Callable[[], Expr | None]]]) -> Expr | None:
        """Try the weighted alternatives in random order until one gives an expression."""
        options = [(w, fn) for w, fn in weighted if w > 0]
        while options:
            total = sum(w for w, _ in options)
            r = self.rng.random() * total
            k = 0
            for k, (w, _) in enumerate(options):  # noqa: B007 - k is used after the loop
                r -= w
                if r <= 0:
                    break
            result = options[k][1]()
            if result is not None:
                return result
            options.pop(k)
        return None

    def mod(self) -> str:
        return self.rng.choice(("math", "np"))

    def const(self, values: tuple[float, ...] = CONSTANTS) -> Expr:
        c = self.rng.choice(values)
        return Expr(repr(c), F, bound=abs(c), atom=c >= 0)

    def scalars(self) -> list[Var]:
        return [v for v in self.scopes.all() if v.kind == F]

    def arrays(self, shape: tuple[int, ...] | None = None) -> list[Var]:
        return [v for v in self.scopes.all() if v.kind == A and (shape is None or v.shape == shape)]

    def ints(self) -> list[Var]:
        return [v for v in self.scopes.all() if v.kind == I and v.span is not None]

    def shapes(self) -> list[tuple[int, ...]]:
        return sorted({v.shape for v in self.arrays()})

    # -- bounded forms -----------------------------------------------------------------------

    def squash(self, e: Expr, limit: float = SCALAR_OK) -> Expr:
        """``e``, or a bounded function of it when its bound exceeds ``limit``."""
        if e.bound <= limit:
            return e
        fn = self.rng.choice(("tanh", "sin", "cos", "arctan"))
        if e.kind == F and self.rng.random() < 0.5:
            name = "atan" if fn == "arctan" else fn
            return Expr(f"math.{name}({e.text})", F, bound=1.6, active=e.active, atom=True)
        return self._like(e, f"np.{fn}({e.text})", 1.6, atom=True)

    def _like(self, e: Expr, text: str, bound: float, atom: bool = False, **kw) -> Expr:
        """An elementwise result with the kind, shape and dtype of ``e``."""
        return Expr(
            text,
            e.kind,
            e.shape,
            kw.get("dtype", e.dtype),
            bound,
            kw.get("active", e.active),
            True,
            atom,
        )

    def unary(self, e: Expr) -> Expr:
        """An elementwise function of ``e`` kept inside its domain."""
        b = e.bound
        scalar = e.kind == F
        mod = self.mod() if scalar else "np"
        t, p = e.text, e.p()
        atan = "math.atan" if mod == "math" else "np.arctan"
        wide = join_dtype(e.dtype, F64)  # a float constant in the form promotes float32
        choices: list[tuple[float, Callable[[], Expr]]] = [
            (3, lambda: self._like(e, f"{mod}.sin({t})", min(b, 1.0), atom=True)),
            (2, lambda: self._like(e, f"{mod}.cos({t})", 1.0, atom=True)),
            (3, lambda: self._like(e, f"{mod}.tanh({t})", min(b, 1.0), atom=True)),
            (1, lambda: self._like(e, f"{atan}({t})", min(b, 1.6), atom=True)),
            (2, lambda: self._exp(e, mod)),
            (
                1.5,
                lambda: self._like(
                    e, f"{mod}.log(1.0 + {p} * {p})", math.log1p(b * b), atom=True, dtype=wide
                ),
            ),
            (
                1,
                lambda: self._like(
                    e, f"{mod}.log(2.0 + {mod}.sin({t}))", 1.1, atom=True, dtype=wide
                ),
            ),
            (
                1.5,
                lambda: self._like(
                    e, f"{mod}.sqrt(1.0 + {p} * {p})", math.sqrt(1 + b * b), atom=True, dtype=wide
                ),
            ),
            (1.5, lambda: self._like(e, f"abs({t})" if scalar else f"np.abs({t})", b, atom=True)),
            (1.5 if b <= 4 else 0, lambda: self._like(e, f"{p} ** 2", b * b)),
            (0.7 if b <= 2 else 0, lambda: self._like(e, f"{p} ** 3", b**3)),
            (
                0.7 if b <= 2 else 0,
                lambda: self._like(e, f"(1.0 + {p} * {p}) ** 1.5", (1 + b * b) ** 1.5, dtype=wide),
            ),
            (0.5, lambda: self._like(e, f"(2.0 + {mod}.cos({t})) ** 0.5", 1.8, dtype=wide)),
            (1, lambda: self._like(e, f"-{p}", b)),
        ]
        return self.pick(choices)

    def _exp(self, e: Expr, mod: str) -> Expr:
        arg = self.squash(e)
        if self.rng.random() < 0.3:
            return self._like(e, f"{mod}.exp(-{arg.p()} * {arg.p()})", 1.0, atom=True)
        return self._like(arg, f"{mod}.exp({arg.text})", math.exp(arg.bound), atom=True)

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, depth: int = 2) -> Expr:
        """A float-scalar expression (rarely one that depends on no parameter)."""
        e = self._scalar(depth)
        if not e.active and self.rng.random() < 0.75:
            e = self._scalar(depth)
        return e

    def _scalar(self, depth: int) -> Expr:
        if depth <= 0:
            return self.scalar_leaf()
        d = depth - 1
        result = self.pick(
            [
                (3, self.scalar_leaf),
                (4, lambda: self.binop(self.scalar(d), self.scalar(d))),
                (3, lambda: self.unary(self.scalar(d))),
                (1.2, lambda: self.divide(self.scalar(d), self.scalar(d - 1))),
                (1, lambda: self.extremum(self.scalar(d), self.scalar(d))),
                (2.5, lambda: self.reduction(d)),
                (0.8, lambda: self.ifexp(self.scalar(d), self.scalar(d))),
                (1.2, lambda: self.call(F, (), d)),
                (0.4, lambda: self.active_power(d)),
            ]
        )
        return result or self.scalar_leaf()

    def scalar_leaf(self) -> Expr:
        return self.pick(
            [
                (4, self.scalar_name),
                (1.0, lambda: self.const()),
                (3, self.element),
                (0.4, self.int_derived),
            ]
        )

    def scalar_name(self) -> Expr | None:
        names = self.scalars()
        if not names:
            return None
        weights = [3.0 if v.active else 1.0 for v in names]
        v = self.rng.choices(names, weights)[0]
        return Expr(v.name, F, (), v.dtype, v.bound, v.active, atom=True)

    def element(self) -> Expr | None:
        """``x[i]`` or ``A[i, j]`` with an index valid for the shape."""
        arrays = self.arrays()
        if not arrays:
            return None
        v = self.rng.choice(arrays)
        idx = [self.index(n) for n in v.shape]
        dtype = F32 if v.dtype == F32 else (F64 if v.dtype == F64 else UNKNOWN)
        return Expr(f"{v.name}[{', '.join(idx)}]", F, (), dtype, v.bound, v.active, atom=True)

    def int_derived(self) -> Expr | None:
        """An inactive float computed from ints (a loop counter, a length, an int param)."""
        ints = [v for v in self.scopes.all() if v.kind == I]
        if not ints:
            return None
        v = self.rng.choice(ints)
        hi = v.span[1] if v.span else 6
        c = self.rng.choice((0.1, 0.25, 0.5))
        if self.rng.random() < 0.3:
            return Expr(f"float({v.name}) * {c}", F, bound=c * max(abs(hi), 1), active=False)
        return Expr(f"{c} * {v.name}", F, bound=c * max(abs(hi), 1), active=False)

    def binop(self, a: Expr, b: Expr) -> Expr:
        """``a + b``, ``a - b`` or ``a * b`` (scalars or arrays of one shape, or broadcast)."""
        op = self.rng.choice(("+", "-", "*", "*"))
        if op == "*" and a.bound * b.bound > 16:
            a, b = self.squash(a), self.squash(b)
        bound = a.bound * b.bound if op == "*" else a.bound + b.bound
        return self._combine(a, b, f"{a.p()} {op} {b.p()}", bound)

    def _combine(self, a: Expr, b: Expr, text: str, bound: float, atom: bool = False) -> Expr:
        kind = A if A in (a.kind, b.kind) else F
        shape = a.shape if len(a.shape) >= len(b.shape) else b.shape
        return Expr(
            text, kind, shape, join_dtype(a.dtype, b.dtype), bound, a.active or b.active, True, atom
        )

    def divide(self, a: Expr, b: Expr) -> Expr:
        """``a`` divided by a denominator bounded away from zero."""
        mod = self.mod() if b.kind == F else "np"
        if self.rng.random() < 0.6:
            den = f"(1.0 + {b.p()} * {b.p()})"
        else:
            den = f"(2.0 + {mod}.cos({b.text}))"
        e = self._combine(a, b, f"{a.p()} / {den}", a.bound)
        e.dtype = join_dtype(e.dtype, F64)  # the constant in the denominator
        return e

    def extremum(self, a: Expr, b: Expr) -> Expr:
        fn = self.rng.choice(("np.maximum", "np.minimum"))
        return self._combine(a, b, f"{fn}({a.text}, {b.text})", max(a.bound, b.bound), True)

    def ifexp(self, a: Expr, b: Expr) -> Expr | None:
        if a.kind == A or b.kind == A:
            if a.shape != b.shape:
                return None
            a, b = self.as_f64(self.copied(a)), self.as_f64(self.copied(b))
        return self._combine(a, b, f"{a.p()} if {self.cond()} else {b.p()}", max(a.bound, b.bound))

    def copied(self, e: Expr) -> Expr:
        """A fresh array equal to ``e`` (``1.0 * view``), so no name aliases another."""
        if e.fresh:
            return e
        return Expr(f"1.0 * {e.p()}", A, e.shape, F64, e.bound, e.active, True)

    def active_power(self, depth: int) -> Expr:
        """A positive base to an active exponent: ``(1.5 + sin(u)) ** v``."""
        mod = self.mod()
        base = self.scalar(depth - 1)
        exponent = self.squash(self.scalar(depth - 1), 1.0)
        return Expr(
            f"(1.5 + {mod}.sin({base.text})) ** {exponent.p()}",
            F,
            bound=2.5**1.6,
            active=base.active or exponent.active,
        )

    def as_float(self, e: Expr) -> Expr:
        """A scalar as float64 (``float(x32[i])``): a name bound to a float32 scalar would
        be float32 or float64 in numba depending on later assignments, and an array
        expression using it then gets two dtypes, which numba cannot unify."""
        if e.kind != F or e.dtype == F64:
            return e
        return Expr(f"float({e.text})", F, (), F64, e.bound, e.active, atom=True)

    def as_f64(self, e: Expr) -> Expr:
        """``e`` with float64 dtype in numba (``1.0 * e`` promotes a float32 array)."""
        if e.kind != A or e.dtype == F64:
            return e
        return Expr(f"1.0 * {e.p()}", A, e.shape, F64, e.bound, e.active, True)

    # -- reductions --------------------------------------------------------------------------

    def reduction(self, depth: int) -> Expr | None:
        """A float scalar reduced from an array expression."""
        shapes = self.shapes()
        if not shapes:
            return None
        shape = self.rng.choice(shapes)
        arr = self.array(shape, depth)
        size = math.prod(shape)
        r = self.rng.random()
        dtype = F64 if arr.dtype == F64 else UNKNOWN

        def out(text: str, bound: float) -> Expr:
            return Expr(text, F, (), dtype, bound, arr.active, atom=True)

        if r < 0.3:
            return out(
                self.rng.choice((f"np.sum({arr.text})", f"{arr.p()}.sum()")), size * arr.bound
            )
        if r < 0.45:
            return out(self.rng.choice((f"np.mean({arr.text})", f"{arr.p()}.mean()")), arr.bound)
        if r < 0.6:
            fn = self.rng.choice(("np.max", "np.min"))
            if self.rng.random() < 0.3:
                return out(f"{arr.p()}.{fn[3:]}()", arr.bound)
            return out(f"{fn}({arr.text})", arr.bound)
        if r < 0.7:
            factors = arr if arr.bound <= 1.2 else self.squash(arr, 1.0)
            return out(f"np.prod({factors.text})", max(1.0, factors.bound) ** size)
        if r < 0.8:
            c = self.rng.choice((0.5, 1.0, 2.0))
            return out(f"np.linalg.norm({arr.p()} + {c})", math.sqrt(size) * (arr.bound + c))
        if r < 0.9 and len(shape) == 1:
            other = self.array(shape, depth - 1, dtype=arr.dtype if arr.dtype != UNKNOWN else F64)
            if other.dtype != arr.dtype or arr.dtype == UNKNOWN:
                arr, other = self.as_f64(arr), self.as_f64(other)
            return Expr(
                f"np.dot({arr.text}, {other.text})",
                F,
                (),
                UNKNOWN,
                size * arr.bound * other.bound,
                arr.active or other.active,
                atom=True,
            )
        idx = ", ".join(str(self.rng.randint(-n, n - 1)) for n in shape)
        if len(shape) == 1:
            return out(f"np.cumsum({arr.text})[{idx}]", size * arr.bound)
        return out(f"{arr.p()}[{idx}]", arr.bound)

    # -- arrays ------------------------------------------------------------------------------

    def array(self, shape: tuple[int, ...], depth: int = 2, dtype: str | None = None) -> Expr:
        """An array expression of exactly ``shape`` (``dtype``: prefer that dtype)."""
        if depth <= 0:
            return self.array_leaf(shape, dtype)
        d = depth - 1
        result = self.pick(
            [
                (3, lambda: self.array_leaf(shape, dtype)),
                (3, lambda: self.binop(self.array(shape, d, dtype), self.operand(shape, d))),
                (1, lambda: self.binop(self.operand(shape, d), self.array(shape, d, dtype))),
                (2.5, lambda: self.unary(self.array(shape, d, dtype))),
                (0.8, lambda: self.divide(self.array(shape, d, dtype), self.operand(shape, 0))),
                (0.8, lambda: self.extremum(self.array(shape, d, dtype), self.operand(shape, 0))),
                (0.8 if len(shape) == 1 else 0, lambda: self.cumsum(shape, d)),
                (2.5 if len(shape) == 1 else 0, lambda: self.matvec(shape, d)),
                (2.5 if len(shape) == 1 else 0, lambda: self.axis_reduction(shape, d)),
                (0.4, lambda: self.ifexp(self.array(shape, d), self.array(shape, d))),
                (0.8, lambda: self.call(A, shape, d)),
                (0.5 if len(shape) == 2 else 0, lambda: self.broadcast(shape, d)),
            ]
        )
        return result or self.array_leaf(shape, dtype)

    def operand(self, shape: tuple[int, ...], depth: int) -> Expr:
        """The other operand of an array operation: a scalar or an array of ``shape``."""
        if self.rng.random() < 0.5:
            return self.scalar(depth)
        return self.array(shape, depth)

    def array_leaf(self, shape: tuple[int, ...], dtype: str | None = None) -> Expr:
        """A name, a slice or a row/column of a name with ``shape``, else ``np.ones * s``."""
        options = self.views(shape)
        if dtype is not None and any(e.dtype == dtype for e in options):
            options = [e for e in options if e.dtype == dtype]
        if options:
            names = [e for e in options if e.atom]
            if names and self.rng.random() < 0.55:
                return self.rng.choice(names)
            return self.rng.choice(options)
        s = self.scalar(0)
        dims = ", ".join(self.length_text(n) for n in shape)
        ones = f"np.ones({dims})" if len(shape) == 1 else f"np.ones(({dims}))"
        return Expr(f"{ones} * {s.p()}", A, shape, F64, s.bound, s.active, True)

    def length_text(self, n: int) -> str:
        return self.lengths().get(n, str(n))

    def views(self, shape: tuple[int, ...]) -> list[Expr]:
        """Names and basic-indexing views with exactly ``shape``."""
        found = []
        for v in self.arrays():

            def view(text: str, atom: bool = True, v: Var = v) -> Expr:
                return Expr(text, A, shape, v.dtype, v.bound, v.active, False, atom, v.name)

            if v.shape == shape:
                found.append(view(v.name))
                if len(shape) == 1 and shape[0] > 1:
                    found.append(view(f"{v.name}[::-1]"))
            if len(v.shape) == 1 and len(shape) == 1:
                n, L = v.shape[0], shape[0]
                if n == L + 1:
                    found.append(view(f"{v.name}[1:]"))
                    found.append(view(f"{v.name}[:-1]"))
                if n == L + 2:
                    found.append(view(f"{v.name}[1:-1]"))
                if (n + 1) // 2 == L and n > 1:
                    found.append(view(f"{v.name}[::2]"))
                if n > L and self.rng.random() < 0.3:
                    start = self.rng.randint(0, n - L)
                    found.append(view(f"{v.name}[{start}:{start + L}]"))
            if len(v.shape) == 2 and len(shape) == 1:
                rows, cols = v.shape
                if cols == shape[0]:
                    found.append(view(f"{v.name}[{self.index(rows)}]"))
                if rows == shape[0]:
                    found.append(view(f"{v.name}[:, {self.index(cols)}]"))
            if len(v.shape) == 2 and v.shape[::-1] == shape:
                found.append(view(f"{v.name}.T"))
        return found

    def cumsum(self, shape: tuple[int, ...], depth: int) -> Expr:
        arr = self.array(shape, depth)
        if self.rng.random() < 0.3:
            return self._like(arr, f"{arr.p()}.cumsum()", arr.bound * shape[0], atom=True)
        return self._like(arr, f"np.cumsum({arr.text})", arr.bound * shape[0], atom=True)

    def matvec(self, shape: tuple[int, ...], depth: int) -> Expr | None:
        """``M @ v`` or ``M.T @ v`` for a 2-D name ``M`` giving ``shape``."""
        options = []
        for m in self.arrays():
            if len(m.shape) != 2:
                continue
            if m.shape[0] == shape[0]:
                options.append((m, m.name, m.shape[1]))
            if m.shape[1] == shape[0]:
                options.append((m, f"{m.name}.T", m.shape[0]))
        if not options:
            return None
        m, text, inner = self.rng.choice(options)
        if m.dtype == UNKNOWN:
            return None
        vec = self.array((inner,), depth, dtype=m.dtype)
        if vec.dtype != m.dtype:
            if m.dtype != F64:
                return None
            vec = self.as_f64(vec)
        op = self.rng.choice(("@", "@", "dot"))
        expr = f"np.dot({text}, {vec.text})" if op == "dot" else f"{text} @ {vec.p()}"
        return Expr(
            expr,
            A,
            shape,
            m.dtype,
            inner * m.bound * vec.bound,
            m.active or vec.active,
            True,
            op == "dot",
        )

    def axis_reduction(self, shape: tuple[int, ...], depth: int) -> Expr | None:
        """``np.sum(M, axis=k)`` and friends for a 2-D array giving ``shape``."""
        options = []
        for m in self.shapes():
            if len(m) != 2:
                continue
            if m[1] == shape[0]:
                options.append((m, 0))
            if m[0] == shape[0]:
                options.append((m, 1))
        if not options:
            return None
        mshape, axis = self.rng.choice(options)
        arr = self.array(mshape, depth)
        fn = self.rng.choice(("np.sum", "np.sum", "np.mean", "np.max", "np.min", "np.prod"))
        if fn == "np.prod" and arr.bound > 1.2:
            arr = self.squash(arr, 1.0)
        count = mshape[axis]
        bound = {"np.sum": count * arr.bound, "np.prod": max(1.0, arr.bound) ** count}.get(
            fn, arr.bound
        )
        dtype = F64 if arr.dtype == F64 else UNKNOWN
        if self.rng.random() < 0.2 and fn in ("np.sum", "np.mean", "np.max"):
            text = f"{arr.p()}.{fn[3:]}(axis={axis})"
        else:
            text = f"{fn}({arr.text}, axis={axis})"
        return Expr(text, A, shape, dtype, bound, arr.active, True, True)

    def broadcast(self, shape: tuple[int, ...], depth: int) -> Expr:
        """A 2-D array combined with a row vector (broadcast along axis 0)."""
        mat = self.array(shape, depth)
        row = self.array((shape[1],), depth)
        op = self.rng.choice(("+", "*", "-"))
        bound = mat.bound * row.bound if op == "*" else mat.bound + row.bound
        return Expr(
            f"{mat.p()} {op} {row.p()}",
            A,
            shape,
            join_dtype(mat.dtype, row.dtype),
            bound,
            mat.active or row.active,
            True,
        )

    # -- calls -------------------------------------------------------------------------------

    def call(self, kind: str, shape: tuple[int, ...], depth: int) -> Expr | None:
        """A call of a helper returning ``kind`` (and ``shape``), arguments varied."""
        fits = [h for h in self.helpers if h.out.kind == kind and h.out.shape == shape]
        if not fits:
            return None
        h = self.rng.choice(fits)
        args = [self.argument(p, depth) for p in h.params]
        if any(a is None for a in args):
            return None
        active = any(a.active for a in args)
        return Expr(
            f"{h.name}({', '.join(a.text for a in args)})",
            kind,
            shape,
            h.out.dtype,
            h.out.bound,
            active,
            True,
            True,
        )

    def argument(self, param: Var, depth: int) -> Expr | None:
        """An argument for a helper parameter: a constant, a name or an expression."""
        if param.kind == F:
            if self.rng.random() < 0.3:
                return self.const()
            return self.squash(self.scalar(depth), param.bound)
        arr = self.array(param.shape, depth, dtype=param.dtype)
        if param.dtype == F64:
            arr = self.as_f64(arr)
        if arr.dtype != param.dtype:
            return None
        return self.squash(arr, param.bound)

    # -- conditions and indices --------------------------------------------------------------

    def cond(self, depth: int = 1) -> str:
        """A condition on data (sometimes on ints), with ``and``/``or``/``not``."""
        r = self.rng.random()
        if depth > 0 and r < 0.15:
            op = self.rng.choice(("and", "or"))
            return f"{self.cond(0)} {op} {self.cond(0)}"
        if depth > 0 and r < 0.22:
            return f"not {self.cond(0)}"
        if r < 0.3 and self.ints():
            v = self.rng.choice(self.ints())
            if self.rng.random() < 0.5:
                return f"{v.name} % 2 == 0"
            return f"{v.name} > {self.rng.randint(0, 2)}"
        left = self.scalar(self.rng.choice((0, 0, 1)))
        if not left.active:
            left = self.pick([(1, self.scalar_name), (1, self.element)]) or left
        op = self.rng.choice((">", "<", ">", "<=", ">="))
        if self.rng.random() < 0.7:
            right = repr(self.rng.choice(THRESHOLDS))
        else:
            right = self.scalar_leaf().text
        text = f"{left.p()} {op} {right}"
        return text if self.rng.random() < 0.9 else f"({text})"

    def index(self, n: int) -> str:
        """An index expression valid for an axis of length ``n`` (loop counters or constants)."""
        options = [str(c) for c in (0, n - 1, -1) if -n <= c < n]
        options.append(str(self.rng.randint(-n, n - 1)))
        for v in self.ints():
            lo, hi = v.span
            if lo > hi:  # the loop never runs: any index will do
                options += [v.name] * 2
                continue
            if -n <= lo and hi < n:
                options += [v.name] * 4
            if -n <= lo + 1 and hi + 1 < n:
                options.append(f"{v.name} + 1")
            if -n <= lo - 1 and hi - 1 < n:
                options.append(f"{v.name} - 1")
            length = self.lengths().get(n)
            if length and 0 <= lo and hi < n:
                options.append(f"{length} - 1 - {v.name}")
        return self.rng.choice(options)
