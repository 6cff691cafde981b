"""Random statements: the body of one generated function.

``FunctionWriter`` emits source lines for ``def name(params): ...`` while tracking every name's
kind, shape, dtype and bound (``scope.py``), so that the program type-checks in numba:

* a name keeps its kind, shape and dtype inside loops and branches; only a top-level statement
  may rebind it to something else (``x = np.sum(x)``);
* names first bound inside a block are forgotten when the block ends;
* writes (``z[i] = ...``, ``z += ...``) go into buffers the function made itself
  (``np.zeros``, ``np.zeros_like``, ``.copy()``, fresh arithmetic results) and, in the
  top-level function only, some of its array parameters (``PARAM_WRITES``); a buffer viewed by
  a named view stays writable with probability ``WRITE_VIEWED`` (the view sees the write);
  in-place operands may overlap their target (``y -= y[::-1]``; NumPy buffers them);
* loops terminate: ``range`` with small constant or array-length trip counts, ``while`` loops
  with a counter incremented first (so ``continue`` cannot skip it);
* loop-carried updates are additive or contractive (``s = 0.5 * s + tanh(...)``).
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Iterator

from .exprs import ExprMaker, HelperSig
from .scope import F64, UNKNOWN, A, Expr, F, I, Scopes, Var

MAX_DEPTH = 3  # loop and branch nesting
MAX_TRIPS = 100  # iterations of the innermost body, all enclosing loops together
PARAM_WRITES = 0.3  # chance that an array parameter of ``f`` is written into
WRITE_VIEWED = 0.3  # chance that a buffer stays writable once a named view of it exists
OVERLAP = 0.5  # chance that an in-place operand overlapping its target is left as it is


class FunctionWriter:
    """Writes one function; see the module docstring."""

    def __init__(
        self,
        rng: random.Random,
        name: str,
        params: list[Var],
        out: Expr,
        helpers: list[HelperSig],
        *,
        decorator: str | None = None,
    ) -> None:
        self.rng = rng
        self.name = name
        self.params = params
        self.out = out  # what every return gives: kind, shape, dtype
        self.scopes = Scopes()
        self.lengths: dict[int, str] = {}
        self.make = ExprMaker(rng, self.scopes, lambda: self.lengths, helpers)
        self.lines: list[str] = []
        self.indent = 1
        self.loops: list[int] = []  # trip counts of the enclosing loops
        self.counter = 0
        self.used: set[str] = {p.name for p in params}
        self.ret_bound = 0.0  # the largest bound of a returned value
        if decorator:
            self.lines.append(decorator)
        self.lines.append(f"def {name}({', '.join(p.name for p in params)}):")
        for p in params:
            self.scopes.add(p)
            if name == "f" and p.kind == A and rng.random() < PARAM_WRITES:
                p.buffer = True  # st_ad must leave the caller's array unmodified

    # -- plumbing ----------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"

    @property
    def depth(self) -> int:
        return self.scopes.depth

    @property
    def trips(self) -> int:
        return math.prod(self.loops) if self.loops else 1

    def fresh(self, base: str) -> str:
        """A name not used yet: ``s``, ``t``, ... then ``s1``, ``t1``, ..."""
        while True:
            self.counter += 1
            pool = {"f": "stupqr", "a": "yzvgeh", "m": "BCDE"}[base]
            k, rest = divmod(self.counter - 1, len(pool))
            name = pool[rest] + (str(k) if k else "")
            if name not in self.used and name not in ("e", "h"):
                self.used.add(name)
                return name

    @contextlib.contextmanager
    def block(self, header: str, trips: int | None = None) -> Iterator[None]:
        """An indented block; a loop block when ``trips`` is given (its iteration count)."""
        self.emit(header)
        self.indent += 1
        self.scopes.push()
        if trips is not None:
            self.loops.append(max(trips, 1))
        before = {v.name: v.bound for v in self.scopes.all()}
        start = len(self.lines)
        try:
            yield
            if len(self.lines) == start:
                self.simple_statement()
        finally:
            self.scopes.pop()
            self.indent -= 1
            if trips is not None:
                self.loops.pop()
                for v in self.scopes.all():  # loop-carried growth: once per iteration
                    old = before.get(v.name)
                    if old is not None and v.bound > old:
                        v.bound = old + (v.bound - old) * max(trips, 1)

    def assignable(self, v: Var, e: Expr | None = None) -> bool:
        """Whether ``v`` may be rebound here (to ``e``), keeping numba's one type per name."""
        if v.counter:
            return False
        if self.depth == 0 or self.scopes.level(v.name) == self.depth:
            return True
        if e is None:
            return True
        if e.kind != v.kind or e.shape != v.shape:
            return False
        if v.kind == A:
            if e.dtype != v.dtype or e.dtype == UNKNOWN:
                return False
            if v.buffer and not e.fresh:
                return False
        return True

    def unalias(self, e: Expr) -> None:
        """A name bound to a view of a buffer: the buffer may no longer be written."""
        if e.kind == A and not e.fresh and e.base is not None:
            base = self.scopes.get(e.base)
            if base is not None and self.rng.random() >= WRITE_VIEWED:
                base.buffer = False

    def rebind(self, v: Var, e: Expr, bound: float | None = None) -> None:
        """Record that ``v`` now holds ``e`` (the statement is emitted by the caller)."""
        self.unalias(e)
        inside = self.depth > 0 and self.scopes.level(v.name) < self.depth
        bound = e.bound if bound is None else bound
        if inside:
            v.bound = max(v.bound, bound)
            v.active = v.active or e.active
            if v.kind == F and v.dtype != F64:
                v.dtype = UNKNOWN
            if v.kind == A:
                v.buffer = v.buffer and e.fresh
            return
        v.kind, v.shape, v.bound, v.active = e.kind, e.shape, bound, e.active
        v.dtype = e.dtype if e.kind == A or e.dtype == F64 else UNKNOWN
        v.buffer = e.kind == A and e.fresh

    def new_var(self, e: Expr, base: str | None = None) -> Var:
        if base is None:
            base = "f" if e.kind == F else ("a" if len(e.shape) == 1 else "m")
        self.unalias(e)
        dtype = e.dtype if e.kind == A or e.dtype == F64 else UNKNOWN
        return self.scopes.add(
            Var(
                self.fresh(base),
                e.kind,
                e.shape,
                dtype,
                e.bound,
                e.active,
                buffer=e.kind == A and e.fresh,
            )
        )

    def depth_of_expr(self) -> int:
        return self.rng.choice((1, 1, 2, 2, 3))

    # -- statements --------------------------------------------------------------------------

    def statements(self, count: int) -> None:
        for _ in range(count):
            self.statement()

    def statement(self) -> None:
        """One random statement (possibly compound)."""
        in_loop = bool(self.loops)
        nest = self.depth < MAX_DEPTH
        loop_ok = nest and self.trips * 4 <= MAX_TRIPS
        options: list[tuple[float, Callable[[], bool]]] = [
            (4, self.assign_new_scalar),
            (5, self.update_scalar),
            (1.5 if self.depth == 0 else 0.8, self.rebind_inactive),
            (1.0 if self.depth == 0 else 0.4, self.new_inactive),
            (1.5, self.new_buffer),
            (0.8, self.buffer_idiom),
            (3 if in_loop else 1, self.element_write),
            (1.5, self.inplace_array),
            (2, self.assign_array),
            (0.5 if self.depth == 0 else 0, self.kind_change),
            (3.5 if loop_ok else 0, self.for_loop),
            (0.8 if loop_ok else 0, self.while_loop),
            (2 if nest else 0, self.if_statement),
            (1.2 if in_loop else 0, self.jump),
            (0.8 if self.depth > 0 else 0, self.early_return),
            (1, self.swap),
            (0.8, self.tuple_assign),
            (1 if self.make.helpers else 0, self.helper_call),
        ]
        options = [(w, fn) for w, fn in options if w > 0]
        for _ in range(12):
            fn = self.rng.choices([fn for _, fn in options], [w for w, _ in options])[0]
            if fn():
                return
        self.simple_statement()

    def simple_statement(self) -> None:
        """A statement that is always possible: a new scalar temporary."""
        if not self.assign_new_scalar():
            self.emit(f"{self.fresh('f')} = 0.5")

    def assign_new_scalar(self) -> bool:
        e = self.make.as_float(self.make.scalar(self.depth_of_expr()))
        v = self.new_var(e)
        self.emit(f"{v.name} = {e.text}")
        return True

    def scalar_targets(self) -> list[Var]:
        return [v for v in self.scopes.all() if v.kind == F and self.assignable(v)]

    def update_scalar(self) -> bool:
        """Overwrite or accumulate into a scalar: plain, additive or contractive forms."""
        targets = self.scalar_targets()
        if not targets:
            return False
        v = self.rng.choice(targets)
        e = self.make.as_float(self.make.scalar(self.depth_of_expr()))
        r = self.rng.random()
        carried = bool(self.loops)
        if r < (0.2 if carried else 0.45):
            text, bound = f"{v.name} = {e.text}", e.bound
        elif r < 0.55:
            op = self.rng.choice(("+", "-"))
            if self.rng.random() < 0.5:
                text = f"{v.name} {op}= {e.text}"
            else:
                text = f"{v.name} = {v.name} {op} {e.p()}"
            bound = v.bound + e.bound
        elif r < 0.8:
            s = self.make.squash(e, 1.0)
            text, bound = f"{v.name} = 0.5 * {v.name} + {s.p()}", max(v.bound, 2 * s.bound)
        elif r < 0.9:
            s = self.make.squash(e, 1.0)
            text, bound = f"{v.name} *= {s.p()}", v.bound
        else:
            s = self.make.squash(e, 1.0)
            extra = self.make.squash(self.make.scalar(1), 1.0)
            text = f"{v.name} = {v.name} * {s.p()} + {extra.p()}"
            bound = v.bound + extra.bound
        self.emit(text)
        self.rebind(v, e, bound)
        return True

    def rebind_inactive(self) -> bool:
        """Rebind a (preferably active) scalar to a value that depends on no parameter."""
        targets = self.scalar_targets()
        if not targets:
            return False
        actives = [v for v in targets if v.active] or targets
        v = self.rng.choice(actives)
        sources = [s for s in self.make.scalars() if not s.active and s is not v]
        r = self.rng.random()
        if sources and r < 0.5:
            s = self.rng.choice(sources)
            e = Expr(s.name, F, (), s.dtype, s.bound, False, atom=True)
        else:
            e = self.make.int_derived() if r < 0.75 else None
            e = e or self.make.const()
        self.emit(f"{v.name} = {e.text}")
        was_active = v.active
        self.rebind(v, e)
        if self.depth == 0:
            v.active = False
        v.was_active = v.was_active or was_active
        return True

    def new_inactive(self) -> bool:
        e = self.make.int_derived() if self.rng.random() < 0.5 else None
        e = e or self.make.const()
        v = self.new_var(e)
        self.emit(f"{v.name} = {e.text}")
        return True

    def new_buffer(self) -> bool:
        """``np.zeros(n)``, ``np.zeros_like(x)`` or ``x.copy()``, often filled by a loop."""
        arrays = self.make.arrays()
        r = self.rng.random()
        if arrays and r < 0.6:
            src = self.rng.choice(arrays)
            if src.dtype == UNKNOWN:
                return False
            if self.rng.random() < 0.5:
                text, active, bound = f"{src.name}.copy()", src.active, src.bound
            else:
                text, active, bound = f"np.zeros_like({src.name})", False, 0.0
            e = Expr(text, A, src.shape, src.dtype, bound, active, True)
        else:
            shapes = list(self.lengths) or [self.rng.randint(2, 5)]
            n = self.rng.choice(shapes)
            e = Expr(f"np.zeros({self.make.length_text(n)})", A, (n,), F64, 0.0, False, True)
        v = self.new_var(e)
        self.emit(f"{v.name} = {e.text}")
        if self.rng.random() < 0.6 and self.depth < MAX_DEPTH and self.trips * 6 <= MAX_TRIPS:
            self.fill_loop(v)
        return True

    def buffer_idiom(self) -> bool:
        """A copy read through views, then updated in place: ``y = x.copy()``,
        ``s = np.sum(y[1:] * y[1:])``, ``y += 1.0`` (the result reads both)."""
        sources = [
            v
            for v in self.make.arrays()
            if len(v.shape) == 1 and v.shape[0] > 1 and v.dtype != UNKNOWN
        ]
        if not sources:
            return False
        src = self.rng.choice(sources)
        e = Expr(f"{src.name}.copy()", A, src.shape, src.dtype, src.bound, src.active, True)
        y = self.new_var(e)
        self.emit(f"{y.name} = {e.text}")
        n = src.shape[0]
        view = self.rng.choice(("[1:]", "[:-1]", "[::-1]", "[::2]", "[1:]", "[:-1]"))
        other = self.rng.choice((view, "[1:]" if view != "[1:]" else "[:-1]"))
        lengths = {"[1:]": n - 1, "[:-1]": n - 1, "[::-1]": n, "[::2]": (n + 1) // 2}
        if lengths[view] != lengths[other]:
            other = view
        op = self.rng.choice(("*", "+", "-"))
        reduce = self.rng.choice(("np.sum", "np.sum", "np.mean", "np.max"))
        s = self.new_var(Expr("", F, bound=n * y.bound * y.bound, active=y.active))
        value = f"{reduce}({y.name}{view} {op} {y.name}{other})"
        self.emit(f"{s.name} = {value if y.dtype == F64 else f'float({value})'}")
        r = self.rng.random()
        if r < 0.5:
            c = self.no_overlap(self.make.operand(y.shape, 1), y)
            self.emit(f"{y.name} {self.rng.choice(('+=', '-='))} {c.text}")
            y.bound += c.bound
            y.active = y.active or c.active
        elif r < 0.75:
            self.emit(f"{y.name} *= {self.rng.choice((0.5, -1.5, 2.0))}")
            y.bound *= 2
        else:
            self.element_write(y)
        return True

    def fill_loop(self, v: Var) -> None:
        """``for i in range(len): v[i] = ...`` (or ``+=``), maybe with more statements."""
        n = v.shape[0]
        header, span, trips = self.range_header(n, full=True)
        name = self.loop_var()
        with self.block(f"for {name} in {header}:", trips):
            self.scopes.add(Var(name, I, span=span, counter=True))
            if self.rng.random() < 0.3:
                self.statement()
            self.element_write(v, name)
            if self.rng.random() < 0.3:
                self.statement()

    def element_write(self, target: Var | None = None, index: str | None = None) -> bool:
        """``z[i] = e``, ``z[i] += e`` or ``z[i] -= e`` into a buffer."""
        buffers = [v for v in self.make.arrays() if v.buffer]
        if target is None:
            if not buffers:
                return False
            target = self.rng.choice(buffers)
        idx = [
            index if index and k == 0 else self.make.index(n) for k, n in enumerate(target.shape)
        ]
        e = self.make.scalar(self.depth_of_expr())
        op = self.rng.choice(("=", "=", "+=", "-="))
        self.emit(f"{target.name}[{', '.join(idx)}] {op} {e.text}")
        bound = max(target.bound, e.bound) if op == "=" else target.bound + e.bound
        target.bound = bound
        target.active = target.active or e.active
        return True

    def inplace_array(self) -> bool:
        """``z += e``, ``z -= e``, ``z *= e`` or ``z /= (1 + s * s)`` on a buffer."""
        buffers = [v for v in self.make.arrays() if v.buffer]
        if not buffers:
            return False
        v = self.rng.choice(buffers)
        r = self.rng.random()
        if r < 0.55:
            e = self.no_overlap(self.make.operand(v.shape, self.depth_of_expr() - 1), v)
            op = self.rng.choice(("+=", "-="))
            self.emit(f"{v.name} {op} {e.text}")
            v.bound += e.bound
        elif r < 0.85:
            e = (
                self.make.squash(self.make.scalar(1), 1.0)
                if r < 0.7
                else self.make.const((0.5, 0.9, -0.5))
            )
            self.emit(f"{v.name} *= {e.text}")
        else:
            e = self.make.scalar(1)
            self.emit(f"{v.name} /= 1.0 + {e.p()} * {e.p()}")
        v.active = v.active or e.active
        return True

    def no_overlap(self, e: Expr, target: Var) -> Expr:
        """``e`` as an in-place operand of ``target``: a view of the target itself
        (``y -= y[::-1]``) is kept with probability ``OVERLAP`` (st_ad must buffer it, as NumPy
        does and numba does not), else becomes a copy."""
        overlaps = e.kind == A and not e.fresh and e.base == target.name
        if overlaps and e.text != target.name and self.rng.random() >= OVERLAP:
            return self.make.copied(e)
        return e

    def assign_array(self) -> bool:
        """A new array temporary, or an array name rebound (same shape inside blocks)."""
        shapes = self.make.shapes()
        if not shapes:
            return False
        shape = self.rng.choice(shapes)
        targets = [v for v in self.make.arrays(shape) if self.assignable(v)]
        if targets and self.rng.random() < 0.4:
            v = self.rng.choice(targets)
            want = v.dtype if v.dtype != UNKNOWN else None
            e = self.make.array(shape, self.depth_of_expr(), dtype=want)
            if self.depth > 0 and v.dtype == F64:
                e = self.make.as_f64(e)
            if not self.assignable(v, e):
                return False
            self.emit(f"{v.name} = {e.text}")
            self.rebind(v, e)
            return True
        e = self.make.array(shape, self.depth_of_expr())
        v = self.new_var(e)
        self.emit(f"{v.name} = {e.text}")
        return True

    def kind_change(self) -> bool:
        """At the top level: rebind an array name to a scalar (``x = np.sum(x * x)``)."""
        arrays = [v for v in self.make.arrays() if not v.counter]
        if not arrays:
            return False
        v = self.rng.choice(arrays)
        name = v.name
        form = self.rng.choice(
            (
                f"np.sum({name} * {name})",
                f"np.mean(np.sin({name}))",
                f"np.max({name})",
                f"np.sum({name})",
            )
        )
        self.emit(f"{name} = {form if v.dtype == F64 else f'float({form})'}")
        size = math.prod(v.shape)
        v.kind, v.shape, v.dtype, v.buffer = F, (), F64, False
        v.bound = v.bound * v.bound * size if "*" in form else v.bound * size
        return True

    # -- control flow ------------------------------------------------------------------------

    def loop_var(self) -> str:
        taken = {v.name for v in self.scopes.all()}
        for name in ("i", "j", "l", "i2", "j2", "l2"):
            if name not in taken:
                return name
        return self.fresh("f")

    def range_header(
        self, n: int | None = None, full: bool = False
    ) -> tuple[str, tuple[int, int], int]:
        """A ``range(...)`` call, the (lo, hi) values it yields and its trip count.

        ``n``: iterate over an axis of that length (``full``: exactly all of it).
        """
        if n is None:
            lengths = list(self.lengths)
            if not lengths or self.rng.random() < 0.35:
                return self.constant_range()
            n = self.rng.choice(lengths)
        t = self.make.length_text(n)
        forms = [
            (f"range({t})", (0, n - 1), n),
            (f"range({t} - 1, -1, -1)", (0, n - 1), n),
        ]
        if not full:
            forms += [
                (f"range(1, {t})", (1, n - 1), n - 1),
                (f"range({t} - 1)", (0, n - 2), n - 1),
                (f"range(0, {t}, 2)", (0, n - 1), (n + 1) // 2),
                (f"range({t} - 1, 0, -1)", (1, n - 1), n - 1),
            ]
            outer = [
                v
                for v in self.make.ints()
                if not v.param and v.span[0] >= 0 and v.span[1] < n and v.name in ("i", "j", "l")
            ]
            if outer:
                v = self.rng.choice(outer)
                forms.append((f"range({v.name})", (0, v.span[1] - 1), v.span[1]))
                forms.append((f"range({v.name} + 1, {t})", (v.span[0] + 1, n - 1), n - 1))
            ints = [v for v in self.scopes.all() if v.kind == I and v.param]
            if ints:
                m = ints[0]
                forms.append((f"range({m.name})", (0, m.span[1] - 1), m.span[1]))
        return self.rng.choice(forms)

    def constant_range(self) -> tuple[str, tuple[int, int], int]:
        k = self.rng.choice((0, 1, 2, 2, 3, 3, 4))
        if self.rng.random() < 0.2 and k >= 2:
            return f"range(1, {k})", (1, k - 1), k - 1
        return f"range({k})", (0, k - 1), k

    def for_loop(self) -> bool:
        header, span, trips = self.range_header()
        name = self.loop_var()
        with self.block(f"for {name} in {header}:", trips):
            self.scopes.add(Var(name, I, span=span, counter=True))
            self.statements(self.body_size())
        return True

    def body_size(self) -> int:
        return self.rng.choice((1, 2, 2, 3, 3, 4))

    def while_loop(self) -> bool:
        """``k = 0`` / ``while k < K and s < c:`` with ``k += 1`` first in the body."""
        guards = [v for v in self.make.scalars() if v.active] or self.make.scalars()
        k = self.fresh_counter()
        trips = self.rng.choice((2, 3, 3, 4))
        self.emit(f"{k} = 0")
        cond = f"{k} < {trips}"
        if guards and self.rng.random() < 0.8:
            g = self.rng.choice(guards)
            limit = self.rng.choice((4.0, 2.0, 1.5, 3.0))
            cond += f" and {g.name} < {limit}"
        with self.block(f"while {cond}:", trips):
            self.emit(f"{k} += 1")
            self.scopes.add(Var(k, I, span=(1, trips), counter=True))
            self.statements(self.body_size())
        return True

    def fresh_counter(self) -> str:
        taken = {v.name for v in self.scopes.all()}
        for name in ("k", "k2", "k3", "k4"):
            if name not in taken:
                return name
        return "k" + str(self.counter)

    def if_statement(self) -> bool:
        """``if`` on data, with ``elif`` and ``else`` sometimes."""
        with self.block(f"if {self.make.cond()}:"):
            self.statements(self.body_size() - 1 or 1)
        r = self.rng.random()
        if r < 0.25:
            with self.block(f"elif {self.make.cond()}:"):
                self.statements(self.rng.choice((1, 2)))
        if r < 0.15 or 0.25 <= r < 0.55:
            with self.block("else:"):
                self.statements(self.rng.choice((1, 2)))
        return True

    def jump(self) -> bool:
        """``if c: break`` or ``if c: continue`` (sometimes after a statement)."""
        word = self.rng.choice(("break", "continue", "continue"))
        with self.block(f"if {self.make.cond()}:"):
            if self.rng.random() < 0.3:
                self.update_scalar()
            self.emit(word)
        return True

    def early_return(self) -> bool:
        with self.block(f"if {self.make.cond()}:"):
            e = self.result(early=True)
            self.ret_bound = max(self.ret_bound, e.bound)
            self.emit(f"return {e.text}")
        return True

    def swap(self) -> bool:
        """``a, b = b, a`` for two names of one kind, shape and dtype."""
        pool = [v for v in self.scopes.all() if v.kind in (F, A) and self.assignable(v)]
        pairs = [
            (a, b)
            for a in pool
            for b in pool
            if a.name < b.name
            and a.kind == b.kind
            and a.shape == b.shape
            and (a.kind == F or (a.dtype == b.dtype != UNKNOWN and a.buffer == b.buffer))
            and (
                self.depth == 0
                or a.kind == F
                or self.scopes.level(a.name) == self.scopes.level(b.name) == self.depth
            )
        ]
        if not pairs:
            return False
        a, b = self.rng.choice(pairs)
        self.emit(f"{a.name}, {b.name} = {b.name}, {a.name}")
        bound = max(a.bound, b.bound)
        a.bound = b.bound = bound
        a.active = b.active = a.active or b.active
        if a.kind == F:
            a.dtype = b.dtype = F64 if a.dtype == b.dtype == F64 else UNKNOWN
        return True

    def tuple_assign(self) -> bool:
        """``s, t = e1, e2``: existing scalars, or new names."""
        targets = self.scalar_targets()
        e1 = self.make.as_float(self.make.scalar(self.rng.choice((1, 2))))
        e2 = self.make.as_float(self.make.scalar(self.rng.choice((1, 2))))
        if len(targets) >= 2 and self.rng.random() < 0.6:
            a, b = self.rng.sample(targets, 2)
            self.emit(f"{a.name}, {b.name} = {e1.text}, {e2.text}")
            self.rebind(a, e1)
            self.rebind(b, e2)
            return True
        a = self.new_var(e1)
        b = self.new_var(e2)
        self.emit(f"{a.name}, {b.name} = {e1.text}, {e2.text}")
        return True

    def helper_call(self) -> bool:
        e = self.make.call(F, (), self.rng.choice((1, 2)))
        if e is None:
            return False
        e = self.make.as_float(e)
        targets = self.scalar_targets()
        if targets and self.rng.random() < 0.4:
            v = self.rng.choice(targets)
            self.emit(f"{v.name} = {e.text}")
            self.rebind(v, e)
        else:
            v = self.new_var(e)
            self.emit(f"{v.name} = {e.text}")
        return True

    # -- returns -----------------------------------------------------------------------------

    def result(self, early: bool = False) -> Expr:
        """An expression of the function's output kind, using the live values."""
        if self.out.kind == A:
            e = self.make.array(self.out.shape, 2 if early else 1)
            live = [v for v in self.make.arrays(self.out.shape) if v.active]
            if live and not early and self.rng.random() < 0.7:
                v = self.rng.choice(live)
                e = Expr(v.name, A, v.shape, v.dtype, v.bound, v.active, False, True)
                s = self.live_scalar()
                if s is not None and self.rng.random() < 0.5:
                    e = Expr(
                        f"{e.text} * {s.p()}",
                        A,
                        v.shape,
                        v.dtype if s.dtype == F64 and v.dtype == F64 else UNKNOWN,
                        1.0,
                        True,
                    )
            return self.make.as_f64(e)
        if early:
            return self.make.as_float(self.make.scalar(1))
        terms: list[Expr] = []
        scalars = [v for v in self.make.scalars() if (v.active or v.was_active) and not v.counter]
        self.rng.shuffle(scalars)
        scalars.sort(key=lambda v: not v.was_active)
        for v in scalars[: self.rng.choice((1, 2, 3))]:
            terms.append(Expr(v.name, F, bound=v.bound, atom=True))
        arrays = [v for v in self.make.arrays() if v.active and not v.param]
        self.rng.shuffle(arrays)
        for v in arrays[: self.rng.choice((0, 1, 1, 2))]:
            first = f"{v.name}[{', '.join('0' * len(v.shape))}]"
            size = math.prod(v.shape)
            text, bound = self.rng.choice(
                (
                    (f"np.sum({v.name})", v.bound * size),
                    (first, v.bound),
                    (f"np.mean({v.name})", v.bound),
                )
            )
            terms.append(Expr(text, F, dtype=v.dtype, bound=bound, atom=True))
        if not terms:
            terms.append(self.make.scalar(2))
        terms = [self.make.as_float(t) for t in terms]
        if len(terms) > 1 and self.rng.random() < 0.5:
            c = self.rng.choice((0.5, 2.0, -1.5))
            terms[1] = Expr(f"{c} * {terms[1].p()}", F, bound=abs(c) * terms[1].bound)
        return Expr(
            " + ".join(t.p() if not t.atom and len(terms) > 1 else t.text for t in terms),
            F,
            bound=sum(t.bound for t in terms),
        )

    def live_scalar(self) -> Expr | None:
        scalars = [v for v in self.make.scalars() if v.active]
        if not scalars:
            return None
        v = self.rng.choice(scalars)
        return Expr(v.name, F, (), v.dtype, v.bound, True, atom=True)

    def finish(self) -> str:
        """Emit the final return and give the function's source."""
        e = self.result()
        self.ret_bound = max(self.ret_bound, e.bound)
        self.emit(f"return {e.text}")
        return self.source()
