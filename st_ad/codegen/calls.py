"""Calls to user functions in generated code: each (callee, activity pattern, mode) gets one
derivative function, generated from the callee's own source and bound into the caller's
module under a readable name (``pair_vjp_r`` for the vjp of ``pair`` w.r.t. ``r``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..frontend.calls import UserCall
from .build import DerivativeNames


@dataclass(frozen=True)
class CalleeDerivative:
    """What the caller's module needs bound to ``name``: ``call``'s derivative w.r.t. the
    argument positions ``active`` (``kind``: "vjp" or "tangent")."""

    name: str
    call: UserCall
    active: tuple[int, ...]
    kind: str

    @property
    def mode(self) -> str:
        return "reverse" if self.kind == "vjp" else "forward"

    @property
    def wrt(self) -> int | tuple[int, ...]:
        """The callee transform's ``wrt``: a tuple (tuple of results) for several arguments."""
        return self.active if len(self.active) > 1 else self.active[0]


class CalleeRequests:
    def __init__(self, names: DerivativeNames) -> None:
        self.names = names
        self.by_key: dict[tuple[int, tuple[int, ...], str], CalleeDerivative] = {}

    def request(self, call: UserCall, active: tuple[int, ...], kind: str) -> str:
        key = (id(call), active, kind)
        if key not in self.by_key:
            which = "_".join(call.params[k] for k in active)
            fname = self.names.fresh(f"{call.name}_{kind}_{which}")
            self.by_key[key] = CalleeDerivative(fname, call, active, kind)
        return self.by_key[key].name

    def all(self) -> list[CalleeDerivative]:
        return list(self.by_key.values())
