"""What the generator knows about names and expressions: kind, shape, dtype, size bound.

Kinds: ``"f"`` float scalar, ``"i"`` int, ``"a"`` float array (``shape`` is its concrete
shape). ``dtype`` is the dtype *numba* gives the value (its promotion rules differ from
NumPy 2's: ``float32 array * 0.5`` is float64 in numba): ``"f64"``, ``"f32"`` or ``"?"`` when
it depends on rules we do not model. A value of unknown dtype is never used where numba
needs one type (rebinding an array inside a loop or branch, both arms of ``a if c else b``,
returns, ``np.dot``).
"""

from __future__ import annotations

import dataclasses

F, I, A = "f", "i", "a"
F64, F32, UNKNOWN = "f64", "f32", "?"


@dataclasses.dataclass
class Var:
    """A name bound in the function being generated."""

    name: str
    kind: str
    shape: tuple[int, ...] = ()
    dtype: str = F64
    bound: float = 1.0  # heuristic bound on |value|
    active: bool = True  # may depend on a differentiated parameter
    buffer: bool = False  # a fresh array of our own: safe to write into
    param: bool = False
    span: tuple[int, int] | None = None  # ints: smallest and largest value it takes
    counter: bool = False  # loop counters and lengths: never reassigned
    was_active: bool = False  # rebound from an active to an inactive value


@dataclasses.dataclass
class Expr:
    """A generated expression and what it evaluates to."""

    text: str
    kind: str = F
    shape: tuple[int, ...] = ()
    dtype: str = F64
    bound: float = 1.0
    active: bool = False
    fresh: bool = True  # arrays: a new array, not a view of a name
    atom: bool = False  # needs no parentheses as an operand
    base: str | None = None  # views: the name they look into

    def p(self) -> str:
        """The text, parenthesised unless it is an atom."""
        return self.text if self.atom else f"({self.text})"


def join_dtype(*dtypes: str) -> str:
    """numba's result dtype of arithmetic between operands of these dtypes."""
    if F64 in dtypes:
        return F64
    if UNKNOWN in dtypes:
        return UNKNOWN
    return F32


class Scopes:
    """Nested blocks of the function: names first bound in a block are local to it."""

    def __init__(self) -> None:
        self.stack: list[dict[str, Var]] = [{}]

    def push(self) -> None:
        self.stack.append({})

    def pop(self) -> dict[str, Var]:
        return self.stack.pop()

    @property
    def depth(self) -> int:
        return len(self.stack) - 1

    def add(self, var: Var) -> Var:
        self.stack[-1][var.name] = var
        return var

    def get(self, name: str) -> Var | None:
        for scope in reversed(self.stack):
            if name in scope:
                return scope[name]
        return None

    def remove(self, name: str) -> None:
        for scope in self.stack:
            scope.pop(name, None)

    def all(self) -> list[Var]:
        seen: dict[str, Var] = {}
        for scope in self.stack:
            seen.update(scope)
        return list(seen.values())

    def level(self, name: str) -> int:
        for depth in range(len(self.stack) - 1, -1, -1):
            if name in self.stack[depth]:
                return depth
        return -1
